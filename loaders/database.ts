import { mkdir } from "node:fs/promises";
import { join } from "node:path";
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
import type { ArchiveTables } from "./ingest.js";
import { reportOf, reportSql, type Report, type ReportRequest, type ReportRow } from "./report.js";
import { TABLES, type CellValue, type ColumnType, type TableSchema } from "./schema.js";
import { SITE_TABLES } from "./site-tables.js";
import { sqlIdentifier as quote, sqlString } from "./sql.js";

/** An in-memory DuckDB holding the tables of one archive. */
export interface AccountingDatabase {
  connection: DuckDBConnection;
  close(): void;
}

/** DuckDB's vector size: the most rows a data chunk holds. */
const CHUNK_ROWS = 2048;

const DUCKDB_TYPES: Record<ColumnType, DuckDBType> = { VARCHAR, INTEGER, DOUBLE, TIMESTAMPTZ };

function duckdbValue(type: ColumnType, value: CellValue): DuckDBValue {
  return value !== null && type === "TIMESTAMPTZ" ? new DuckDBTimestampTZValue(BigInt(value)) : value;
}

/** Appends rows a chunk at a time: several times faster than a value at a time. */
async function loadTable<Row>(connection: DuckDBConnection, table: TableSchema<Row>, rows: Row[]): Promise<void> {
  const columns = table.columns.map((c) => `${quote(c.name)} ${c.type}`).join(", ");
  await connection.run(`CREATE TABLE ${quote(table.name)} (${columns})`);
  const appender = await connection.createAppender(table.name);
  const types = table.columns.map((column) => DUCKDB_TYPES[column.type]);
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const slice = rows.slice(start, start + CHUNK_ROWS);
    const chunk = DuckDBDataChunk.create(types, slice.length);
    chunk.setColumns(table.columns.map((column) => slice.map((row) => duckdbValue(column.type, column.value(row)))));
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
}

export async function openDatabase(tables: ArchiveTables): Promise<AccountingDatabase> {
  // One thread: fsum adds in scan order, so reports are the same to the last bit, here and in DuckDB-WASM.
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  for (const table of TABLES) await loadTable(connection, table as TableSchema<unknown>, tables[table.name] as unknown[]);
  return {
    connection,
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

async function copyToParquet(database: AccountingDatabase, folder: string, files: readonly ParquetFile[], options: string): Promise<string[]> {
  await mkdir(folder, { recursive: true });
  const paths: string[] = [];
  for (const { name, sql } of files) {
    const path = join(folder, `${name}.parquet`);
    await database.connection.run(`COPY (${sql}) TO ${sqlString(path)} (${options})`);
    paths.push(path);
  }
  return paths;
}

/** Writes every documented table to `<folder>/<table>.parquet` (zstd), rows in a stable order; returns the paths. */
export function writeParquet(database: AccountingDatabase, folder: string): Promise<string[]> {
  const files = TABLES.map((table) => ({
    name: table.name,
    sql: `SELECT * FROM ${quote(table.name)}${table.orderBy.length ? ` ORDER BY ${table.orderBy.map(quote).join(", ")}` : ""}`,
  }));
  return copyToParquet(database, folder, files, "FORMAT parquet, COMPRESSION zstd");
}

/**
 * Writes the site's copy of the tables (loaders/site-tables.ts); returns the paths. Level 19 and format v2
 * (DELTA_BINARY_PACKED times and ids, RLE_DICTIONARY elsewhere, both decoded by hyparquet) make the 2-year
 * archive's intervals 1.9 MB instead of 2.2 MB.
 */
export function writeSiteParquet(database: AccountingDatabase, folder: string): Promise<string[]> {
  return copyToParquet(database, folder, SITE_TABLES, "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 19, PARQUET_VERSION v2");
}

export async function runReport(database: AccountingDatabase, request: ReportRequest): Promise<Report> {
  const result = await database.connection.runAndReadAll(reportSql(request));
  return reportOf(request, result.getRowObjectsJS() as unknown as ReportRow[]);
}
