import { listSnapshotFiles, type SnapshotListing } from "../sources/nomad/archive.js";
import { appendRows, createDatabase, createTable, type AccountingDatabase } from "./database.js";
import { foldSnapshots, type Progress } from "../sources/nomad/fold.js";
import {
  appendFold,
  attachCache,
  attachMemoryCache,
  CACHE_CATALOG,
  CacheUnusable,
  cacheStep,
  ingestVersion,
  loadCachedTables,
  planIngest,
  readStoredIngest,
  removeCache,
  storeIngest,
  type IngestPlan,
} from "./ingest-cache.js";
import { foldArchive } from "../sources/nomad/parallel-fold.js";
import { accountsTable, problemsTable, spansTable, usersTable } from "../model/schema.js";
import { nomadAccountsAndSpansSql } from "../sources/nomad/records.js";
import { readUsers } from "../sources/nomad/users.js";

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

/**
 * The archive's tables in an in-memory database, read from the archive as far as the ingest cache cannot tell them.
 * A cache that cannot serve (CacheUnusable: held by another process, unwritable, damaged) costs a warning and a
 * whole read of the archive, never the run; a damaged one is replaced by a fresh one when its folder takes it.
 */
export async function loadArchive(archive: string, options: LoadOptions = {}): Promise<AccountingDatabase> {
  const listing = await listSnapshotFiles(archive, { verifyContent: options.verifyContent });
  // The cache and its write-ahead log hold owner ids: whatever DuckDB creates now is its owner's only.
  const umask = process.umask(0o077);
  try {
    let database: AccountingDatabase;
    if (options.cache === undefined) database = await loadWithoutCache(archive, listing, options);
    else {
      try {
        database = await loadThroughCache(archive, listing, options.cache, options);
      } catch (error) {
        if (!(error instanceof CacheUnusable)) throw error;
        options.onWarning?.(error.message);
        if (error.kind === "damaged") removeCache(options.cache);
        database = await loadWithoutCache(archive, listing, options, error.kind === "damaged" ? options.cache : undefined);
      }
    }
    await finish(database, archive, options);
    return database;
  } finally {
    process.umask(umask);
  }
}

/** Reads through the cache of `folder`: only what it cannot tell. Throws CacheUnusable when it cannot serve. */
async function loadThroughCache(archive: string, listing: SnapshotListing, folder: string, options: LoadOptions): Promise<AccountingDatabase> {
  const database = await createDatabase();
  const { connection } = database;
  try {
    await attachCache(connection, folder);
    const version = ingestVersion();
    let plan: IngestPlan = planIngest(await readStoredIngest(connection, folder), listing, version);
    if (plan.kind === "resume") {
      const { from } = plan;
      const fold = foldSnapshots(archive, plan.files, from, options.onProgress);
      if (fold.state.namespaces.length > from.namespaces.length) plan = { kind: "full", reason: "a new namespace" };
      else await cacheStep(folder, () => appendFold(connection, fold, from, { version, listing, fold: fold.state }));
    }
    if (plan.kind === "full") {
      const fold = await foldArchive(archive, listing.files, { threads: options.threads, onProgress: options.onProgress });
      await cacheStep(folder, () => storeIngest(connection, fold, { version, listing, fold: fold.state }));
    }
    await cacheStep(folder, async () => {
      await loadCachedTables(connection);
      await connection.run(`DETACH ${CACHE_CATALOG}`);
    });
    return database;
  } catch (error) {
    database.close();
    throw error;
  }
}

/**
 * Reads the whole archive, folding into a cache in memory; then, given a `fresh` folder (its damaged cache removed),
 * stores what it read there as a new cache if the folder takes it (a warning otherwise).
 */
async function loadWithoutCache(archive: string, listing: SnapshotListing, options: LoadOptions, fresh?: string): Promise<AccountingDatabase> {
  const database = await createDatabase();
  const { connection } = database;
  try {
    await attachMemoryCache(connection);
    const fold = await foldArchive(archive, listing.files, { threads: options.threads, onProgress: options.onProgress });
    const stored = { version: ingestVersion(), listing, fold: fold.state };
    await storeIngest(connection, fold, stored);
    await loadCachedTables(connection);
    await connection.run(`DETACH ${CACHE_CATALOG}`);
    if (fresh !== undefined) {
      try {
        await attachCache(connection, fresh);
        await cacheStep(fresh, () => storeIngest(connection, fold, stored));
        await connection.run(`DETACH ${CACHE_CATALOG}`);
      } catch (error) {
        if (!(error instanceof CacheUnusable)) throw error;
        options.onWarning?.(error.message);
        removeCache(fresh);
      }
    }
    return database;
  } catch (error) {
    database.close();
    throw error;
  }
}

/** What every load ends with: the accounts and spans of every source, no job title unless private, and the users table when asked. */
async function finish(database: AccountingDatabase, archive: string, options: LoadOptions): Promise<void> {
  const { connection } = database;
  await createTable(connection, accountsTable, []);
  await createTable(connection, spansTable, []);
  for (const sql of nomadAccountsAndSpansSql()) await connection.run(sql);
  if (!options.users?.private) await connection.run("UPDATE jobs SET title = NULL");
  if (options.users) await addUsers(database, archive, options.users.pseudonymKey, options.users.private);
}

/** The users table from the owners seen; in a private build, the user database's names, and its problems if broken. */
async function addUsers(database: AccountingDatabase, archive: string, pseudonymKey: string, privateBuild: boolean): Promise<void> {
  const owners = (await database.connection.runAndReadAll("SELECT owner FROM owners ORDER BY owner")).getRowObjectsJS().map((row) => row.owner as string);
  const { users, problems } = await readUsers(archive, owners, pseudonymKey, privateBuild);
  await createTable(database.connection, usersTable, users);
  await appendRows(database.connection, problemsTable, problems);
}
