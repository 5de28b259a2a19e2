import type * as DuckDB from "@duckdb/duckdb-wasm";
import { FileAttachment } from "observablehq:stdlib";
import { parquetToArrow } from "../loaders/site/arrow.js";
import { plainRow, sqlString, type Connector, type Period } from "../loaders/queries/sql.js";
import { MonthlyTables, type SiteManifest } from "../loaders/site/site-tables.js";
import { formatDay } from "../loaders/model/time.js";
import { jobUsageSql, ownerUsageSql, runReport, type JobUsage, type OwnerUsage, type Report, type ReportRequest } from "../loaders/queries/report.js";

/**
 * The site's copy of the tables (loaders/site/site-tables.ts): those shipped whole, each a page may query, and the
 * monthly ones with no row yet. Read with `.arrayBuffer()` right at the call: Framework would otherwise add its CDN
 * Parquet reader.
 */
const TABLES = {
  intervals: () => FileAttachment("../data/accounting/intervals.parquet").arrayBuffer(),
  jobs: () => FileAttachment("../data/accounting/jobs.parquet").arrayBuffer(),
  run_order: () => FileAttachment("../data/accounting/run_order.parquet").arrayBuffer(),
  snapshots: () => FileAttachment("../data/accounting/snapshots.parquet").arrayBuffer(),
  users: () => FileAttachment("../data/accounting/users.parquet").arrayBuffer(),
  accounts: () => FileAttachment("../data/accounting/accounts.parquet").arrayBuffer(),
  spans: () => FileAttachment("../data/accounting/spans.parquet").arrayBuffer(),
  recorded_resources: () => FileAttachment("../data/accounting/recorded_resources.parquet").arrayBuffer(),
};

/** The tables only some page queries, fetched when it asks for them (`load`): every skipped file and line, for the quality page. */
const TABLES_ON_DEMAND = {
  problems: () => FileAttachment("../data/accounting/problems.parquet").arrayBuffer(),
};

/** The monthly tables' files, which no page names: `dynamicPaths` puts them into the build (src/reports/pages.ts). */
const MANIFEST = FileAttachment("../data/accounting/manifest.json");

/**
 * Where a file of the manifest is served: the build copies it to its own path (`data/accounting/<path>` from the
 * site's root); Framework's preview serves it as it serves the manifest, under `_file/`, which only its build names with
 * a content hash.
 */
function monthlyFileUrl(path: string): URL {
  const manifest = new URL(MANIFEST.href, location.href);
  const preview = manifest.pathname.endsWith("/manifest.json");
  return new URL(preview ? path : `../../../data/accounting/${path}`, manifest);
}

async function fetchArrow(url: URL | string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} could not be fetched: ${response.status} ${response.statusText}`);
  return (await parquetToArrow(await response.arrayBuffer())).ipc;
}

export type Row = Record<string, unknown>;

/**
 * DuckDB-WASM holding the archive's tables, its worker and wasm served by the site itself: the monthly tables hold the
 * months asked for (`cover`) so far.
 */
export interface AccountingDatabase extends Connector {
  cover(period: Period): Promise<void>;
  /** Fetches a table no other page needs, once: until then the database has no such table. */
  load(table: keyof typeof TABLES_ON_DEMAND): Promise<void>;
  /** The accounting of a period: the CLI's report query (loaders/report.ts). */
  report(request: ReportRequest): Promise<Report>;
  /** The same period's usage per owner (loaders/report.ts). */
  ownerUsage(request: ReportRequest): Promise<OwnerUsage[]>;
  /** The same period's usage per job, the `limit` that used most CPU-hours (loaders/report.ts). */
  jobUsage(request: ReportRequest, limit: number): Promise<JobUsage[]>;
}

/**
 * DuckDB-WASM's API from the site's own bundle of it (loaders/site/site-data.ts, writeDuckdbModule), not from
 * Framework's bundle of the whole package, which names a CDN.
 */
async function duckdbModule(): Promise<Pick<typeof DuckDB, "AsyncDuckDB" | "VoidLogger">> {
  return (await import(FileAttachment("../data/duckdb-browser.js").href)) as Pick<typeof DuckDB, "AsyncDuckDB" | "VoidLogger">;
}

export async function openAccountingDatabase(): Promise<AccountingDatabase> {
  const duckdb = await duckdbModule();
  const worker = new Worker(FileAttachment("../data/duckdb-browser-eh.worker.js").href);
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  // The worker fetches and compiles the wasm while this thread fetches and decodes the tables.
  const instantiated = db.instantiate(FileAttachment("../data/duckdb-eh.wasm").href);
  const tables = Object.entries(TABLES).map(async ([name, read]) => ({ name, arrow: await parquetToArrow(await read()) }));
  const manifest = MANIFEST.json() as Promise<SiteManifest>;
  await Promise.all([instantiated, manifest, ...tables]);
  const connection = await db.connect();
  // No extension is ever loaded, nor looked for beyond the site: DuckDB would otherwise download one a query needs from
  // its repository on the internet. The pages need none.
  for (const setting of [
    "autoinstall_known_extensions = false",
    "autoload_known_extensions = false",
    `custom_extension_repository = ${sqlString(new URL("no-extensions", location.href).href)}`,
  ])
    await connection.query(`SET GLOBAL ${setting}`);
  /** A table made of Arrow IPC bytes. */
  const insert = async (name: string, ipc: Uint8Array) => void (await connection.insertArrowFromIPCStream(ipc, { name, create: true }));
  for (const table of tables) {
    const { name, arrow } = await table;
    await insert(name, arrow.ipc);
  }
  const monthly = new MonthlyTables(
    await manifest,
    {
      insertArrow: insert,
      run: async (sql) => void (await connection.query(sql)),
    },
    (path) => fetchArrow(monthlyFileUrl(path)),
  );
  async function query<T>(sql: string): Promise<T[]> {
    const result = await connection.query(sql);
    return result.toArray().map((row) => plainRow(row.toJSON()) as T);
  }
  const [span] = await query<{ first: number; last: number }>(`SELECT epoch_us(min(first_time)) AS first, epoch_us(max(last_time)) AS last FROM spans`);
  /** A period's months, the archive's first and last day where it names none. */
  const cover = (period: Period) => monthly.cover(period.from ?? formatDay(span!.first), period.to ?? formatDay(span!.last));
  const loaded = new Map<string, Promise<void>>();
  const load = (name: keyof typeof TABLES_ON_DEMAND) => {
    const loading =
      loaded.get(name) ??
      TABLES_ON_DEMAND[name]()
        .then(parquetToArrow)
        .then(({ ipc }) => insert(name, ipc));
    loaded.set(name, loading);
    return loading;
  };
  return {
    query,
    cover,
    load,
    report: async (request) => (await cover(request), runReport({ query }, request)),
    ownerUsage: async (request) => (await cover(request), query<OwnerUsage>(ownerUsageSql(request))),
    jobUsage: async (request, limit) => (await cover(request), query<JobUsage>(jobUsageSql(request, limit))),
  };
}

let opened: Promise<AccountingDatabase> | undefined;

/**
 * The page's one database, opened (DuckDB-WASM's module, worker and wasm and the archive's tables fetched) the first
 * time something asks for it: a page whose numbers were written at build time may never.
 */
export function accountingDatabase(): Promise<AccountingDatabase> {
  opened ??= openAccountingDatabase();
  return opened;
}
