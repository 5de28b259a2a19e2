import { join } from "node:path";
import { rm } from "node:fs/promises";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountingDatabase } from "../../../loaders/ingest/database.js";
import {
  HOUR_METRICS,
  jobUsageSql,
  MODES,
  ownerUsageSql,
  reportOf,
  reportSql,
  runReport,
  type JobUsage,
  type OwnerUsage,
  type ReportRequest,
  type ReportRow,
} from "../../../loaders/queries/report.js";
import { CREATE_SITE_NUMBERS, MONTHLY_SITE_TABLES, SITE_TABLES } from "../../../loaders/site/site-tables.js";
import { jobJson, temporaryFolder, writeArchive } from "../../helpers/archive.js";
import { openWasm, rows, wasmCopyOf, type Row } from "../../helpers/engines.js";
import { REFERENCE_ARCHIVE, referencePeriods } from "../../helpers/reference.js";
import { loadedDatabase } from "../../helpers/tables.js";
import { known } from "../../helpers/hours.js";

/*
 * The browser's data path without a browser: the site's copy of the tables (loaders/site-tables.ts) as a build
 * writes it, decoded by hyparquet into Arrow IPC (loaders/arrow.ts), loaded into DuckDB-WASM's node build (the same
 * wasm as the site's) as src/components/database.ts does, then queried with the report SQL, against native DuckDB
 * on the documented tables the CLI queries.
 */

/** One archive in both engines: the documented tables in native DuckDB, the site's copy in DuckDB-WASM. */
interface Engines {
  native: AccountingDatabase;
  wasm(sql: string): Row[];
  nativeRows(sql: string): Promise<Row[]>;
  tables: string[];
  close(): Promise<void>;
}

/** The site's copy of a table in native DuckDB, as a query. */
const siteSql = (name: string) => [...SITE_TABLES, ...MONTHLY_SITE_TABLES].find((table) => table.name === name)!.sql;

async function loadArchive(archive: string): Promise<Engines> {
  const native = await loadedDatabase(archive, { pseudonymKey: "arrow-test" });
  const wasm = await wasmCopyOf(native);
  // The site's numbers of owners and jobs, which siteSql's queries read.
  for (const sql of CREATE_SITE_NUMBERS) await native.connection.run(sql);
  return {
    native,
    tables: wasm.tables,
    wasm: wasm.query,
    nativeRows: (sql) => rows(native, sql),
    async close() {
      wasm.close();
      native.close();
    },
  };
}

/** The report the browser computes. */
function wasmReport(engines: Engines, request: ReportRequest) {
  return reportOf(request, engines.wasm(reportSql(request)) as unknown as ReportRow[]);
}

