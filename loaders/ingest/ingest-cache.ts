import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { SnapshotFile, SnapshotListing } from "../sources/nomad/archive.js";
import { isCompiled } from "./compiled.js";
import type { Environment } from "./environment.js";
import { createTable, mappedRows } from "./database.js";
import { contentFingerprint } from "../site/fingerprint.js";
import { snapshotRows, type FoldState, type SnapshotsFold } from "../sources/nomad/fold.js";
import { absorbLater, jobKey, type JobSummary } from "../sources/nomad/jobs.js";
import { intervalRecord, jobRecord, jobSummaryOf } from "../sources/nomad/records.js";
import { intervalsTable, jobsTable, problemsTable, snapshotsTable, type TableSchema } from "../model/schema.js";
import { hashSumSql, sqlIdentifier as quote, sqlString } from "../queries/sql.js";

/**
 * The ingest cache: the tables of the last ingest of an archive, with the listing it read and where its fold
 * stopped, in a DuckDB file. When the archive has only gained files after the last one read, the fold goes on
 * from there; any other change (a file changed, deleted, renamed, or added among older ones) means a full ingest.
 */

export const CACHE_FILE = "ingest.duckdb";
/** Attached under this name beside the in-memory database. */
export const CACHE_CATALOG = "ingest_cache";

const ownersTable: TableSchema<string, "owners"> = {
  name: "owners",
  doc: "every owner id seen in any snapshot",
  columns: [{ name: "owner", type: "VARCHAR", doc: "owner id", value: (owner) => owner }],
  orderBy: ["owner"],
};

/** The tables the cache holds, made of the snapshots. */
export const CACHED_TABLES = [intervalsTable, snapshotsTable, problemsTable, jobsTable, ownersTable] as const;

export interface StoredIngest {
  /** The code that wrote it: another version of the pipeline starts over. */
  version: string;
  listing: SnapshotListing;
  fold: FoldState;
}

export type IngestPlan = { kind: "current" } | { kind: "resume"; files: SnapshotFile[]; from: FoldState } | { kind: "full"; reason: string };

/** `$ACCOUNTING_CACHE`, else `$XDG_CACHE_HOME/cluster-accounting/<hash of the archive's real path>`. */
export function cacheFolderFor(archive: string, environment: Pick<Environment, "cache" | "cacheHome">): string {
  if (environment.cache) return resolve(environment.cache);
  let path = resolve(archive);
  try {
    path = realpathSync(path);
  } catch {
    // a missing archive is reported when it is listed
  }
  return join(environment.cacheHome, "cluster-accounting", createHash("sha256").update(path).digest("hex").slice(0, 16));
}

/** Beside the bundled command (`lib/`): the version of the sources it was bundled from. */
export const COMPILED_VERSION_FILE = "ingest-version.txt";

/**
 * What a cache was written by: a fingerprint of the pipeline's TypeScript sources. Compiled, the pipeline reads the
 * fingerprint its build recorded (scripts/build-cli.ts): the command and the site's build, which runs the sources,
 * then share a cache, and a build older than the sources does not pass for them.
 */
export function ingestVersion(): string {
  if (isCompiled(import.meta.url)) return readFileSync(new URL(COMPILED_VERSION_FILE, import.meta.url), "utf8");
  return contentFingerprint([fileURLToPath(new URL("..", import.meta.url))], ["ingest cache 1"]);
}

/** What tells a file's bytes changed since it was read: its size and modification time, and their SHA-256 if asked. */
export interface FileStamp {
  size: number;
  mtime: number;
  sha256?: string;
}

/**
 * A file already read, listed again unchanged: the same size and modification time, and, when the listing hashed the
 * files' bytes, the same hash. A file read without a hash counts as changed then.
 */
export const unchanged = (read: FileStamp, listed: FileStamp): boolean =>
  read.size === listed.size && read.mtime === listed.mtime && (listed.sha256 === undefined || read.sha256 === listed.sha256);

