import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import type * as WasmModule from "@duckdb/duckdb-wasm/blocking";
import { parquetToArrow } from "../../loaders/site/arrow.js";
import { writeSiteParquet, type AccountingDatabase } from "../../loaders/ingest/database.js";
import { temporaryFolder, writeArchive } from "./archive.js";
import { loadedDatabase } from "./tables.js";

export type Row = Record<string, unknown>;

/** Native DuckDB holding an archive written from `files` (see writeArchive). */
export async function databaseOf(files: Record<string, unknown>): Promise<AccountingDatabase> {
  return loadedDatabase(writeArchive(files));
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
  /** Decodes Parquet with loaders/arrow.ts and inserts it as the table `name`, as src/components/database.ts does. */
  insertParquet(name: string, path: string): Promise<void>;
  query(sql: string): Row[];
  close(): void;
}

/** An empty DuckDB-WASM: its node build, the same wasm as the site's, no ICU, no extensions. */
export async function openWasm(): Promise<WasmDatabase> {
  const require = createRequire(import.meta.url);
  const duckdb = require("@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs") as typeof WasmModule;
  const dist = dirname(require.resolve("@duckdb/duckdb-wasm/dist/duckdb-eh.wasm"));
  const db = await duckdb.createDuckDB(
    { mvp: { mainModule: join(dist, "duckdb-mvp.wasm"), mainWorker: "" }, eh: { mainModule: join(dist, "duckdb-eh.wasm"), mainWorker: "" } },
    new duckdb.VoidLogger(),
    duckdb.NODE_RUNTIME,
  );
  await db.instantiate();
  const connection = db.connect();
  const tables: string[] = [];
  return {
    tables,
    async insertParquet(name, path) {
      const bytes = readFileSync(path);
      const arrow = await parquetToArrow(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
      connection.insertArrowFromIPCStream(arrow.ipc, { name, create: true });
      tables.push(name);
    },
    query: (sql) =>
      plainRows(
        connection
          .query(sql)
          .toArray()
          .map((row: { toJSON(): Row }) => row.toJSON()),
      ),
    close: () => connection.close(),
  };
}

/**
 * The tables of `native` as the site loads them: the site's copy (loaders/site-tables.ts) written to Parquet as
 * the build writes it, decoded and inserted into DuckDB-WASM as the browser does (see openWasm).
 */
export async function wasmCopyOf(native: AccountingDatabase): Promise<WasmDatabase> {
  const wasm = await openWasm();
  const folder = temporaryFolder("accounting-wasm-");
  for (const path of await writeSiteParquet(native, folder)) await wasm.insertParquet(basename(path, ".parquet"), path);
  await rm(folder, { recursive: true, force: true });
  return wasm;
}
