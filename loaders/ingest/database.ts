import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { chmod, copyFile, link, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import {
  DOUBLE,
  DuckDBDataChunk,
  DuckDBInstance,
  DuckDBTimestampTZValue,
  INTEGER,
  TIMESTAMPTZ,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from "@duckdb/node-api";
import { createFileHasher, SNAPSHOTS_FOLDER } from "../sources/nomad/archive.js";
import { BATCH_SOURCES } from "../sources/batch/sources.js";
import { formatUnusable, problemCountsSql, type ProblemCount } from "../queries/quality.js";
import { replaceFolder } from "./replace-folder.js";
import { TABLES, type CellValue, type ColumnType, type TableSchema } from "../model/schema.js";
import type { Problem } from "../model/records.js";
import { plainRow, rowChecksumSql, sqlIdentifier as quote, sqlString, utcSql, type Connector } from "../queries/sql.js";
import type { Micros } from "../model/time.js";

/** An in-memory DuckDB holding the tables of one archive. */
export interface AccountingDatabase extends Connector {
  connection: DuckDBConnection;
  /** Another connection, for work that can run beside the first. */
  connect(): Promise<DuckDBConnection>;
  close(): void;
}

/** DuckDB's vector size: the most rows a data chunk holds. */
const CHUNK_ROWS = 2048;

const DUCKDB_TYPES: Record<ColumnType, DuckDBType> = { VARCHAR, INTEGER, DOUBLE, TIMESTAMPTZ };

function duckdbValue(type: ColumnType, value: CellValue): DuckDBValue {
  return value !== null && type === "TIMESTAMPTZ" ? new DuckDBTimestampTZValue(BigInt(value)) : value;
}

/** Rows made from other values a chunk at a time (mappedRows), where an array would hold them all at once. */
interface RowSource<Row> {
  readonly length: number;
  slice(start: number, end: number): Row[];
}

/** `values` as rows made by `toRow` only as each chunk is appended: a million records are never held at once. */
export function mappedRows<Value, Row>(values: readonly Value[], toRow: (value: Value) => Row): RowSource<Row> {
  return { length: values.length, slice: (start, end) => values.slice(start, end).map(toRow) };
}

/** Appends rows a chunk at a time: several times faster than a value at a time. */
export async function appendRows<Row>(
  connection: DuckDBConnection,
  table: TableSchema<Row, string>,
  rows: readonly Row[] | RowSource<Row>,
  catalog?: string,
): Promise<void> {
  const appender = await connection.createAppender(table.name, null, catalog);
  const types = table.columns.map((column) => DUCKDB_TYPES[column.type]);
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const slice = rows.slice(start, start + CHUNK_ROWS);
    const chunk = DuckDBDataChunk.create(types, slice.length);
    chunk.setColumns(table.columns.map((column) => slice.map((row) => duckdbValue(column.type, column.value(row)))));
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
}

/** Creates a table of `rows`, replacing any of the same name in `catalog` (`temp`: a temporary table). */
export async function createTable<Row>(
  connection: DuckDBConnection,
  table: TableSchema<Row, string>,
  rows: readonly Row[] | RowSource<Row>,
  catalog = "memory",
): Promise<void> {
  const columns = table.columns.map((c) => `${quote(c.name)} ${c.type}`).join(", ");
  const name = catalog === "temp" ? `TEMP TABLE ${quote(table.name)}` : `TABLE ${quote(catalog)}.${quote(table.name)}`;
  await connection.run(`CREATE OR REPLACE ${name} (${columns})`);
  await appendRows(connection, table, rows, catalog);
}

/**
 * Runs `work` on every core (or `threads`), then puts the database back on one thread, as createDatabase made it: for
 * work that moves, hashes or writes rows and adds no floating-point number, each query fixing the order of the rows it
 * makes (an `ORDER BY`, or the order it reads them in, which DuckDB keeps). Nothing else may query the database
 * meanwhile: the setting is the whole database's. A database whose work failed is left as it is, for its caller to close.
 */
export async function onEveryCore<T>(database: AccountingDatabase, work: () => Promise<T>, threads = availableParallelism()): Promise<T> {
  await database.connection.run(`SET threads = ${threads}`);
  const result = await work();
  await database.connection.run("SET threads = 1");
  return result;
}

/** A connection as a Connector: rows as plain objects. */
export function connectorOf(connection: DuckDBConnection): Connector {
  return { query: async <T>(sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS().map((row) => plainRow(row) as T) };
}

/** An empty in-memory database. */
export async function createDatabase(): Promise<AccountingDatabase> {
  // One thread: fsum adds in scan order, so reports are the same to the last bit, here and in DuckDB-WASM.
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  return {
    connection,
    query: connectorOf(connection).query,
    connect: () => instance.connect(),
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** A query whose rows become `<name>.parquet`. */
interface ParquetFile {
  name: string;
  sql: string;
}

/** One file per connection, all at once: each COPY still runs on one thread, and writes the same bytes. */
async function copyToParquet(database: AccountingDatabase, folder: string, files: readonly ParquetFile[], options: string): Promise<string[]> {
  await mkdir(folder, { recursive: true });
  return Promise.all(
    files.map(async ({ name, sql }) => {
      const path = join(folder, `${name}.parquet`);
      const connection = await database.connect();
      try {
        await connection.run(`COPY (${sql}) TO ${sqlString(path)} (${options})`);
      } finally {
        connection.closeSync();
      }
      return path;
    }),
  );
}

/**
 * The tables that grow with the archive's length, written one Parquet file per month, Hive-style: the instant that
 * dates each row. A run belongs to the month it began in (its start, or its first snapshot when that is earlier); a
 * job to the month it was submitted in, else started, else first seen; a snapshot's row to its time's month.
 *
 * Beside each instant, `bound`: a column null or at least the instant, and null when the instant is (the first of a
 * `least`, which DuckDB takes of the values that are not null; the first of a `coalesce`; the instant itself), so that
 * the rows of a month or a later one all have it null or in that month or later. DuckDB applies a filter on a column
 * as it scans, reading the other columns of the rows it keeps only; an instant computed from columns is filtered after
 * reading them all.
 */
export const PARTITION_TIMES: Readonly<Partial<Record<(typeof TABLES)[number]["name"], { instant: string; bound: string }>>> = {
  intervals: { instant: "least(start_time, first_snapshot)", bound: "start_time" },
  jobs: { instant: "coalesce(submit_time, start_time, first_seen)", bound: "submit_time" },
  snapshots: { instant: "time", bound: "time" },
};

/** A partition's one file: the name DuckDB's `COPY … (PARTITION_BY …)` gives a partition's first file. */
const PARTITION_FILE = "data_0.parquet";

/** The value of a partition key for rows it is null for (no instant): DuckDB's, Hive's and Spark's. */
export const NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__";

const PARTITION_NAMES = Object.keys(PARTITION_TIMES);
const PARTITION_PATH = new RegExp(
  `^(${PARTITION_NAMES.join("|")})(/year=(\\d+|${NULL_PARTITION})(/month=(\\d+|${NULL_PARTITION})(/${PARTITION_FILE.replace(".", "\\.")})?)?)?$`,
);

/**
 * Beside the tables, what the next `writeParquet` into the same folder needs to keep the files whose rows did not
 * change: each month's file's row checksum and the SHA-256 of its bytes, and what wrote them (PartitionRecord).
 */
export const PARTITION_RECORD = ".partitions.json";

/**
 * What `writeParquet` writes, and what it replaces: `<table>.parquet` (an older version of this command wrote every
 * table so), a partitioned table's folder, its `year=…` and `month=…` folders, and their `data_0.parquet`; and
 * PARTITION_RECORD.
 */
export function isParquetOutput(path: string): boolean {
  return path === PARTITION_RECORD || TABLES.some((table) => path === `${table.name}.parquet`) || PARTITION_PATH.test(path);
}

/** The columns and order of a table, whatever its rows' type. */
interface TableLayout {
  name: string;
  columns: readonly { name: string; type: string }[];
  orderBy: readonly string[];
}

const orderOf = (table: TableLayout) => (table.orderBy.length ? ` ORDER BY ${table.orderBy.map(quote).join(", ")}` : "");

/**
 * The months' files of the last `writeParquet` into a folder (paths relative to it, sorted): the checksum of the rows
 * each holds (their count and the sum of their hashes) and the SHA-256 of its bytes; and `writer`, what else its bytes
 * depend on (DuckDB's version, the options, each table's columns). A file whose rows and writer are the same is the
 * file a new COPY would write, byte for byte (its rows are in the table's order, a total one), as long as its bytes
 * are still those written. The same tables give the same record.
 */
interface PartitionRecord {
  writer: string;
  files: Record<string, PartitionFile>;
}

/** A month's file in the record: its rows' checksum and its bytes' SHA-256. */
interface PartitionFile {
  rows: string;
  sha256: string;
}

/** The files of a record of months' files (as read from JSON: anything), when `writer` made it; none otherwise. */
export function filesWrittenBy<T>(record: unknown, writer: string): Record<string, T> {
  const { writer: by, files } = (typeof record === "object" && record !== null ? record : {}) as { writer?: unknown; files?: unknown };
  return by === writer && typeof files === "object" && files !== null ? (files as Record<string, T>) : {};
}

/** The record of the tables in `folder`, if it has one this writer can use. */
async function readPartitionRecord(folder: string, writer: string): Promise<PartitionRecord["files"]> {
  return filesWrittenBy(await readFile(join(folder, PARTITION_RECORD), "utf8").then(JSON.parse, () => undefined), writer);
}

/** Links the file `previous` as `fresh`, a file of the new set; copies it where no link can be made (another file system). */
export async function linkKept(previous: string, fresh: string): Promise<void> {
  await link(previous, fresh).catch(() => copyFile(previous, fresh));
}

/** Where copyPartitioned writes, and what it may keep from the previous tables. */
interface PartitionTarget {
  fresh: string;
  previous: string;
  known: PartitionRecord["files"];
  options: string;
  /** SHA-256 of a file's bytes (one buffer for every file; a file that cannot be read hashes as why). */
  sha256: (path: string) => string;
}

/**
 * The file `path` (relative) of the previous tables, linked into the new ones when its record says it holds `rows` and
 * its bytes are still those written: its record then; undefined when it must be written.
 */
async function keepFile(target: PartitionTarget, path: string, rows: string): Promise<PartitionFile | undefined> {
  const entry = target.known[path];
  const [previous, fresh] = [join(target.previous, path), join(target.fresh, path)];
  if (entry?.rows !== rows || target.sha256(previous) !== entry.sha256) return undefined;
  await linkKept(previous, fresh);
  return entry;
}

/**
 * Writes `table` into `<folder>/<table>/year=YYYY/month=M/data_0.parquet`, one file per month of its rows' instants
 * (`time`), in UTC whatever the session's time zone; rows with no instant in `year=…/month=…` NULL_PARTITION, and a
 * table with no row as one empty file there, so that readers still find its columns. Each month is its own COPY of a
 * query ordered by the table's `orderBy`: each file keeps the table's stable order, and the same tables give the same
 * bytes (DuckDB 1.5's `COPY … (PARTITION_BY …)`, measured, did not keep the query's order within a partition). A month
 * whose rows the previous tables' file already holds (keepFile) is linked, not written again: after one new snapshot,
 * the months it touched are written. Returns the paths, months in time order, the null partition last, each with its
 * record.
 */
async function copyPartitioned(
  database: AccountingDatabase,
  target: PartitionTarget,
  table: TableLayout,
  { instant, bound }: { instant: string; bound: string },
): Promise<[string, PartitionFile][]> {
  const connection = await database.connect();
  const utc = utcSql(instant);
  const columns = table.columns.map((column) => quote(column.name)).join(", ");
  try {
    const found = (
      await connection.runAndReadAll(
        `SELECT year(${utc}) AS y, month(${utc}) AS m, count(*) AS n, ${rowChecksumSql(columns)} AS rows FROM ${quote(table.name)} GROUP BY ALL ORDER BY y NULLS LAST, m NULLS LAST`,
      )
    ).getRowsJS();
    const months = found.length ? found : [[null, null, 0, "0:0"]];
    const files: { path: string; count: number; rows: string; where: string; start?: string; record?: PartitionFile }[] = [];
    for (const [year, month, count, rows] of months) {
      const value = (key: unknown) => (key === null ? NULL_PARTITION : String(key));
      const partition = join(table.name, `year=${value(year)}`, `month=${value(month)}`);
      await mkdir(join(target.fresh, partition), { recursive: true, mode: 0o700 });
      const path = join(partition, PARTITION_FILE);
      const where = year === null ? "partition_year IS NULL" : `partition_year = ${String(year)} AND partition_month = ${String(month)}`;
      // The month's first instant, in UTC.
      const start = year === null ? undefined : `TIMESTAMPTZ '${String(year)}-${String(month).padStart(2, "0")}-01 00:00:00+00'`;
      files.push({ path, count: Number(count), rows: String(rows), where, start, record: await keepFile(target, path, String(rows)) });
    }
    // The months to write, out of the table a batch at a time and grouped by month, then a COPY from the batch for each:
    // a month's filter is an expression, so each COPY from the table itself would read every row of every column. A
    // batch, in memory beside the table, holds at most a quarter of its rows, or a single month larger than that.
    const most = Math.max(1, files.reduce((sum, file) => sum + file.count, 0) / 4);
    const batches: { files: typeof files; count: number }[] = [];
    for (const file of files.filter((file) => !file.record)) {
      const last = batches.at(-1);
      if (last && last.count + file.count <= most) {
        last.files.push(file);
        last.count += file.count;
      } else batches.push({ files: [file], count: file.count });
    }
    for (const batch of batches) {
      // Months in time order, the null partition last: none of the batch's rows is earlier than its first month.
      const start = batch.files[0]?.start;
      const since = start === undefined ? "" : ` WHERE ${quote(bound)} IS NULL OR ${quote(bound)} >= ${start}`;
      await connection.run(
        `CREATE OR REPLACE TEMP TABLE months AS SELECT * FROM (SELECT ${columns}, year(${utc}) AS partition_year, month(${utc}) AS partition_month FROM ${quote(table.name)}${since})
WHERE ${batch.files.map((file) => `(${file.where})`).join(" OR ")} ORDER BY partition_year, partition_month`,
      );
      for (const file of batch.files) {
        const path = join(target.fresh, file.path);
        await connection.run(`COPY (SELECT ${columns} FROM temp.months WHERE ${file.where}${orderOf(table)}) TO ${sqlString(path)} (${target.options})`);
        file.record = { rows: file.rows, sha256: target.sha256(path) };
      }
    }
    return files.map((file) => [join(target.fresh, file.path), file.record as PartitionFile]);
  } finally {
    connection.closeSync();
  }
}

/** Every folder under `folder` (itself left out), and every file: to set their modes. */
async function tree(folder: string): Promise<{ folders: string[]; files: string[] }> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const paths = (directory: boolean) => entries.filter((entry) => entry.isDirectory() === directory).map((entry) => join(entry.parentPath, entry.name));
  return { folders: paths(true), files: paths(false) };
}

/**
 * Writes every documented table (zstd), rows in a stable order; returns the paths of the files, table by table. The
 * large tables (PARTITION_TIMES) are cut by month, Hive-style, `<folder>/intervals/year=2024/month=3/data_0.parquet`
 * (months in UTC, not padded, as DuckDB writes them), so DuckDB, Spark or Trino read them in place; the others are one
 * file each, `<folder>/<table>.parquet`. The folder is replaced whole (loaders/replace-folder.ts): the previous set of
 * tables or the new one, never a mix; the months' files whose rows did not change are the previous set's, linked into
 * the new one (PARTITION_RECORD), so that a run after one new snapshot writes the months it changed. They hold owner
 * ids: each file is readable by its owner only (0600), each folder written too (0700), a new folder as well.
 */
export function writeParquet(database: AccountingDatabase, folder: string): Promise<string[]> {
  const options = "FORMAT parquet, COMPRESSION zstd";
  return replaceFolder(folder, isParquetOutput, async (fresh) => {
    const [version] = (await database.connection.runAndReadAll("SELECT version()")).getRowsJS()[0] as [string];
    const writer = JSON.stringify([version, options, TABLES.map((table) => [table.name, table.columns.map((column) => [column.name, column.type])])]);
    const target: PartitionTarget = { fresh, previous: resolve(folder), known: await readPartitionRecord(folder, writer), options, sha256: createFileHasher() };
    const record: PartitionRecord = { writer, files: {} };
    // Every table's writing ended before any failure is told: the folder is removed after it, and a COPY still
    // writing into it would make that fail instead (ENOTEMPTY), hiding the cause (a full disk).
    const settled = await Promise.allSettled(
      TABLES.map(async (table) => {
        const partition = PARTITION_TIMES[table.name];
        if (partition === undefined)
          return copyToParquet(database, fresh, [{ name: table.name, sql: `SELECT * FROM ${quote(table.name)}${orderOf(table)}` }], options);
        const written = await copyPartitioned(database, target, table, partition);
        for (const [path, file] of written) record.files[relative(fresh, path)] = file;
        return written.map(([path]) => path);
      }),
    );
    const failed = settled.find((outcome) => outcome.status === "rejected");
    if (failed) throw failed.reason;
    const written = settled.map((outcome) => (outcome as PromiseFulfilledResult<string[]>).value);
    const sorted = Object.fromEntries(Object.entries(record.files).sort(([a], [b]) => (a < b ? -1 : 1)));
    await writeFile(join(fresh, PARTITION_RECORD), JSON.stringify({ ...record, files: sorted }));
    const { folders, files } = await tree(fresh);
    for (const path of folders) await chmod(path, 0o700);
    for (const path of files) await chmod(path, 0o600);
    return written.flat().map((path) => join(resolve(folder), relative(fresh, path)));
  });
}

/**
 * Writes the tables as `accounting ingest --out` does (writeParquet): the problems' details, which quote the archive's
 * files and fields (owner ids, emails), blanked first unless `privateBuild`, as the jobs' titles are.
 */
export async function writeOutTables(database: AccountingDatabase, folder: string, privateBuild: boolean): Promise<string[]> {
  if (!privateBuild) await database.connection.run("UPDATE problems SET detail = NULL");
  return writeParquet(database, folder);
}

/** What an ingest read: for summaries and checks. */
export interface ArchiveSummary {
  /** What the records cover (the spans table), in µs. */
  first: Micros | null;
  last: Micros | null;
  /** Distinct Nomad snapshot times used. */
  snapshots: number;
  /** The sources with a record of use (`nomad`, `slurm`…), sorted. */
  sources: string[];
  /** Every account of every source, sorted. */
  accounts: string[];
  jobs: number;
  intervals: number;
  /** Owners of jobs: the users table's rows, when it is built. */
  users: number;
  /** Files, lines and jobs skipped (readProblems lists them). */
  problems: number;
}

export async function describeArchive(database: AccountingDatabase): Promise<ArchiveSummary> {
  const { connection } = database;
  const one = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS()[0] as Record<string, unknown>;
  const times = await one(
    "SELECT (SELECT count(DISTINCT time) FROM snapshots) AS n, epoch_us(min(first_time))::DOUBLE AS first, epoch_us(max(last_time))::DOUBLE AS last FROM spans",
  );
  const counts = await one(
    "SELECT (SELECT count(*) FROM jobs) AS jobs, (SELECT count(*) FROM intervals) AS intervals, (SELECT count(*) FROM owners) AS users, (SELECT count(*) FROM problems) AS problems",
  );
  const accounts = (await connection.runAndReadAll("SELECT DISTINCT account FROM accounts ORDER BY account")).getRowObjectsJS();
  const sources = (await connection.runAndReadAll("SELECT DISTINCT source FROM spans ORDER BY source")).getRowObjectsJS();
  return {
    first: times.first as number | null,
    last: times.last as number | null,
    snapshots: Number(times.n),
    sources: sources.map((row) => row.source as string),
    accounts: accounts.map((row) => row.account as string),
    jobs: Number(counts.jobs),
    intervals: Number(counts.intervals),
    users: Number(counts.users),
    problems: Number(counts.problems),
  };
}

/** Every problem, in the order found: read only to be listed, as an archive may hold hundreds of thousands. */
export async function readProblems(database: AccountingDatabase): Promise<Problem[]> {
  const rows = await database.connection.runAndReadAll("SELECT file, line, account, job, reason, detail FROM problems ORDER BY rowid");
  return rows.getRowObjectsJS() as unknown as Problem[];
}

/** An archive with no usable record: there is no number to give, nor any page to show. */
export class UnusableArchiveError extends Error {}

/**
 * Refuses an archive whose tables hold no record of use (no snapshot, no job that ran), saying why in one line, the
 * files or lines skipped counted per reason: `no snapshot with jobs in /srv/accounting/snapshots: 3 files skipped,
 * 2: empty file; 1: not valid JSON (…)`.
 */
export async function assertUsableArchive(database: AccountingDatabase, archive: string): Promise<void> {
  const [row] = await database.query<{ spans: number }>("SELECT count(*)::INTEGER AS spans FROM spans");
  if (row && row.spans > 0) return;
  const counts = await database.query<ProblemCount>(problemCountsSql());
  const folders = BATCH_SOURCES.map((source) => source.folder).filter((folder) => existsSync(join(archive, folder)));
  if (folders.length === 0) throw new UnusableArchiveError(`no snapshot with jobs in ${resolve(archive, SNAPSHOTS_FOLDER)}: ${formatUnusable(counts)}`);
  const where = (existsSync(join(archive, SNAPSHOTS_FOLDER)) ? [SNAPSHOTS_FOLDER, ...folders] : folders).map((folder) => `${folder}/`).join(", ");
  throw new UnusableArchiveError(`no snapshot with jobs nor job that ran in ${resolve(archive)} (${where}): ${formatUnusable(counts, "lines")}`);
}