/** What an ingest has to read, given what the cache holds. */
export function planIngest(stored: StoredIngest | undefined, listing: SnapshotListing, version: string): IngestPlan {
  if (!stored) return { kind: "full", reason: "no cache" };
  if (stored.version !== version) return { kind: "full", reason: "the cache was written by another version" };
  if (JSON.stringify(stored.listing.problems) !== JSON.stringify(listing.problems)) return { kind: "full", reason: "files that are not snapshots changed" };
  const known = stored.listing.files;
  const moved = (read: SnapshotFile, index: number) => {
    const listed = listing.files[index];
    return listed === undefined || read.file !== listed.file || !unchanged(read, listed);
  };
  if (known.some(moved)) return { kind: "full", reason: "snapshot files changed, moved or were deleted" };
  const files = listing.files.slice(known.length);
  if (files.length === 0) return { kind: "current" };
  const last = known.at(-1)?.time;
  if (last === undefined || (files[0] as SnapshotFile).time <= last) return { kind: "full", reason: "new snapshot files are older than the last one read" };
  return { kind: "resume", files, from: stored.fold };
}

/**
 * Why a cache cannot serve this run: another process holds it (`locked`); its folder or disk refuses writes
 * (`unwritable`); or it cannot be trusted (`damaged`: not a database, truncated, another format, or its tables no longer
 * match their checksum). The run then goes on without it; a damaged cache is replaced when it can be written.
 */
export class CacheUnusable extends Error {
  constructor(
    readonly kind: "locked" | "unwritable" | "damaged",
    readonly folder: string,
    cause: string,
  ) {
    super(
      `ingest cache ${folder} ${kind === "locked" ? "is in use by another process" : kind === "unwritable" ? "cannot be written" : "is damaged"} (${cause}): reading the whole archive${kind === "damaged" ? ", and writing a fresh cache" : ""}`,
    );
  }
}

/** DuckDB's own words for a lock another process holds; nothing else counts as a lock. */
const LOCK_CONFLICT = /Could not set lock on file|Conflicting lock is held/;
/** What the file system says when it will not take a write. */
const REFUSED_WRITE =
  /EACCES|EPERM|EROFS|ENOSPC|EDQUOT|ENOTDIR|EEXIST|Permission denied|Read-only file system|No space left on device|Disk quota exceeded|Not a directory/i;

/** The first line of an error's message, without DuckDB's pointers to its documentation. */
function firstLine(error: unknown): string {
  return (
    String((error as Error).message ?? error)
      .split("\n")[0]
      ?.replace(/\. See also .*/, "") ?? ""
  );
}

/** Runs one step on the cache of `folder`: any failure of it is a CacheUnusable of the kind its message tells. */
export async function cacheStep<T>(folder: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof CacheUnusable) throw error;
    const message = firstLine(error);
    throw new CacheUnusable(
      LOCK_CONFLICT.test(message)
        ? "locked"
        : REFUSED_WRITE.test(message) || REFUSED_WRITE.test(String((error as NodeJS.ErrnoException).code))
          ? "unwritable"
          : "damaged",
      folder,
      message,
    );
  }
}

/** Attaches an empty cache in memory: a run without a cache folds into it as into a persistent one. */
export async function attachMemoryCache(connection: DuckDBConnection): Promise<void> {
  await connection.run(`ATTACH ':memory:' AS ${CACHE_CATALOG}`);
}

/**
 * Beside the cache file, what it was when the last run that used it let it go (cacheFileStamp). A run that finds the
 * file so trusts the sums its state stores (checkedSums) instead of hashing every cached row again: whatever else
 * changes the file (a write, a copy, a file put in its place, a modification time set back, which moves its
 * status-change time) changes the stamp, and the next run hashes the whole cache.
 */
export const STAMP_FILE = "ingest.stamp";

