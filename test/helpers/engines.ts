import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { parquetToArrow, restoreTableSql } from "../../loaders/arrow.js";
import { openDatabase, writeParquet, type AccountingDatabase } from "../../loaders/database.js";
import { ingestArchive } from "../../loaders/ingest.js";
import { temporaryFolder, writeArchive } from "./archive.js";

export type Row = Record<string, unknown>;
type WasmModule = typeof import("@duckdb/duckdb-wasm/blocking");

/** Native DuckDB holding an archive written from `files` (see writeArchive). */
export async function databaseOf(files: Record<string, unknown>): Promise<AccountingDatabase> {
  return openDatabase(await ingestArchive(writeArchive(files), { pseudonymKey: "k" }));
}

export async function rows<T = Row>(database: AccountingDatabase, sql: string): Promise<T[]> {
  return (await database.connection.runAndReadAll(sql)).getRowObjectsJS() as unknown as T[];
}

/** Rows as the site's AccountingDatabase.query returns them: plain objects, bigints as numbers. */
export function plainRows(rows: Row[]): Row[] {
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));
}

export interface WasmDatabase {
  tables: string[];
  query(sql: string): Row[];
  close(): void;
}

/**
 * The tables of `native` as the site loads them: written to Parquet, decoded by loaders/arrow.ts into Arrow IPC,
 * inserted into DuckDB-WASM (its node build: the same wasm as the site's, no ICU, no extensions).
 */
export async function wasmCopyOf(native: AccountingDatabase): Promise<WasmDatabase> {
  const require = createRequire(import.meta.url);
  const duckdb = require("@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs") as WasmModule;
  const dist = dirname(require.resolve("@duckdb/duckdb-wasm/dist/duckdb-eh.wasm"));
  const db = await duckdb.createDuckDB(
    { mvp: { mainModule: join(dist, "duckdb-mvp.wasm"), mainWorker: "" }, eh: { mainModule: join(dist, "duckdb-eh.wasm"), mainWorker: "" } },
    new duckdb.VoidLogger(),
    duckdb.NODE_RUNTIME,
  );
  await db.instantiate();
  const connection = db.connect();
  const folder = temporaryFolder("accounting-wasm-");
  const tables: string[] = [];
  for (const path of await writeParquet(native, folder)) {
    const name = basename(path, ".parquet");
    const bytes = readFileSync(path);
    const arrow = await parquetToArrow(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    connection.insertArrowFromIPCStream(arrow.ipc, { name: `${name}_raw`, create: true });
    connection.query(restoreTableSql(name, `${name}_raw`, arrow.timestamps));
    tables.push(name);
  }
  await rm(folder, { recursive: true, force: true });
  return {
    tables,
    query: (sql) => plainRows(connection.query(sql).toArray().map((row: { toJSON(): Row }) => row.toJSON())),
    close: () => connection.close(),
  };
}
