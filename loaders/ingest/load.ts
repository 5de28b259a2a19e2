import { existsSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { ArchiveError, listSnapshotFiles, SNAPSHOTS_FOLDER, type SnapshotListing } from "../sources/nomad/archive.js";
import { batchAccountsAndSpansSql, ingestBatchFiles, listBatchFiles, type BatchListing } from "./batch.js";
import { readThroughCache, type BatchTables } from "./batch-cache.js";
import { appendRows, createDatabase, createTable, onEveryCore, type AccountingDatabase } from "./database.js";
import { foldSnapshots, type Progress } from "../sources/nomad/fold.js";
import {
  appendFold,
  attachCache,
  attachMemoryCache,
  CACHE_CATALOG,
  CACHED_TABLES,
  CacheUnusable,
  cacheStep,
  detachCache,
  ingestVersion,
  loadCachedTables,
  planIngest,
  readStoredIngest,
  recordStamp,
  removeCache,
  storeIngest,
  type IngestPlan,
} from "./ingest-cache.js";
import { foldArchive } from "../sources/nomad/parallel-fold.js";
import { accountsTable, problemsTable, spansTable, usersTable, type TableSchema } from "../model/schema.js";
import { BATCH_SOURCES } from "../sources/batch/sources.js";
import { nomadAccountsAndSpansSql } from "../sources/nomad/records.js";
import { readUsers } from "../sources/nomad/users.js";
import { RECORDED_RESOURCES_SQL } from "../queries/report.js";

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
  /**
   * For a run that only writes the tables out (`ingest --out`): an archive of snapshots alone, or of batch records
   * alone, read through its cache, leaves the cached tables there rather than copying them (loadCachedTables,
   * readThroughCache), the cache held until the database closes; their rows are then in no documented order.
   */
  inPlace?: boolean;
  onProgress?: Progress;
  onWarning?: (message: string) => void;
}

/**
 * The archive's tables in an in-memory database: its Nomad snapshots (`snapshots/`) read as far as the ingest cache
 * cannot tell them, and its batch records (`slurm/`, `sge/`, `flux/`) from the files it has not read as they are now.
 */
export async function loadArchive(archive: string, options: LoadOptions = {}): Promise<AccountingDatabase> {
  const batch = await listBatchFiles(archive);
  const nomad = existsSync(join(archive, SNAPSHOTS_FOLDER));
  if (!nomad && batch.folders.length === 0 && existsSync(archive)) {
    const folders = [SNAPSHOTS_FOLDER, ...BATCH_SOURCES.map((source) => source.folder)].map((folder) => `${folder}/`);
    throw new ArchiveError(`no records in ${archive}: it has no ${folders.slice(0, -1).join(", ")} or ${folders.at(-1)} folder`);
  }
  const listing = nomad || batch.folders.length === 0 ? await listSnapshotFiles(archive, { verifyContent: options.verifyContent }) : undefined;
  // The cache and its write-ahead log hold owner ids: whatever DuckDB creates now is its owner's only.
  const umask = process.umask(0o077);
  try {
    // The batch records are merged into the snapshots' tables: those are then in memory. Either kind alone may be read
    // in place.
    const snapshotsOptions = { ...options, inPlace: options.inPlace === true && batch.folders.length === 0 };
    const { database, cache } = listing ? await loadSnapshots(archive, listing, snapshotsOptions) : { database: await emptyDatabase(), cache: options.cache };
    let held = false;
    try {
      // Runs are made one by keys, never by the order rows come in (batch.ts, batch-cache.ts): every core can do it.
      if (batch.folders.length > 0) {
        const inPlace = options.inPlace === true && !listing ? { titles: options.users?.private ?? false } : undefined;
        held = await onEveryCore(database, () => readBatch(database.connection, archive, batch, cache, { ...options, inPlace }), options.threads);
      }
      await finish(database, archive, batch, options, held);
    } catch (error) {
      database.close();
      throw error;
    }
    return held && cache !== undefined ? holdingCache(database, cache) : database;
  } finally {
    process.umask(umask);
  }
}

/**
 * The archive's snapshots folder folded into tables, through the cache when there is one. A cache that cannot serve
 * (CacheUnusable: held by another process, unwritable, damaged) costs a warning and a whole read, never the run; the
 * batch records then go without it too (`cache` undefined), so that a run warns once.
 */
async function loadSnapshots(archive: string, listing: SnapshotListing, options: LoadOptions): Promise<{ database: AccountingDatabase; cache?: string }> {
  if (options.cache === undefined) return { database: await loadWithoutCache(archive, listing, options) };
  try {
    return { database: await loadThroughCache(archive, listing, options.cache, options), cache: options.cache };
  } catch (error) {
    const damaged = setAside(error, options.cache, options);
    return { database: await loadWithoutCache(archive, listing, options, damaged ? options.cache : undefined) };
  }
}

/**
 * A cache that could not serve (CacheUnusable; anything else is thrown again): a warning saying why, and the cache
 * removed if damaged. Returns whether it was: a fresh cache may then be written in its place.
 */
function setAside(error: unknown, folder: string, options: Pick<LoadOptions, "onWarning">): boolean {
  if (!(error instanceof CacheUnusable)) throw error;
  options.onWarning?.(error.message);
  if (error.kind === "damaged") removeCache(folder);
  return error.kind === "damaged";
}

