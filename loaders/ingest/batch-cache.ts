import { statSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { createFileHasher } from "../sources/nomad/archive.js";
import type { Progress } from "../sources/nomad/fold.js";
import {
  createBatchStage,
  intervalsOfRunsSql,
  JOB_KEY,
  jobsOfRunsSql,
  LATEST_RECORD_FIRST,
  ownersAndSpansSql,
  RUN_KEY,
  stageBatchFiles,
  tablesOfRunsSql,
  type BatchListing,
  type ListedFile,
  type RankedFile,
} from "./batch.js";
import { appendRows, createTable } from "./database.js";
import {
  attachCache,
  CACHE_CATALOG,
  cacheStep,
  changeSums,
  checkedSums,
  detachCache,
  formatSums,
  hasCacheTable,
  jobsColumnsSql,
  ingestVersion,
  stateChecksum,
  sumOf,
  unchanged,
  type FileStamp,
  type TableSums,
} from "./ingest-cache.js";
import { jobsTable, problemsTable, type TableSchema } from "../model/schema.js";
import type { Problem } from "../model/records.js";
import { sqlString } from "../queries/sql.js";

/**
 * The batch records (Slurm dumps, Grid Engine accounting files, Flux job records) in the ingest cache: each file's
 * records as read, kept while the file is listed again unchanged, so that a run after a new dump reads that dump
 * alone; and the runs made one from them (a later dump may say how an earlier one's job ended) and their jobs, kept
 * too: a run after a new dump makes one again only the runs that dump, or a file changed or gone, has records of, and
 * the jobs of those runs.
 */

/** A listed file, and what tells whether it changed since its records were cached. */
interface PathStamp extends FileStamp {
  path: string;
}

const RECORDS = `${CACHE_CATALOG}.batch_records`;
const PROBLEMS = `${CACHE_CATALOG}.batch_problems`;
const STATE = `${CACHE_CATALOG}.batch_state`;
/** A record per run: the one that describes it (LATEST_RECORD_FIRST), with its file. */
const RUNS = `${CACHE_CATALOG}.batch_runs`;
/** The jobs of those runs (jobsOfRunsSql), as the archive's jobs table has them. */
const JOBS = `${CACHE_CATALOG}.batch_jobs`;

/** SQL: the rows of `row` (an alias) whose key `columns` is one of temp table `keys`' (null equal to null). */
const keyIn = (row: string, keys: string, columns: readonly string[]) =>
  `EXISTS (SELECT 1 FROM temp.${keys} k WHERE ${columns.map((column) => `k.${column} IS NOT DISTINCT FROM ${row}.${column}`).join(" AND ")})`;

/** A file's problems as cached: each with the file it was found reading, and its place among that file's problems. */
interface CachedProblem {
  problem: Problem;
  readFrom: string;
  seq: number;
}

const cachedProblemsTable: TableSchema<CachedProblem, "batch_problems"> = {
  name: "batch_problems",
  doc: "",
  columns: [
    { name: "read_from", type: "VARCHAR", doc: "", value: (row) => row.readFrom },
    { name: "seq", type: "INTEGER", doc: "", value: (row) => row.seq },
    ...problemsTable.columns.map((column) => ({ ...column, value: (row: CachedProblem) => column.value(row.problem) })),
  ],
  orderBy: [],
};

/** Each listed file's stamp; a file that cannot be stat-ed gets one no cached file has, and is read (and fails) again. */
function stampFiles(archive: string, files: readonly ListedFile[], verifyContent: boolean): PathStamp[] {
  const hash = verifyContent ? createFileHasher() : undefined;
  return files.map(({ path }) => {
    const full = join(archive, path);
    try {
      const info = statSync(full);
      return { path, size: info.size, mtime: info.mtimeMs, ...(hash && { sha256: hash(full) }) };
    } catch {
      return { path, size: -1, mtime: -1 };
    }
  });
}

async function cachedSums(connection: DuckDBConnection): Promise<TableSums> {
  return new Map([
    ["batch_jobs", await sumOf(connection, `FROM ${JOBS} t`)],
    ["batch_problems", await sumOf(connection, `FROM ${PROBLEMS} t`)],
    ["batch_records", await sumOf(connection, `FROM ${RECORDS} t`)],
    ["batch_runs", await sumOf(connection, `FROM ${RUNS} t`)],
  ]);
}

/**
 * The stamps of the files the cache holds the records of, and its tables' sums, checked against its checksum (an Error
 * if they differ; computed whole unless the cache file is `trusted`, checkedSums); undefined when it holds none, or
 * those of another version of the pipeline.
 */
async function readCachedFiles(connection: DuckDBConnection, trusted: boolean): Promise<{ files: Map<string, FileStamp>; sums: TableSums } | undefined> {
  if (!(await hasCacheTable(connection, "batch_state"))) return undefined;
  const [state] = (await connection.runAndReadAll(`SELECT version, files, tables, checksum FROM ${STATE}`)).getRowObjectsJS() as {
    version: string;
    files: string;
    tables: string;
    checksum: string;
  }[];
  if (!state) throw new Error("its state is missing");
  if (state.version !== ingestVersion()) return undefined;
  const sums = await checkedSums(state.tables, trusted, () => cachedSums(connection));
  if (stateChecksum(formatSums(sums), state.files) !== state.checksum) throw new Error("its tables do not match their checksum");
  return { files: new Map((JSON.parse(state.files) as PathStamp[]).map((stamp) => [stamp.path, stamp])), sums };
}

interface BatchCacheOptions {
  verifyContent?: boolean;
  onProgress?: Progress;
}

/**
 * How readThroughCache leaves the archive's tables: filled with copies of the cached runs and jobs (in their documented
 * order, the cache detached), or, `inPlace`, the intervals and jobs views of the cached tables (in no order; titles
 * blanked unless `titles`), the cache attached until the database closes.
 */
export interface BatchTables {
  inPlace?: { titles: boolean };
}

/**
 * Reads the listing's records into the archive's tables through the cache of `folder` (as ingestBatchFiles does
 * without one, the same tables): the files new or changed since they were read are read, and the cache keeps their
 * records in place of what it had, and the runs and jobs they change made again; the others' come from the cache. The
 * problems are appended in the order of a whole read: the listing's, then each file's. Throws CacheUnusable when the
 * cache cannot serve, the archive's tables then as they were before; a cache that cannot be detached once they are
 * filled costs `onDetachFailure`, not the run. Returns whether the cache is still attached (BatchTables' `inPlace`).
 */
export async function readThroughCache(
  connection: DuckDBConnection,
  archive: string,
  listing: BatchListing,
  folder: string,
  options: BatchCacheOptions & BatchTables & { onDetachFailure: (error: unknown) => void },
): Promise<boolean> {
  const trusted = await attachCache(connection, folder);
  let problems: Problem[];
  try {
    problems = await cacheStep(folder, () => stageAttached(connection, archive, listing, trusted, options));
    // One transaction: a cache that fails while it is read leaves the archive's tables as they were, for a whole read.
    await cacheStep(folder, async () => {
      await connection.run("BEGIN TRANSACTION");
      for (const sql of options.inPlace
        ? viewsOfRunsSql(options.inPlace.titles)
        : tablesOfRunsSql(RUNS, `FROM ${JOBS} ORDER BY ${jobsTable.orderBy.join(", ")}`, false))
        await connection.run(sql);
      await connection.run("COMMIT");
    });
  } catch (error) {
    // A write that failed leaves its transaction open: the connection goes on without the cache.
    await connection.run("ROLLBACK").catch(() => undefined);
    await connection.run(`DETACH DATABASE IF EXISTS ${CACHE_CATALOG}`).catch(() => undefined);
    throw error;
  }
  if (!options.inPlace) {
    await cacheStep(folder, () => detachCache(connection, folder)).catch(async (error: unknown) => {
      await connection.run(`DETACH DATABASE IF EXISTS ${CACHE_CATALOG}`).catch(() => undefined);
      options.onDetachFailure(error);
    });
    await connection.run("CHECKPOINT");
  }
  await appendRows(connection, problemsTable, problems);
  return options.inPlace !== undefined;
}

/** The archive's intervals and jobs (empty tables until now) as views of the cached runs and jobs; its owners and spans. */
function viewsOfRunsSql(titles: boolean): string[] {
  return [
    "DROP TABLE memory.intervals",
    `CREATE VIEW memory.intervals AS ${intervalsOfRunsSql(RUNS)}`,
    "DROP TABLE memory.jobs",
    `CREATE VIEW memory.jobs AS ${jobsColumnsSql(titles)} FROM ${JOBS}`,
    ...ownersAndSpansSql(RUNS),
  ];
}

/**
 * The cached runs and jobs made again where their records changed (temp.touched_runs), from the cached records (their
 * files ranked by temp.batch_ranks), as a whole read makes them from all (batch.ts): each touched run's latest record,
 * then each job of a touched run (as it was or as it is) from all of its runs. The sums follow the rows removed and
 * added; no other row is read but for its key.
 */
async function remakeRuns(connection: DuckDBConnection, sums: TableSums): Promise<void> {
  const jobKey = JOB_KEY.join(", ");
  const runsTouched = `FROM ${RUNS} t WHERE ${keyIn("t", "touched_runs", RUN_KEY)}`;
  const jobsTouched = `FROM ${JOBS} t WHERE ${keyIn("t", "touched_jobs", JOB_KEY)}`;
  // The jobs of the touched runs as they were, then as they are: either way, their rows change.
  await connection.run(`CREATE OR REPLACE TEMP TABLE touched_jobs AS SELECT DISTINCT ${jobKey} ${runsTouched}`);
  changeSums(sums, "batch_runs", await sumOf(connection, runsTouched), -1n);
  await connection.run(`DELETE ${runsTouched}`);
  // Each touched run's latest record, told by a sort of the keys alone: then the whole record.
  await connection.run(
    `INSERT INTO ${RUNS} FROM ${RECORDS} WHERE rowid IN (
       SELECT r.rowid FROM ${RECORDS} r JOIN temp.batch_ranks USING (file) WHERE ${keyIn("r", "touched_runs", RUN_KEY)}
       QUALIFY row_number() OVER (PARTITION BY ${RUN_KEY.map((column) => `r.${column}`).join(", ")} ORDER BY ${LATEST_RECORD_FIRST}) = 1)`,
  );
  changeSums(sums, "batch_runs", await sumOf(connection, runsTouched), 1n);
  await connection.run(`INSERT INTO temp.touched_jobs SELECT DISTINCT ${jobKey} ${runsTouched} EXCEPT SELECT ${jobKey} FROM temp.touched_jobs`);
  changeSums(sums, "batch_jobs", await sumOf(connection, jobsTouched), -1n);
  await connection.run(`DELETE ${jobsTouched}`);
  await connection.run(
    `INSERT INTO ${JOBS} ${jobsOfRunsSql(RUNS, { from: `${RUNS} r JOIN temp.batch_ranks k USING (file) WHERE ${keyIn("r", "touched_jobs", JOB_KEY)}`, rank: "k.rank" })}`,
  );
  changeSums(sums, "batch_jobs", await sumOf(connection, jobsTouched), 1n);
  for (const name of ["touched_runs", "touched_jobs"]) await connection.run(`DROP TABLE temp.${name}`);
}

async function stageAttached(
  connection: DuckDBConnection,
  archive: string,
  listing: BatchListing,
  trusted: boolean,
  options: BatchCacheOptions,
): Promise<Problem[]> {
  const stamps = stampFiles(archive, listing.files, options.verifyContent ?? false);
  const cached = await readCachedFiles(connection, trusted);
  const kept = new Set(
    stamps
      .filter((stamp) => {
        const read = cached?.files.get(stamp.path);
        return read !== undefined && unchanged(read, stamp);
      })
      .map((stamp) => stamp.path),
  );
  const ranked: RankedFile[] = listing.files.map((file, rank) => ({ file, rank }));
  const read = ranked.filter(({ file }) => !kept.has(file.path));
  await createBatchStage(connection);
  const found = await stageBatchFiles(connection, archive, read, options.onProgress);

  await connection.run("CREATE OR REPLACE TEMP TABLE batch_ranks (file VARCHAR, rank INTEGER, kept BOOLEAN)");
  if (ranked.length > 0) {
    const values = ranked.map(({ file, rank }) => `(${sqlString(file.path)}, ${rank}, ${kept.has(file.path)})`);
    await connection.run(`INSERT INTO temp.batch_ranks VALUES ${values.join(", ")}`);
  }
  await connection.run("BEGIN TRANSACTION");
  if (!cached) {
    await connection.run(`CREATE OR REPLACE TABLE ${RECORDS} AS SELECT * EXCLUDE (rank), NULL::VARCHAR AS file FROM memory.batch_records LIMIT 0`);
    await connection.run(`CREATE OR REPLACE TABLE ${RUNS} AS FROM ${RECORDS} LIMIT 0`);
    await createTable(connection, { ...jobsTable, name: "batch_jobs" }, [], CACHE_CATALOG);
    await createTable(connection, cachedProblemsTable, [], CACHE_CATALOG);
  }
  const sums = cached?.sums ?? (await cachedSums(connection));
  // The runs whose records change: those of the files going (changed, or no longer listed) and of the files read now.
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE touched_runs AS
     SELECT DISTINCT ${RUN_KEY.join(", ")} FROM ${RECORDS} WHERE file NOT IN (SELECT file FROM temp.batch_ranks WHERE kept)
     UNION SELECT DISTINCT ${RUN_KEY.join(", ")} FROM memory.batch_records`,
  );
  // The records of files changed or no longer listed go; those of the files read now come in.
  for (const [name, table, column] of [
    ["batch_records", RECORDS, "file"],
    ["batch_problems", PROBLEMS, "read_from"],
  ] as const) {
    const gone = `WHERE ${column} NOT IN (SELECT file FROM temp.batch_ranks WHERE kept)`;
    changeSums(sums, name, await sumOf(connection, `FROM ${table} t ${gone}`), -1n);
    await connection.run(`DELETE FROM ${table} ${gone}`);
  }
  await connection.run(`INSERT INTO ${RECORDS} SELECT b.* EXCLUDE (rank), r.file FROM memory.batch_records b JOIN temp.batch_ranks r USING (rank)`);
  await createTable(
    connection,
    { ...cachedProblemsTable, name: "read_problems" },
    read.flatMap(({ file, rank }) => (found.get(rank) ?? []).map((problem, seq) => ({ problem, readFrom: file.path, seq }))),
    "temp",
  );
  await connection.run(`INSERT INTO ${PROBLEMS} FROM temp.read_problems`);
  changeSums(sums, "batch_records", await sumOf(connection, `FROM ${RECORDS} t WHERE file IN (SELECT file FROM temp.batch_ranks WHERE NOT kept)`), 1n);
  changeSums(sums, "batch_problems", await sumOf(connection, `FROM temp.read_problems t`), 1n);
  await remakeRuns(connection, sums);
  const files = JSON.stringify(stamps);
  const tables = formatSums(sums);
  await connection.run(`CREATE OR REPLACE TABLE ${STATE} (version VARCHAR, files VARCHAR, tables VARCHAR, checksum VARCHAR)`);
  await connection.run(`INSERT INTO ${STATE} VALUES (${[ingestVersion(), files, tables, stateChecksum(tables, files)].map(sqlString).join(", ")})`);
  await connection.run("COMMIT");
  await connection.run("DROP TABLE memory.batch_records");

  const problems = new Map<string, Problem[]>();
  const keptProblems = await connection.runAndReadAll(
    `SELECT p.read_from, p.file, p.line, p.account, p.job, p.reason, p.detail FROM ${PROBLEMS} p JOIN temp.batch_ranks r ON p.read_from = r.file WHERE r.kept ORDER BY r.rank, p.seq`,
  );
  for (const row of keptProblems.getRowObjectsJS() as unknown as ({ read_from: string } & Problem)[]) {
    const { read_from: readFrom, ...problem } = row;
    const list = problems.get(readFrom) ?? [];
    if (list.length === 0) problems.set(readFrom, list);
    list.push(problem);
  }
  for (const { file, rank } of read) problems.set(file.path, found.get(rank) ?? []);
  return [...listing.problems, ...listing.files.flatMap((file) => problems.get(file.path) ?? [])];
}
