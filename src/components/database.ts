import * as duckdb from "@duckdb/duckdb-wasm";
import { FileAttachment } from "observablehq:stdlib";
import { parquetToArrow, restoreTableSql } from "../loaders/arrow.js";

/** Read with `.arrayBuffer()` right at the call: Framework would otherwise add its CDN Parquet reader. */
const TABLES = {
  intervals: () => FileAttachment("../data/accounting/intervals.parquet").arrayBuffer(),
  snapshots: () => FileAttachment("../data/accounting/snapshots.parquet").arrayBuffer(),
  problems: () => FileAttachment("../data/accounting/problems.parquet").arrayBuffer(),
  jobs: () => FileAttachment("../data/accounting/jobs.parquet").arrayBuffer(),
  users: () => FileAttachment("../data/accounting/users.parquet").arrayBuffer(),
};

export type Row = Record<string, unknown>;

/** DuckDB-WASM holding the archive's tables, its worker and wasm served by the site itself. */
export interface AccountingDatabase {
  query<T = Row>(sql: string): Promise<T[]>;
}

function plain(value: unknown): unknown {
  return typeof value === "bigint" ? Number(value) : value;
}

export async function openAccountingDatabase(): Promise<AccountingDatabase> {
  const worker = new Worker(FileAttachment("../data/duckdb-browser-eh.worker.js").href);
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  await db.instantiate(FileAttachment("../data/duckdb-eh.wasm").href);
  const connection = await db.connect();
  await Promise.all(
    Object.entries(TABLES).map(async ([name, read]) => {
      const arrow = await parquetToArrow(await read());
      await connection.insertArrowFromIPCStream(arrow.ipc, { name: `${name}_raw`, create: true });
      await connection.query(restoreTableSql(name, `${name}_raw`, arrow.timestamps));
    }),
  );
  return {
    async query<T>(sql: string) {
      const result = await connection.query(sql);
      return result.toArray().map((row) => Object.fromEntries(Object.entries(row.toJSON()).map(([k, v]) => [k, plain(v)])) as T);
    },
  };
}
