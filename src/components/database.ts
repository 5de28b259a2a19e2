import type * as DuckDB from "@duckdb/duckdb-wasm";
import { FileAttachment } from "observablehq:stdlib";
import { parquetToArrow } from "../loaders/site/arrow.js";
import { plainRow, sqlString, type Connector } from "../loaders/queries/sql.js";
import { jobUsageSql, ownerUsageSql, runReport, type JobUsage, type OwnerUsage, type Report, type ReportRequest } from "../loaders/queries/report.js";

/**
 * The site's copy of the tables (loaders/site-tables.ts), every one a page queries. Read with `.arrayBuffer()`
 * right at the call: Framework would otherwise add its CDN Parquet reader.
 */
const TABLES = {
  intervals: () => FileAttachment("../data/accounting/intervals.parquet").arrayBuffer(),
  snapshots: () => FileAttachment("../data/accounting/snapshots.parquet").arrayBuffer(),
  problems: () => FileAttachment("../data/accounting/problems.parquet").arrayBuffer(),
  users: () => FileAttachment("../data/accounting/users.parquet").arrayBuffer(),
  jobs: () => FileAttachment("../data/accounting/jobs.parquet").arrayBuffer(),
  accounts: () => FileAttachment("../data/accounting/accounts.parquet").arrayBuffer(),
  spans: () => FileAttachment("../data/accounting/spans.parquet").arrayBuffer(),
};

export type Row = Record<string, unknown>;

/** DuckDB-WASM holding the archive's tables, its worker and wasm served by the site itself. */
export interface AccountingDatabase extends Connector {
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
  await Promise.all([instantiated, ...tables]);
  const connection = await db.connect();
  // No extension is ever loaded, nor looked for beyond the site: DuckDB would otherwise download one a query needs from
  // its repository on the internet. The pages need none.
  for (const setting of [
    "autoinstall_known_extensions = false",
    "autoload_known_extensions = false",
    `custom_extension_repository = ${sqlString(new URL("no-extensions", location.href).href)}`,
  ])
    await connection.query(`SET GLOBAL ${setting}`);
  for (const table of tables) {
    const { name, arrow } = await table;
    await connection.insertArrowFromIPCStream(arrow.ipc, { name, create: true });
  }
  async function query<T>(sql: string): Promise<T[]> {
    const result = await connection.query(sql);
    return result.toArray().map((row) => plainRow(row.toJSON()) as T);
  }
  return {
    query,
    report: (request) => runReport({ query }, request),
    ownerUsage: (request) => query<OwnerUsage>(ownerUsageSql(request)),
    jobUsage: (request, limit) => query<JobUsage>(jobUsageSql(request, limit)),
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
