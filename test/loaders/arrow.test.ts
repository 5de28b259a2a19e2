import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, runReport, type AccountingDatabase } from "../../loaders/database.js";
import { ingestArchive } from "../../loaders/ingest.js";
import { MODES, reportOf, reportSql, type ReportRequest, type ReportRow } from "../../loaders/report.js";
import { jobJson, writeArchive } from "../helpers/archive.js";
import { rows, wasmCopyOf, type Row } from "../helpers/engines.js";
import { REFERENCE_ARCHIVE, referencePeriods } from "../helpers/reference.js";

/*
 * The browser's data path without a browser: the Parquet files a build writes, decoded by hyparquet into
 * Arrow IPC (loaders/arrow.ts), loaded into DuckDB-WASM's node build (the same wasm as the site's) as
 * src/components/database.ts does, then queried with the report SQL, against native DuckDB on the same tables.
 */

/** One archive in both engines. */
interface Engines {
  native: AccountingDatabase;
  wasm(sql: string): Row[];
  nativeRows(sql: string): Promise<Row[]>;
  tables: string[];
  close(): Promise<void>;
}

async function loadArchive(archive: string): Promise<Engines> {
  const native = await openDatabase(await ingestArchive(archive, { pseudonymKey: "arrow-test" }));
  const wasm = await wasmCopyOf(native);
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

  it("restores every table with the same rows and microsecond timestamps as native DuckDB", async () => {
    expect([...reference.tables].sort()).toEqual(["intervals", "jobs", "problems", "snapshots", "users"]);
    for (const table of reference.tables) {
      const count = `SELECT count(*)::INTEGER AS n FROM "${table}"`;
      expect(reference.wasm(count), table).toEqual(await reference.nativeRows(count));
      expect(reference.wasm(count)[0]!.n, table).toBeGreaterThan(0);
    }
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
    const snapshots = "SELECT epoch_us(min(time))::VARCHAR AS first, epoch_us(max(time))::VARCHAR AS last, count(DISTINCT time)::INTEGER AS n FROM snapshots";
    expect(reference.wasm(snapshots)).toEqual(await reference.nativeRows(snapshots));
    const jobs = "SELECT sum(epoch_us(coalesce(submit_time, first_seen)))::VARCHAR AS submitted, sum(epoch_us(last_seen))::VARCHAR AS seen FROM jobs";
    expect(reference.wasm(jobs)).toEqual(await reference.nativeRows(jobs));
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

  it("keeps every column's Parquet type: whole doubles stay DOUBLE, null strings VARCHAR", async () => {
    for (const table of reference.tables) {
      expect(describedTypes(reference.wasm(`DESCRIBE "${table}"`)), table).toEqual(describedTypes(await reference.nativeRows(`DESCRIBE "${table}"`)));
    }
    expect(reference.wasm("SELECT typeof(disk_MB) AS t FROM intervals LIMIT 1")).toEqual([{ t: "DOUBLE" }]);
  });

  it("reports a year-long run of a job with a 400 GB disk, and keeps the types of empty tables", async () => {
    const job = jobJson({ alloc_start: "2023-01-01T00:00:00Z", resources: { cpu_num: 1, cpu_MHz: 2000, gpu_num: 0, memory_MB: 4000, disk_MB: 400_000 } });
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
        expect(describedTypes(engines.wasm(`DESCRIBE "${table}"`)), table).toEqual(describedTypes(await engines.nativeRows(`DESCRIBE "${table}"`)));
      }
    } finally {
      await engines.close();
      await rm(archive, { recursive: true, force: true });
    }
  });
});
