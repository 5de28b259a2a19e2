import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runReport } from "../../../loaders/queries/report.js";
import type { AccountingDatabase } from "../../../loaders/ingest/database.js";
import { RESOURCES } from "../../../loaders/model/resources.js";
import {
  accountOriginsSql,
  problemCountsSql,
  problemsSql,
  recordSpansSql,
  snapshotCoverageSql,
  snapshotGapsSql,
  unseenEndsSql,
} from "../../../loaders/queries/quality.js";
import { dailyUsageSql, lastSnapshotJobsSql, snapshotJobsSql, type DailyUsage } from "../../../loaders/queries/usage.js";
import { jobJson } from "../../helpers/archive.js";
import { databaseOf, plainRows, rows, wasmCopyOf } from "../../helpers/engines.js";
import { loadedDatabase } from "../../helpers/tables.js";
import { known } from "../../helpers/hours.js";

const job = (overrides: Record<string, unknown> = {}) => jobJson({ alloc_start: "2024-03-01T12:00:00Z", ...overrides });

describe("daily usage", () => {
  it("is each resource's mean over the day: 2 cores from noon to noon are 1 core on each day", async () => {
    const database = await databaseOf({
      "2024-03-01T12:00:00.json": { vo: [job()] },
      "2024-03-02T12:00:00.json": { vo: [job()] },
    });
    const daily = await rows<DailyUsage>(database, dailyUsageSql());
    database.close();
    const half = { cpu_num: 1, cpu_MHz: 1500, gpu_num: 0.5, memory_MB: 4000, disk_MB: 5000 };
    expect(daily).toEqual([
      { account: "vo", day: "2024-03-01", ...half },
      { account: "vo", day: "2024-03-02", ...half },
    ]);
  });

  it("spans the first to the last snapshot's day, for every namespace, across gaps and dead jobs", async () => {
    const started = jobJson({ alloc_start: "2024-02-28T00:00:00Z" });
    const dead = {
      job_ID: "1a2b3c4d-0000-0000-0000-000000000002",
      alloc_start: "2024-03-01T11:00:00Z",
      resources: { cpu_num: 3, cpu_MHz: 0, gpu_num: 0, memory_MB: 0, disk_MB: 0 },
    };
    const database = await databaseOf({
      "2024-03-01T12:00:00.json": { vo: [started, jobJson(dead)], idle: [] },
      "2024-03-03T06:00:00.json": { vo: [started, jobJson({ ...dead, status: "dead", alloc_end: "2024-03-01T18:00:00Z" })], idle: [] },
    });
    const daily = await rows<DailyUsage>(database, dailyUsageSql());
    const report = await runReport(database, { from: "2024-03-01", to: "2024-03-03", mode: "exact" });
    database.close();
    expect(daily.map((row) => [row.day, row.account, row.cpu_num])).toEqual([
      ["2024-03-01", "idle", 0],
      ["2024-03-01", "vo", 2 + (3 * 7) / 24],
      ["2024-03-02", "idle", 0],
      ["2024-03-02", "vo", 2],
      ["2024-03-03", "idle", 0],
      ["2024-03-03", "vo", (2 * 6) / 24],
    ]);
    const hours = daily.reduce((sum, row) => sum + row.cpu_num * 24, 0);
    expect(hours).toBe(2 * 24 + 3 * 7 + 2 * 24 + 2 * 6);
    expect(hours).toBeCloseTo(known(report.total.cpu_num_hours), 9);
  });

  describe("of the sample archive", () => {
    let database: AccountingDatabase;
    let daily: DailyUsage[];
    beforeAll(async () => {
      database = await loadedDatabase("data/sample");
      daily = await rows<DailyUsage>(database, dailyUsageSql());
    });
    afterAll(() => database.close());

    it("covers 2024-01-01 to 2024-03-15 for its three namespaces", () => {
      expect(daily).toHaveLength(75 * 3);
      expect([daily[0]?.day, daily.at(-1)?.day]).toEqual(["2024-01-01", "2024-03-15"]);
      expect(new Set(daily.map((row) => row.account))).toEqual(new Set(["ai4eosc", "ai4life", "imagine"]));
    });

    it("adds up, day by day, to the exact report of the same span, for every namespace and resource", async () => {
      const report = await runReport(database, { from: "2024-01-01", to: "2024-03-15", mode: "exact" });
      for (const [namespace, usage] of Object.entries(report.namespaces)) {
        for (const resource of RESOURCES) {
          const hours = daily.filter((row) => row.account === namespace).reduce((sum, row) => sum + row[resource] * 24, 0);
          const expected = known(usage[`${resource}_hours`]);
          expect(Math.abs(hours - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, expected));
        }
      }
    });
  });
});

describe("jobs per snapshot", () => {
  it("are the running and queued counts of every snapshot and namespace, and of the last one", async () => {
    const queued = { job_ID: "1a2b3c4d-0000-0000-0000-000000000003", status: "queued", alloc_start: null, alloc_ID: null };
    const database = await databaseOf({
      "2024-03-01T12:00:00.json": { vo: [job(), jobJson(queued)] },
      "2024-03-01T18:00:00.json": { vo: [job()], other: [jobJson(queued)] },
    });
    const all = await rows(database, snapshotJobsSql());
    const last = await rows(database, lastSnapshotJobsSql());
    database.close();
    expect(all).toEqual([
      { time: "2024-03-01T12:00:00Z", account: "other", running: 0, queued: 0 },
      { time: "2024-03-01T12:00:00Z", account: "vo", running: 1, queued: 1 },
      { time: "2024-03-01T18:00:00Z", account: "other", running: 0, queued: 1 },
      { time: "2024-03-01T18:00:00Z", account: "vo", running: 1, queued: 0 },
    ]);
    expect(last).toEqual(all.slice(2));
  });
});

describe("in the browser's DuckDB-WASM", () => {
  it("every query of the usage and quality pages gives what native DuckDB gives", async () => {
    const native = await loadedDatabase("data/sample");
    const wasm = await wasmCopyOf(native);
    const queries = [
      dailyUsageSql(),
      snapshotJobsSql(),
      lastSnapshotJobsSql(),
      snapshotGapsSql(4),
      snapshotCoverageSql(),
      unseenEndsSql(),
      problemCountsSql(),
      problemsSql(),
      recordSpansSql(),
      accountOriginsSql(),
    ];
    for (const sql of queries) {
      const expected = (await native.connection.runAndReadAll(sql)).getRowObjectsJS();
      expect(expected.length, sql).toBeGreaterThan(0);
      expect(wasm.query(sql), sql).toEqual(plainRows(expected));
    }
    wasm.close();
    native.close();
  }, 60_000);
});
