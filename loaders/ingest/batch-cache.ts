import { statSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { createFileHasher } from "../sources/nomad/archive.js";
import type { Progress } from "../sources/nomad/fold.js";
import { createBatchStage, stageBatchFiles, type BatchListing, type ListedFile, type RankedFile } from "./batch.js";
import { createTable } from "./database.js";
import {
  attachCache,
  CACHE_CATALOG,
  cacheStep,
  changeSums,
  checkedSums,
  detachCache,
  formatSums,
  hasCacheTable,
  ingestVersion,
  stateChecksum,
  sumOf,
  unchanged,
  type FileStamp,
  type TableSums,
} from "./ingest-cache.js";
import { problemsTable, type TableSchema } from "../model/schema.js";
import type { Problem } from "../model/records.js";
import { sqlString } from "../queries/sql.js";

/**
 * The batch records (Slurm dumps, Grid Engine accounting files, Flux job records) in the ingest cache: each file's
 * records as read, kept while the file is listed again unchanged, so that a run after a new dump reads that dump
 * alone. Runs are still made one (mergeBatchRecords) from every file's records: a later dump may say how an earlier
 * one's job ended.
 */

/** A listed file, and what tells whether it changed since its records were cached. */
interface PathStamp extends FileStamp {
  path: string;
}

const RECORDS = `${CACHE_CATALOG}.batch_records`;
const PROBLEMS = `${CACHE_CATALOG}.batch_problems`;
const STATE = `${CACHE_CATALOG}.batch_state`;

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
    ["batch_problems", await sumOf(connection, `FROM ${PROBLEMS} t`)],
    ["batch_records", await sumOf(connection, `FROM ${RECORDS} t`)],
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
 * Stages the listing's records (createBatchStage) through the cache of `folder`: the files new or changed since they
 * were read are read, and the cache keeps their records in place of what it had; the others' records come from the
 * cache. Returns the problems in the order of a whole read: the listing's, then each file's. Throws CacheUnusable when
 * the cache cannot serve; the staging table then holds part of the records, for createBatchStage to empty.
 */
export async function stageThroughCache(
  connection: DuckDBConnection,
  archive: string,
  listing: BatchListing,
  folder: string,
  options: BatchCacheOptions = {},
): Promise<Problem[]> {
  const trusted = await attachCache(connection, folder);
  try {
    const problems = await cacheStep(folder, () => stageAttached(connection, archive, listing, trusted, options));
    await cacheStep(folder, () => detachCache(connection, folder));
    return problems;
  } catch (error) {
    // A write that failed leaves its transaction open: the connection goes on without the cache.
    await connection.run("ROLLBACK").catch(() => undefined);
    await connection.run(`DETACH DATABASE IF EXISTS ${CACHE_CATALOG}`).catch(() => undefined);
    throw error;
  }
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
    await createTable(connection, cachedProblemsTable, [], CACHE_CATALOG);
  }
  const sums = cached?.sums ?? (await cachedSums(connection));
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
  const files = JSON.stringify(stamps);
  const tables = formatSums(sums);
  await connection.run(`CREATE OR REPLACE TABLE ${STATE} (version VARCHAR, files VARCHAR, tables VARCHAR, checksum VARCHAR)`);
  await connection.run(`INSERT INTO ${STATE} VALUES (${[ingestVersion(), files, tables, stateChecksum(tables, files)].map(sqlString).join(", ")})`);
  await connection.run("COMMIT");

  // The kept files' records join those read, with their files' ranks now.
  await connection.run(
    `INSERT INTO memory.batch_records BY NAME SELECT c.* EXCLUDE (file), r.rank FROM ${RECORDS} c JOIN temp.batch_ranks r USING (file) WHERE r.kept`,
  );
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
