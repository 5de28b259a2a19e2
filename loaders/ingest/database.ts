import { existsSync } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
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
import { SNAPSHOTS_FOLDER } from "../sources/nomad/archive.js";
import { BATCH_SOURCES } from "../sources/batch/sources.js";
import { formatUnusable, problemCountsSql, type ProblemCount } from "../queries/quality.js";
import { replaceFolder } from "./replace-folder.js";
import { TABLES, type CellValue, type ColumnType, type TableSchema } from "../model/schema.js";
import { SITE_TABLES } from "../site/site-tables.js";
import type { Problem } from "../model/records.js";
import { plainRow, sqlIdentifier as quote, sqlString, type Connector } from "../queries/sql.js";
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

/** Appends rows a chunk at a time: several times faster than a value at a time. */
export async function appendRows<Row>(connection: DuckDBConnection, table: TableSchema<Row, string>, rows: readonly Row[], catalog?: string): Promise<void> {
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

/** Creates a table of `rows`, replacing any of the same name in `catalog`. */
export async function createTable<Row>(connection: DuckDBConnection, table: TableSchema<Row, string>, rows: readonly Row[], catalog = "memory"): Promise<void> {
  const columns = table.columns.map((c) => `${quote(c.name)} ${c.type}`).join(", ");
  await connection.run(`CREATE OR REPLACE TABLE ${quote(catalog)}.${quote(table.name)} (${columns})`);
  await appendRows(connection, table, rows, catalog);
}

/** An empty in-memory database. */
export async function createDatabase(): Promise<AccountingDatabase> {
  // One thread: fsum adds in scan order, so reports are the same to the last bit, here and in DuckDB-WASM.
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  return {
    connection,
    query: async <T>(sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS().map((row) => plainRow(row) as T),
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
 * Writes every documented table to `<folder>/<table>.parquet` (zstd), rows in a stable order; returns the paths. The
 * folder is replaced whole (loaders/replace-folder.ts): the previous set of tables or the new one, never a mix. They
 * hold owner ids: each file is readable by its owner only (0600), a new folder too (0700).
 */
export function writeParquet(database: AccountingDatabase, folder: string): Promise<string[]> {
  const files = TABLES.map((table) => ({
    name: table.name,
    sql: `SELECT * FROM ${quote(table.name)}${table.orderBy.length ? ` ORDER BY ${table.orderBy.map(quote).join(", ")}` : ""}`,
  }));
  const names = new Set(files.map(({ name }) => `${name}.parquet`));
  return replaceFolder(
    folder,
    (name) => names.has(name),
    async (fresh) => {
      const written = await copyToParquet(database, fresh, files, "FORMAT parquet, COMPRESSION zstd");
      for (const path of written) await chmod(path, 0o600);
      return written.map((path) => join(resolve(folder), basename(path)));
    },
  );
}

/**
 * Writes the site's copy of the tables (loaders/site-tables.ts); returns the paths. Level 19 and format v2
 * (DELTA_BINARY_PACKED times and ids, RLE_DICTIONARY elsewhere, both decoded by hyparquet) make the 2-year
 * archive's intervals 1.9 MB instead of 2.2 MB.
 */
export function writeSiteParquet(database: AccountingDatabase, folder: string): Promise<string[]> {
  return copyToParquet(database, folder, SITE_TABLES, "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 19, PARQUET_VERSION v2");
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
  problems: Problem[];
}

export async function describeArchive(database: AccountingDatabase): Promise<ArchiveSummary> {
  const { connection } = database;
  const one = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS()[0] as Record<string, unknown>;
  const times = await one(
    "SELECT (SELECT count(DISTINCT time) FROM snapshots) AS n, epoch_us(min(first_time))::DOUBLE AS first, epoch_us(max(last_time))::DOUBLE AS last FROM spans",
  );
  const counts = await one("SELECT (SELECT count(*) FROM jobs) AS jobs, (SELECT count(*) FROM intervals) AS intervals, (SELECT count(*) FROM owners) AS users");
  const accounts = (await connection.runAndReadAll("SELECT DISTINCT account FROM accounts ORDER BY account")).getRowObjectsJS();
  const sources = (await connection.runAndReadAll("SELECT DISTINCT source FROM spans ORDER BY source")).getRowObjectsJS();
  const problems = (await connection.runAndReadAll("SELECT file, line, account, job, reason, detail FROM problems ORDER BY rowid")).getRowObjectsJS();
  return {
    first: times.first as number | null,
    last: times.last as number | null,
    snapshots: Number(times.n),
    sources: sources.map((row) => row.source as string),
    accounts: accounts.map((row) => row.account as string),
    jobs: Number(counts.jobs),
    intervals: Number(counts.intervals),
    users: Number(counts.users),
    problems: problems as unknown as Problem[],
  };
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