/** The cache file's device, inode, size, modification and status-change times (ns); none while it has a write-ahead log. */
function cacheFileStamp(folder: string): string | undefined {
  const path = join(folder, CACHE_FILE);
  try {
    if (existsSync(`${path}.wal`)) return undefined;
    const info = statSync(path, { bigint: true });
    return [info.dev, info.ino, info.size, info.mtimeNs, info.ctimeNs].join(":");
  } catch {
    return undefined;
  }
}

/**
 * Attaches the cache file of `folder` (created readable by its owner only, as is the folder); throws CacheUnusable.
 * Returns whether the file is as the last run left it (STAMP_FILE), now that this process holds it.
 */
export async function attachCache(connection: DuckDBConnection, folder: string): Promise<boolean> {
  return cacheStep(folder, async () => {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const path = join(folder, CACHE_FILE);
    await connection.run(`ATTACH ${sqlString(path)} AS ${CACHE_CATALOG}`);
    // A file made by an earlier version, or before the process's umask was set, keeps no wider mode. Only then: a
    // change of mode moves the file's status-change time, its stamp.
    for (const file of [path, `${path}.wal`]) if (existsSync(file) && (statSync(file).mode & 0o777) !== 0o600) chmodSync(file, 0o600);
    const stamp = cacheFileStamp(folder);
    return stamp !== undefined && recordedStamp(folder) === stamp;
  });
}

/**
 * Forgets the stamp of the cache of `folder`, so that the next run hashes every cached row: after a run that failed
 * while it read the tables in the cache (loadCachedTables' `inPlace`), whose file may be damaged where no hash looked.
 */
export function forgetStamp(folder: string): void {
  try {
    rmSync(join(folder, STAMP_FILE), { force: true });
  } catch {
    // a folder that cannot be written keeps its stamp: the run's own error is the one told
  }
}

/** The stamp the last run recorded, if any. */
function recordedStamp(folder: string): string | undefined {
  try {
    return readFileSync(join(folder, STAMP_FILE), "utf8");
  } catch {
    return undefined;
  }
}

/** Detaches the cache of `folder` (DuckDB writes what it logged into the file), then records the file's stamp. */
export async function detachCache(connection: DuckDBConnection, folder: string): Promise<void> {
  await connection.run(`DETACH ${CACHE_CATALOG}`);
  recordStamp(folder);
}

/**
 * Records the stamp of the cache file of `folder`, once no database holds it: DuckDB, detaching it or closing, writes
 * what it logged into the file. A file still logging (a database that could not write it) gets none.
 */
export function recordStamp(folder: string): void {
  const stamp = cacheFileStamp(folder);
  try {
    if (stamp !== undefined) writeFileSync(join(folder, STAMP_FILE), stamp, { mode: 0o600 });
  } catch {
    // without a stamp, the next run hashes the whole cache
  }
}

/** Removes a damaged cache file, so that the next attach starts an empty one. */
export function removeCache(folder: string): void {
  const path = join(folder, CACHE_FILE);
  try {
    for (const file of [path, `${path}.wal`, join(folder, STAMP_FILE)]) rmSync(file, { force: true });
  } catch {
    // a folder that cannot be written keeps what it has; the next run finds it damaged again
  }
}

const table = (name: string) => `${CACHE_CATALOG}.${quote(name)}`;

/**
 * Each cached table's row count and the sum of its rows' 64-bit hashes (rowChecksumSql's parts): any value altered, row
 * added or row lost shows. Computed whole (tableSums) or updated by what changed (appendFold); stored as
 * `<table>:<count>:<sum>`, in the order of the tables' names, joined by `;` (formatSums).
 */
export type TableSums = Map<string, { count: bigint; sum: bigint }>;

/** The count and hash sum (as TableSums) of the rows `from` names, a table aliased `t`: `FROM x t WHERE …`. */
export async function sumOf(connection: DuckDBConnection, from: string): Promise<{ count: bigint; sum: bigint }> {
  const [row] = (await connection.runAndReadAll(`SELECT count(*)::VARCHAR AS count, ${hashSumSql("t")}::VARCHAR AS sum ${from}`)).getRowsJS();
  return { count: BigInt(String(row?.[0])), sum: BigInt(String(row?.[1])) };
}