/**
 * The archive's batch records, through the cache when there is one: only the files new or changed since it read them.
 * A cache that cannot serve costs a warning and a whole read; a damaged one is replaced, once. Returns whether the
 * tables are read in place (BatchTables), the cache then attached.
 */
async function readBatch(
  connection: DuckDBConnection,
  archive: string,
  batch: BatchListing,
  cache: string | undefined,
  options: Omit<LoadOptions, "inPlace"> & BatchTables,
): Promise<boolean> {
  for (let attempt = 0; cache !== undefined && attempt < 2; attempt++) {
    try {
      return await readThroughCache(connection, archive, batch, cache, { ...options, onDetachFailure: (error) => setAside(error, cache, options) });
    } catch (error) {
      if (!setAside(error, cache, options)) break;
    }
  }
  await ingestBatchFiles(connection, archive, batch, options.onProgress);
  return false;
}

/** The tables of an archive with no snapshots folder, empty, for its batch records to fill. */
async function emptyDatabase(): Promise<AccountingDatabase> {
  const database = await createDatabase();
  for (const table of CACHED_TABLES) await createTable(database.connection, table as TableSchema<unknown>, []);
  return database;
}

/**
 * A new database, `load`ed on every core (or `threads`; onEveryCore), then on one thread for the queries after it;
 * closed if loading fails.
 */
async function loadedDatabase(threads: number | undefined, load: (connection: DuckDBConnection) => Promise<void>): Promise<AccountingDatabase> {
  const database = await createDatabase();
  try {
    await onEveryCore(database, () => load(database.connection), threads);
    return database;
  } catch (error) {
    database.close();
    throw error;
  }
}

/**
 * Reads through the cache of `folder`: only what it cannot tell. Throws CacheUnusable when it cannot serve. With
 * `inPlace`, the database holds the cache until it closes, and records the cache file's stamp then.
 */
async function loadThroughCache(archive: string, listing: SnapshotListing, folder: string, options: LoadOptions): Promise<AccountingDatabase> {
  const database = await loadedDatabase(options.threads, async (connection) => {
    const trusted = await attachCache(connection, folder);
    const version = ingestVersion();
    let plan: IngestPlan = planIngest(await readStoredIngest(connection, folder, trusted), listing, version);
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
      await loadCachedTables(connection, options.users?.private ?? false, options.inPlace);
      if (!options.inPlace) await detachCache(connection, folder);
    });
  });
  return options.inPlace ? holdingCache(database, folder) : database;
}

/** A database reading the tables of the cache of `folder` in place: the cache file's stamp is recorded when it closes. */
function holdingCache(database: AccountingDatabase, folder: string): AccountingDatabase {
  return {
    ...database,
    close() {
      database.close();
      recordStamp(folder);
    },
  };
}

/**
 * Reads the whole archive, folding into a cache in memory; then, given a `fresh` folder (its damaged cache removed),
 * stores what it read there as a new cache if the folder takes it (a warning otherwise).
 */
async function loadWithoutCache(archive: string, listing: SnapshotListing, options: LoadOptions, fresh?: string): Promise<AccountingDatabase> {
  return loadedDatabase(options.threads, async (connection) => {
    await attachMemoryCache(connection);
    const fold = await foldArchive(archive, listing.files, { threads: options.threads, onProgress: options.onProgress });
    const stored = { version: ingestVersion(), listing, fold: fold.state };
    await storeIngest(connection, fold, stored);
    await loadCachedTables(connection, options.users?.private ?? false);
    await connection.run(`DETACH ${CACHE_CATALOG}`);
    if (fresh === undefined) return;
    try {
      await attachCache(connection, fresh);
      await cacheStep(fresh, () => storeIngest(connection, fold, stored));
      await detachCache(connection, fresh);
    } catch (error) {
      setAside(error, fresh, options);
      // Whatever stopped it, the fresh cache holds part of what was written.
      removeCache(fresh);
    }
  });
}

/**
 * What every load ends with: the accounts and spans of every source, which resources each account's runs record, no
 * job title unless private, and the users table when asked.
 */
async function finish(database: AccountingDatabase, archive: string, batch: BatchListing, options: LoadOptions, inPlace: boolean): Promise<void> {
  const { connection } = database;
  await createTable(connection, accountsTable, []);
  await createTable(connection, spansTable, []);
  for (const sql of nomadAccountsAndSpansSql()) await connection.run(sql);
  if (batch.folders.length > 0) for (const sql of batchAccountsAndSpansSql()) await connection.run(sql);
  await connection.run(`CREATE TABLE recorded_resources AS ${RECORDED_RESOURCES_SQL}`);
  // The snapshots' jobs come without titles (loadCachedTables), as do the batch records' read in place; those copied have theirs.
  if (!options.users?.private && batch.folders.length > 0 && !inPlace) await connection.run("UPDATE jobs SET title = NULL");
  if (options.users) await addUsers(database, archive, options.users.pseudonymKey, options.users.private);
}

/** The users table from the owners seen; in a private build, the user database's names, and its problems if broken. */
async function addUsers(database: AccountingDatabase, archive: string, pseudonymKey: string, privateBuild: boolean): Promise<void> {
  const owners = (await database.connection.runAndReadAll("SELECT owner FROM owners ORDER BY owner")).getRowObjectsJS().map((row) => row.owner as string);
  const { users, problems } = await readUsers(archive, owners, pseudonymKey, privateBuild);
  await createTable(database.connection, usersTable, users);
  await appendRows(database.connection, problemsTable, problems);
}
