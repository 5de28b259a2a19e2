import { listSnapshotFiles } from "./archive.js";
import { appendRows, createDatabase, createTable, type AccountingDatabase } from "./database.js";
import { foldSnapshots, type Progress } from "./ingest.js";
import { appendFold, attachCache, CACHE_CATALOG, ingestVersion, loadCachedTables, planIngest, readStoredIngest, storeIngest, type IngestPlan } from "./ingest-cache.js";
import { foldArchive } from "./parallel-fold.js";
import { problemsTable, usersTable } from "./schema.js";
import { readUsers } from "./users.js";

export interface LoadOptions {
  /** Folder of the ingest cache (loaders/ingest-cache.ts); without one, the whole archive is read. */
  cache?: string;
  /**
   * For a users table: the owners' pseudonym key; and whether the build is private, with the names and emails of
   * the user database and the jobs' titles. Reports need none, and have no titles.
   */
  users?: { pseudonymKey: string; private: boolean };
  /**
   * Tell the archive's files apart by the SHA-256 of their bytes too, beside name, size and modification time: a
   * snapshot rewritten with the same size and time is read again. It costs reading the whole archive once more.
   */
  verifyContent?: boolean;
  /** At most this many threads read a whole archive; by default, as many as the machine can run at once. */
  threads?: number;
  onProgress?: Progress;
  onWarning?: (message: string) => void;
}

/** The archive's tables in an in-memory database, read from the archive as far as the ingest cache cannot tell them. */
export async function loadArchive(archive: string, options: LoadOptions = {}): Promise<AccountingDatabase> {
  const listing = await listSnapshotFiles(archive, { verifyContent: options.verifyContent });
  const database = await createDatabase();
  const { connection } = database;
  try {
    const persistent = await attachCache(connection, options.cache, options.onWarning ?? (() => {}));
    const version = ingestVersion();
    let plan: IngestPlan = persistent ? planIngest(await readStoredIngest(connection), listing, version) : { kind: "full", reason: "no cache" };
    if (plan.kind === "resume") {
      const fold = foldSnapshots(archive, plan.files, plan.from, options.onProgress);
      if (fold.state.namespaces.length > plan.from.namespaces.length) plan = { kind: "full", reason: "a new namespace" };
      else await appendFold(connection, fold, plan.from, { version, listing, fold: fold.state });
    }
    if (plan.kind === "full") {
      const fold = await foldArchive(archive, listing.files, { threads: options.threads, onProgress: options.onProgress });
      await storeIngest(connection, fold, { version, listing, fold: fold.state });
    }
    await loadCachedTables(connection);
    await connection.run(`DETACH ${CACHE_CATALOG}`);
    if (!options.users?.private) await connection.run("UPDATE jobs SET title = NULL");
    if (options.users) await addUsers(database, archive, options.users.pseudonymKey, options.users.private);
    return database;
  } catch (error) {
    database.close();
    throw error;
  }
}

/** The users table from the owners seen; in a private build, the user database's names, and its problems if broken. */
async function addUsers(database: AccountingDatabase, archive: string, pseudonymKey: string, privateBuild: boolean): Promise<void> {
  const owners = (await database.connection.runAndReadAll("SELECT owner FROM owners ORDER BY owner")).getRowObjectsJS().map((row) => row.owner as string);
  const { users, problems } = await readUsers(archive, owners, pseudonymKey, privateBuild);
  await createTable(database.connection, usersTable, users);
  await appendRows(database.connection, problemsTable, problems);
}