/** Adds (`sign` 1) or takes away (-1) the sums of `rows` to those of table `name`. */
export function changeSums(sums: TableSums, name: string, rows: { count: bigint; sum: bigint }, sign: bigint): void {
  const before = sums.get(name) ?? { count: 0n, sum: 0n };
  sums.set(name, { count: before.count + sign * rows.count, sum: before.sum + sign * rows.sum });
}

/** Every cached table's sums, reading the whole cache. */
async function tableSums(connection: DuckDBConnection): Promise<TableSums> {
  const sums: TableSums = new Map();
  // A table's alias stands for its row, as a struct: hashing t hashes every column.
  for (const { name } of CACHED_TABLES) sums.set(name, await sumOf(connection, `FROM ${table(name)} t`));
  return sums;
}

export const formatSums = (sums: TableSums) =>
  [...sums]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, { count, sum }]) => `${name}:${count}:${sum}`)
    .join(";");

/**
 * The sums of a cache's tables, checked against those its state stores (`stored`, as formatSums wrote them; an Error
 * if they differ): computed whole, or taken as stored when the cache file is `trusted` (STAMP_FILE).
 */
export async function checkedSums(stored: string, trusted: boolean, compute: () => Promise<TableSums>): Promise<TableSums> {
  if (trusted) return parseSums(stored);
  const sums = await compute();
  if (formatSums(sums) !== stored) throw new Error("its tables do not match their checksum");
  return sums;
}

function parseSums(text: string): TableSums {
  return new Map(
    text.split(";").map((part) => {
      const [name, count, sum] = part.split(":");
      return [name as string, { count: BigInt(count as string), sum: BigInt(sum as string) }];
    }),
  );
}

/** A checksum of everything a cache state returns: its tables' sums (formatSums), then what else it stores, as text. */
export function stateChecksum(tables: string, ...stored: string[]): string {
  const hash = createHash("sha256").update(tables);
  for (const part of stored) hash.update("\0").update(part);
  return hash.digest("hex");
}

/** Whether the cache has a table `name` (its state tables are made by the first run that writes them). */
export async function hasCacheTable(connection: DuckDBConnection, name: string): Promise<boolean> {
  const found = await connection.runAndReadAll(
    `SELECT 1 FROM duckdb_tables() WHERE database_name = ${sqlString(CACHE_CATALOG)} AND table_name = ${sqlString(name)}`,
  );
  return found.currentRowCount > 0;
}

/**
 * What the cache holds, checked against its checksum (its tables' sums computed whole unless its file is `trusted`,
 * checkedSums): undefined for an empty cache; a CacheUnusable (damaged) when anything it would return differs from
 * what was stored.
 */
export async function readStoredIngest(connection: DuckDBConnection, folder: string, trusted: boolean): Promise<StoredIngest | undefined> {
  return cacheStep(folder, async () => {
    if (!(await hasCacheTable(connection, "ingest_state"))) return undefined;
    const rows = (await connection.runAndReadAll(`SELECT version, listing, fold FROM ${table("ingest_state")}`)).getRowObjectsJS();
    const row = rows[0] as { version: string; listing: string; fold: string } | undefined;
    if (!row) throw new Error("its state is missing");
    // Another version's cache is read again whole (planIngest): nothing of it is used, so nothing to check, and its
    // state may lack the columns read next.
    if (row.version === ingestVersion()) {
      const [stored] = (await connection.runAndReadAll(`SELECT tables, checksum FROM ${table("ingest_state")}`)).getRowObjectsJS();
      const tables = formatSums(await checkedSums(String(stored?.tables), trusted, () => tableSums(connection)));
      if (stateChecksum(tables, row.listing, row.fold) !== stored?.checksum) throw new Error("its tables do not match their checksum");
    }
    return { version: row.version, listing: JSON.parse(row.listing), fold: JSON.parse(row.fold) };
  });
}

