import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as WasmModule from "@duckdb/duckdb-wasm/blocking";
import { parquetToArrow } from "../../loaders/site/arrow.js";
import type { AccountingDatabase } from "../../loaders/ingest/database.js";
import { formatDay } from "../../loaders/model/time.js";
import type { Period } from "../../loaders/queries/sql.js";
import { writeSiteTables } from "../../loaders/site/site-data.js";
import { MONTHLY_SITE_TABLES, MonthlyTables, SITE_TABLES } from "../../loaders/site/site-tables.js";
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
  /** Inserts Arrow IPC as the table `name`. */
  insertArrow(name: string, ipc: Uint8Array): void;
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
      connection.insertArrowFromIPCStream(await arrowOf(path), { name, create: true });
      tables.push(name);
    },
    insertArrow: (name, ipc) => connection.insertArrowFromIPCStream(ipc, { name, create: true }),
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

async function arrowOf(path: string): Promise<Uint8Array> {
  const bytes = readFileSync(path);
  return (await parquetToArrow(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)).ipc;
}

/**
 * The tables of `native` as the site loads them: the site's copy (loaders/site-tables.ts) written to Parquet as
 * the build writes it, decoded and inserted into DuckDB-WASM as the browser does (see openWasm), the monthly tables
 * holding the months of `period` (the whole archive by default).
 */
export async function wasmCopyOf(native: AccountingDatabase, period: Period = {}): Promise<WasmDatabase & { cover(period: Period): Promise<void> }> {
  const wasm = await openWasm();
  const folder = temporaryFolder("accounting-wasm-");
  const manifest = await writeSiteTables(native, folder);
  for (const { name } of [...SITE_TABLES, ...MONTHLY_SITE_TABLES]) await wasm.insertParquet(name, join(folder, `${name}.parquet`));
  const monthly = new MonthlyTables(
    manifest,
    { insertArrow: async (name, ipc) => wasm.insertArrow(name, ipc), run: async (sql) => void wasm.query(sql) },
    (path) => arrowOf(join(folder, path)),
  );
  const [span] = wasm.query("SELECT epoch_us(min(first_time)) AS first, epoch_us(max(last_time)) AS last FROM spans") as [
    { first: number | null; last: number | null },
  ];
  const cover = async (period: Period) => {
    if (span.first !== null && span.last !== null) await monthly.cover(period.from ?? formatDay(span.first), period.to ?? formatDay(span.last));
  };
  await cover(period);
  return {
    ...wasm,
    cover,
    close() {
      wasm.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