describe("the browser's data path (hyparquet -> Arrow IPC -> DuckDB-WASM)", () => {
  let reference: Engines;
  beforeAll(async () => {
    reference = await loadArchive(REFERENCE_ARCHIVE);
  }, 120_000);
  afterAll(async () => {
    await reference?.close();
  });

  it("loads the site's tables, with the documented tables' rows, in their order, and microsecond timestamps", async () => {
    expect([...reference.tables].sort()).toEqual([
      "accounts",
      "intervals",
      "jobs",
      "problems",
      "recorded_resources",
      "run_order",
      "snapshots",
      "spans",
      "users",
    ]);
    for (const table of reference.tables) {
      const count = (from: string) => `SELECT count(*)::INTEGER AS n FROM ${from}`;
      expect(reference.wasm(count(`"${table}"`)), table).toEqual(await reference.nativeRows(count(`(${siteSql(table)})`)));
      expect(reference.wasm(count(`"${table}"`))[0]!.n, table).toBeGreaterThan(0);
    }
    // Jobs never seen consuming are left out; every job and owner of intervals is there.
    const unknown =
      "SELECT count(*)::INTEGER AS n FROM intervals i WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.source = i.source AND j.cluster = i.cluster AND j.account = i.account AND j.job_id = i.job_id) OR NOT EXISTS (SELECT 1 FROM users u WHERE u.owner = i.owner)";
    expect(reference.wasm(unknown)).toEqual([{ n: 0 }]);
    // Bigints as strings: Number() would hide a lost microsecond.
    const times = `SELECT
      epoch_us(min(start_time))::VARCHAR AS min_start, epoch_us(max(end_time))::VARCHAR AS max_end,
      sum(epoch_us(start_time) % 1000000)::VARCHAR AS sub_second_starts, sum(epoch_us(end_time) % 1000)::VARCHAR AS sub_milli_ends,
      epoch_us(min(first_snapshot))::VARCHAR AS first_snapshot, epoch_us(max(last_snapshot))::VARCHAR AS last_snapshot
      FROM intervals`;
    const restored = reference.wasm(times);
    expect(restored).toEqual(await reference.nativeRows(times));
    expect(Number(restored[0]!.min_start)).toBeGreaterThan(Date.UTC(2020, 0, 1) * 1000);
    expect(Number(restored[0]!.sub_second_starts)).toBeGreaterThan(0);
    const snapshots =
      "SELECT epoch_us(min(time))::VARCHAR AS first, epoch_us(max(time))::VARCHAR AS last, count(DISTINCT time)::INTEGER AS n, sum(running + queued)::INTEGER AS jobs FROM snapshots";
    expect(reference.wasm(snapshots)).toEqual(await reference.nativeRows(snapshots));
    // fsum adds in scan order: the same order gives the same bits.
    const order = "SELECT account, epoch_us(start_time)::VARCHAR AS s, epoch_us(first_snapshot)::VARCHAR AS f, memory_MB FROM intervals";
    expect(reference.wasm(order)).toEqual(await reference.nativeRows(order));
  });

  it("numbers jobs and owners: one number per job (source, cluster, account and id) and per owner, and back", async () => {
    const ids = "SELECT source, cluster, account, job_id, owner FROM intervals";
    const numbered = reference.wasm(ids);
    const original = await reference.nativeRows(ids);
    expect(numbered).toHaveLength(original.length);
    const jobs = new Map<string, unknown>();
    const owners = new Map<string, unknown>();
    original.forEach((row, i) => {
      const site = numbered[i]!;
      expect([site.source, site.cluster, site.account]).toEqual([row.source, row.cluster, row.account]);
      expect(typeof site.job_id).toBe("number");
      const job = [row.source, row.cluster, row.account, row.job_id].map(String).join("\u0000");
      expect(jobs.get(job) ?? site.job_id, job).toBe(site.job_id);
      jobs.set(job, site.job_id);
      expect(owners.get(String(row.owner)) ?? site.owner).toBe(site.owner);
      owners.set(String(row.owner), site.owner);
    });
    expect(new Set(jobs.values()).size).toBe(jobs.size);
    expect(new Set(owners.values()).size).toBe(owners.size);
    expect(Math.max(...(owners.values() as Iterable<number>))).toBe(owners.size);
  });

  it("gives each owner's usage as native DuckDB does, under their pseudonym, adding up to the report", async () => {
    for (const request of [{ mode: "exact" as const }, { mode: "compat" as const, from: "2024-03-04", to: "2024-03-06" }]) {
      const owners = reference.wasm(ownerUsageSql(request)) as unknown as OwnerUsage[];
      expect(owners).toEqual(await reference.nativeRows(ownerUsageSql(request)));
      const report = await runReport(reference.native, request);
      expect(owners).toHaveLength(report.total.users);
      for (const metric of HOUR_METRICS) {
        const sum = owners.reduce((total, owner) => total + owner[metric], 0);
        expect(Math.abs(sum - known(report.total[metric]))).toBeLessThanOrEqual(1e-9 * known(report.total[metric]));
      }
      for (const owner of owners) {
        expect(owner.pseudonym).toMatch(/^user-[0-9a-f]{12}$/);
        expect([owner.name, owner.email]).toEqual([null, null]);
      }
      expect(owners.map((owner) => owner.cpu_num_hours)).toEqual(owners.map((owner) => owner.cpu_num_hours).sort((a, b) => b - a));
    }
  });

  it("gives each job's usage as native DuckDB does, with no title in a public build, adding up to the report", async () => {
    for (const request of [{ mode: "exact" as const }, { mode: "compat" as const, from: "2024-03-04", to: "2024-03-06" }]) {
      const jobs = reference.wasm(jobUsageSql(request, 10_000)) as unknown as JobUsage[];
      expect(jobs).toEqual(await reference.nativeRows(jobUsageSql(request, 10_000)));
      expect(reference.wasm(jobUsageSql(request, 5))).toEqual(jobs.slice(0, 5));
      const report = await runReport(reference.native, request);
      expect(jobs).toHaveLength(report.total.jobs);
      for (const metric of HOUR_METRICS) {
        const sum = jobs.reduce((total, job) => total + job[metric], 0);
        expect(Math.abs(sum - known(report.total[metric]))).toBeLessThanOrEqual(1e-9 * known(report.total[metric]));
      }
      expect(new Set(jobs.map((job) => job.kind))).toEqual(new Set(["module", "tool", "batch"]));
      for (const job of jobs) expect([job.title, job.name, job.pseudonym.slice(0, 5)]).toEqual([null, null, "user-"]);
    }
  });

  for (const mode of MODES) {
    it(`gives the same ${mode} report as native DuckDB for every reference period, to the last bit`, async () => {
      const periods = referencePeriods(mode);
      expect(periods.length).toBeGreaterThan(3);
      for (const { from, to } of periods) {
        const request = { from, to, mode };
        const atBuild = await runReport(reference.native, request);
        expect(JSON.stringify(wasmReport(reference, request)), `${from ?? ""}:${to ?? ""}`).toBe(JSON.stringify(atBuild));
        expect(Object.keys(atBuild.namespaces).length).toBeGreaterThan(0);
      }
    });
  }

  it("loads no extension beyond the core ones: nothing for DuckDB-WASM to download", () => {
    const loaded = reference.wasm("SELECT extension_name FROM duckdb_extensions() WHERE loaded ORDER BY 1").map((row) => String(row.extension_name));
    for (const extension of ["parquet", "icu", "httpfs", "json"]) expect(loaded).not.toContain(extension);
  });

  // Timestamps come back as TIMESTAMP rather than TIMESTAMPTZ (no ICU in the browser); everything else as written.
  const describedTypes = (rows: Row[]) => rows.map((row) => [row.column_name, String(row.column_type).replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMP")]);

  it("keeps every column's type in the site's copy: whole doubles stay DOUBLE, null strings VARCHAR", async () => {
    for (const table of reference.tables) {
      expect(describedTypes(reference.wasm(`DESCRIBE "${table}"`)), table).toEqual(describedTypes(await reference.nativeRows(`DESCRIBE ${siteSql(table)}`)));
    }
    expect(reference.wasm("SELECT typeof(disk_MB) AS d, typeof(job_id) AS j, typeof(owner) AS o, typeof(start_time) AS t FROM intervals LIMIT 1")).toEqual([
      { d: "DOUBLE", j: "INTEGER", o: "INTEGER", t: "TIMESTAMP" },
    ]);
  });

  it("reports a year-long run of a job with a 400 GB disk, and keeps the types of empty tables", async () => {
    const job = jobJson({
      submit_time: "2022-12-31 23:00:00",
      alloc_start: "2023-01-01T00:00:00Z",
      resources: { cpu_num: 1, cpu_MHz: 2000, gpu_num: 0, memory_MB: 4000, disk_MB: 400_000 },
    });
    const archive = writeArchive({ "2023-01-01T06:00:00.json": { big: [job] }, "2024-01-10T06:00:00.json": { big: [job] } });
    const engines = await loadArchive(archive);
    try {
      const request = { mode: "exact" as const };
      const atBuild = await runReport(engines.native, request);
      expect(atBuild.namespaces.big!.disk_MB_hours).toBeGreaterThan(400_000 * 365 * 24);
      // Whole-number resources as integers would overflow BIGINT: 400000 MB x 3.2e13 µs.
      expect(JSON.stringify(wasmReport(engines, request))).toBe(JSON.stringify(atBuild));
      expect(engines.wasm("SELECT count(*)::INTEGER AS n FROM problems")).toEqual([{ n: 0 }]);
      for (const table of engines.tables) {
        expect(describedTypes(engines.wasm(`DESCRIBE "${table}"`)), table).toEqual(describedTypes(await engines.nativeRows(`DESCRIBE ${siteSql(table)}`)));
      }
    } finally {
      await engines.close();
      await rm(archive, { recursive: true, force: true });
    }
  });
});

describe("parquetToArrow", () => {
  it("decodes every type DuckDB writes for the tables, nulls and several row groups included, in both Parquet versions", async () => {
    const folder = temporaryFolder("accounting-arrow-");
    const native = await (await DuckDBInstance.create(":memory:")).connect();
    const wasm = await openWasm();
    const values = `SELECT i::INTEGER AS n,
      CASE WHEN i % 3 = 0 THEN NULL ELSE (i * 7 - 5000)::INTEGER END AS int,
      CASE WHEN i % 4 = 0 THEN NULL ELSE i::BIGINT * 10000000007 END AS big,
      CASE WHEN i % 5 = 0 THEN NULL ELSE (i * 1.25)::DOUBLE END AS dbl,
      CASE WHEN i % 6 = 0 THEN NULL ELSE (i / 8)::REAL END AS flt,
      CASE WHEN i % 7 = 0 THEN NULL ELSE make_timestamp(1700000000000000 + i * 1000003)::TIMESTAMPTZ END AS ts,
      CASE WHEN i % 2 = 0 THEN NULL ELSE i % 3 = 1 END AS flag,
      CASE WHEN i % 9 = 0 THEN NULL WHEN i % 11 = 0 THEN '' ELSE 'v' || (i % 50) || repeat('é', i % 3) END AS text
      FROM range(2500) AS t(i)`;
    const canonical = (table: string) => `SELECT n, int, big::VARCHAR AS big, dbl, flt, epoch_us(ts)::VARCHAR AS ts, flag, text FROM ${table} ORDER BY n`;
    const expected = (await native.runAndReadAll(canonical(`(${values})`))).getRowObjectsJS();
    try {
      for (const version of ["V1", "V2"]) {
        const path = join(folder, `${version}.parquet`);
        await native.run(`COPY (${values}) TO '${path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000, PARQUET_VERSION ${version})`);
        await wasm.insertParquet(`t_${version}`, path);
        expect(wasm.query(canonical(`t_${version}`)), version).toEqual(expected.map((row) => ({ ...row, big: row.big ?? null, ts: row.ts ?? null })));
        expect(wasm.query(`SELECT count(*)::INTEGER AS nulls FROM t_${version} WHERE ts IS NULL`)).toEqual([{ nulls: 358 }]);
      }
    } finally {
      wasm.close();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