/** Stores the state of the tables whose sums are `sums`. */
async function storeState(connection: DuckDBConnection, stored: StoredIngest, sums: TableSums): Promise<void> {
  const state = { listing: JSON.stringify(stored.listing), fold: JSON.stringify(stored.fold) };
  const tables = formatSums(sums);
  await connection.run(`CREATE OR REPLACE TABLE ${table("ingest_state")} (version VARCHAR, listing VARCHAR, fold VARCHAR, tables VARCHAR, checksum VARCHAR)`);
  const values = [stored.version, state.listing, state.fold, tables, stateChecksum(tables, state.listing, state.fold)].map(sqlString).join(", ");
  await connection.run(`INSERT INTO ${table("ingest_state")} VALUES (${values})`);
}

/** Replaces the whole cache with what a full ingest read. */
export async function storeIngest(connection: DuckDBConnection, fold: SnapshotsFold, stored: StoredIngest): Promise<void> {
  await connection.run("BEGIN TRANSACTION");
  await createTable(connection, intervalsTable, mappedRows(fold.intervals, intervalRecord), CACHE_CATALOG);
  await createTable(connection, snapshotsTable, snapshotRows(fold), CACHE_CATALOG);
  await createTable(connection, problemsTable, [...stored.listing.problems, ...fold.problems], CACHE_CATALOG);
  await createTable(connection, jobsTable, mappedRows(fold.jobs, jobRecord), CACHE_CATALOG);
  await createTable(connection, ownersTable, fold.owners, CACHE_CATALOG);
  await storeState(connection, stored, await tableSums(connection));
  await connection.run("COMMIT");
}

async function knownJobs(connection: DuckDBConnection, later: JobSummary[]): Promise<Map<string, JobSummary>> {
  const keys = jobsTable.columns.filter((column) => column.name === "account" || column.name === "job_id");
  await createTable(connection, { ...jobsTable, name: "later_jobs", columns: keys }, later.map(jobRecord), "temp");
  const micros = (column: string) => `epoch_us(j.${column})::DOUBLE AS ${column}`;
  const result = await connection.runAndReadAll(
    `SELECT j.account, j.job_id, j.kind, j.owner, j.title, j.docker_image, j.datacenter, ${["submit_time", "start_time", "end_time", "first_seen", "last_seen"].map(micros).join(", ")}, j.state
FROM ${table("jobs")} j JOIN temp.later_jobs USING (account, job_id)`,
  );
  const known = new Map<string, JobSummary>();
  for (const row of result.getRowObjectsJS() as unknown as Parameters<typeof jobSummaryOf>[0][]) known.set(jobKey(row.account, row.job_id), jobSummaryOf(row));
  return known;
}

/**
 * Adds to the cache what files after its last one yielded, folded on from its state. Its tables' sums, checked by
 * readStoredIngest, are updated by the rows replaced and added: no other row is hashed again.
 */
export async function appendFold(connection: DuckDBConnection, fold: SnapshotsFold, from: FoldState, stored: StoredIngest): Promise<void> {
  const known = await knownJobs(connection, fold.jobs);
  const jobs = fold.jobs.map((later) => {
    const earlier = known.get(jobKey(later.namespace, later.jobId));
    if (!earlier) return later;
    absorbLater(earlier, later);
    return earlier;
  });
  await connection.run("BEGIN TRANSACTION");
  const [state] = (await connection.runAndReadAll(`SELECT tables FROM ${table("ingest_state")}`)).getRowsJS();
  const sums = parseSums(String(state?.[0]));
  /** Deletes the rows of cache table `name` (aliased `t`) that `match` holds for, out of its sums first. */
  const remove = async (name: string, match: string) => {
    changeSums(sums, name, await sumOf(connection, `FROM ${table(name)} t WHERE ${match}`), -1n);
    await connection.run(`DELETE FROM ${table(name)} t WHERE ${match}`);
  };
  /** Appends the rows of temp table `staged` to cache table `name`, in order, into its sums first. */
  const add = async (name: string, staged: string) => {
    changeSums(sums, name, await sumOf(connection, `FROM temp.${quote(staged)} t`), 1n);
    await connection.run(`INSERT INTO ${table(name)} FROM temp.${quote(staged)}`);
  };
  const append = async <Row>(schema: TableSchema<Row, string>, rows: readonly Row[]) => {
    await createTable(connection, { ...schema, name: `staged_${schema.name}` }, rows, "temp");
    await add(schema.name, `staged_${schema.name}`);
  };
  await createTable(
    connection,
    { ...intervalsTable, name: "reopened", columns: intervalsTable.columns.filter((c) => ["account", "job_id", "first_snapshot"].includes(c.name)) },
    from.open.map((run) => intervalRecord(run.interval)),
    "temp",
  );
  await remove(
    "intervals",
    "EXISTS (SELECT 1 FROM temp.reopened r WHERE t.account = r.account AND t.job_id = r.job_id AND t.first_snapshot = r.first_snapshot)",
  );
  await remove("jobs", "EXISTS (SELECT 1 FROM temp.later_jobs l WHERE t.account = l.account AND t.job_id = l.job_id)");
  await append(intervalsTable, fold.intervals.map(intervalRecord));
  await append(jobsTable, jobs.map(jobRecord));
  await append(snapshotsTable, snapshotRows(fold));
  await append(problemsTable, fold.problems);
  await createTable(connection, { ...ownersTable, name: "later_owners" }, fold.owners, "temp");
  await connection.run(`CREATE OR REPLACE TEMP TABLE staged_owners AS SELECT owner FROM temp.later_owners EXCEPT SELECT owner FROM ${table("owners")}`);
  await add("owners", "staged_owners");
  await storeState(connection, stored, sums);
  await connection.run("COMMIT");
}

/** The jobs' columns as a build holds them: every one, but their titles (typed by users) only when `titles` (a private build). */
export const jobsColumnsSql = (titles: boolean) => (titles ? "SELECT *" : "SELECT * REPLACE (NULL::VARCHAR AS title)");

/**
 * Copies the cached tables into the in-memory database. Reports and the site's copy scan intervals, snapshots
 * and problems in order, and floating-point sums depend on it: those come in their documented order (problems
 * in the order found), as after a full ingest. Jobs and owners are only ever read sorted. The jobs' titles come only
 * when `titles` (a private build): otherwise none is held in memory.
 *
 * `inPlace`, for a run that only writes the tables out (`ingest --out`, whose files have an order of their own): the
 * tables are read where they are, in the cache, through views of the same names, so that the run costs what a snapshot
 * changed rather than a copy of the whole archive (measured at ten times AI4OS's jobs: 1.4 s, and half the memory).
 * Their rows then come in the cache's order, not the documented one: nothing summing floating-point numbers may read
 * them. The problems, which such a run appends to (the user database's) and blanks, are copied all the same. The
 * cache must stay attached until the database closes.
 */
export async function loadCachedTables(connection: DuckDBConnection, titles: boolean, inPlace = false): Promise<void> {
  const scanOrder: Record<string, string> = {
    intervals: intervalsTable.orderBy.map(quote).join(", "),
    snapshots: snapshotsTable.orderBy.map(quote).join(", "),
    problems: "rowid",
    jobs: "",
    owners: "",
  };
  for (const { name } of CACHED_TABLES) {
    const columns = name === "jobs" ? jobsColumnsSql(titles) : "SELECT *";
    if (inPlace && name !== "problems") await connection.run(`CREATE VIEW memory.${quote(name)} AS ${columns} FROM ${table(name)}`);
    else await connection.run(`CREATE TABLE memory.${quote(name)} AS ${columns} FROM ${table(name)}${scanOrder[name] ? ` ORDER BY ${scanOrder[name]}` : ""}`);
  }
}
