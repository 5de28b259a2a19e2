import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, createTable, type AccountingDatabase } from "../../../loaders/ingest/database.js";
import type { IntervalRecord } from "../../../loaders/model/records.js";
import { accountsTable, intervalsTable, snapshotsTable, spansTable } from "../../../loaders/model/schema.js";
import { MODES, RECORDED_RESOURCES_SQL, runReport } from "../../../loaders/queries/report.js";
import { jobJson, writeArchive } from "../../helpers/archive.js";
import { REFERENCE_ARCHIVE, REFERENCE_NAMESPACES, referencePeriods, upstreamView } from "../../helpers/reference.js";
import { loadedDatabase } from "../../helpers/tables.js";

let database: AccountingDatabase;
beforeAll(async () => {
  database = await loadedDatabase(REFERENCE_ARCHIVE);
});
afterAll(() => database.close());

describe.each(MODES)("the reference archive in %s mode", (mode) => {
  it.each(referencePeriods(mode))("reproduces every number of period $from:$to", async ({ from, to, tables }) => {
    const report = await runReport(database, { from, to, mode, namespaces: REFERENCE_NAMESPACES });
    expect(upstreamView(report)).toEqual(tables);
  });
});

describe("periods", () => {
  it("default to the whole archive, from its first snapshot to its last day", async () => {
    const report = await runReport(database, { mode: "exact" });
    expect([report.from, report.to, Object.keys(report.namespaces)]).toEqual(["2024-03-01", "2024-04-14", ["ai4eosc", "ai4life", "imagine"]]);
  });

  it("count nothing outside the archive", async () => {
    for (const mode of MODES) {
      const report = await runReport(database, { from: "2023-01-01", to: "2023-12-31", mode });
      expect(report.total).toEqual({ cpu_num_hours: 0, cpu_MHz_hours: 0, gpu_num_hours: 0, memory_MB_hours: 0, disk_MB_hours: 0, jobs: 0, users: 0 });
    }
  });

  it("count usage across a gap between snapshots in exact mode only (compat needs a snapshot inside the period)", async () => {
    const archive = writeArchive({
      "2024-03-01T12:00:00.json": { vo: [jobJson()] },
      "2024-03-04T12:00:00.json": { vo: [jobJson()] },
    });
    const gap = await loadedDatabase(archive);
    const day = { from: "2024-03-02", to: "2024-03-02" };
    const exact = await runReport(gap, { ...day, mode: "exact" });
    const compat = await runReport(gap, { ...day, mode: "compat" });
    const whole = await runReport(gap, { mode: "exact" });
    gap.close();
    expect(exact.total).toEqual({
      cpu_num_hours: 48,
      cpu_MHz_hours: 72000,
      gpu_num_hours: 24,
      memory_MB_hours: 192000,
      disk_MB_hours: 240000,
      jobs: 1,
      users: 1,
    });
    expect(compat.total).toEqual({ cpu_num_hours: 0, cpu_MHz_hours: 0, gpu_num_hours: 0, memory_MB_hours: 0, disk_MB_hours: 0, jobs: 0, users: 0 });
    expect(whole.total.gpu_num_hours).toBe(72);
  });

  it("never count more in compat mode than in exact mode", async () => {
    for (const { from, to } of referencePeriods("compat")) {
      const compat = await runReport(database, { from, to, mode: "compat" });
      const exact = await runReport(database, { from, to, mode: "exact" });
      for (const [metric, value] of Object.entries(compat.total)) expect(value).toBeLessThanOrEqual((exact.total as Record<string, number>)[metric]! + 1e-6);
    }
  });
});

describe("reports", () => {
  it("are the same to the last bit however often they run, on more intervals than a row group holds", async () => {
    const hour = 3_600_000_000;
    const t0 = Date.UTC(2024, 0, 1) * 1000;
    const intervals: IntervalRecord[] = Array.from({ length: 300_000 }, (_, i) => ({
      source: "nomad",
      cluster: "nomad",
      account: `vo${i % 3}`,
      jobId: `job-${i}`,
      owner: `owner-${i % 97}`,
      allocId: null,
      start: t0 + (i % 5000) * hour + (i % 7) * 1234,
      end: t0 + (i % 5000) * hour + (((i % 11) + 1) * hour) / 3,
      firstSnapshot: t0 + (i % 5000) * hour,
      lastSnapshot: t0 + (i % 5000) * hour,
      resources: { cpu_num: (i % 13) + 0.5, cpu_MHz: 2500.25, gpu_num: i % 2, memory_MB: 1000 + (i % 17) / 3, disk_MB: 10000 },
    }));
    const snapshots = ["vo0", "vo1", "vo2"].map((namespace) => ({
      time: t0,
      file: "s.json",
      namespace,
      counts: { running: 0, dead: 0, queued: 0, starting: 0, down: 0, failed: 0, complete: 0, error: 0, other: 0, skipped: 0 },
    }));
    const big = await createDatabase();
    await createTable(big.connection, intervalsTable, intervals);
    await createTable(big.connection, snapshotsTable, snapshots);
    await createTable(
      big.connection,
      accountsTable,
      ["vo0", "vo1", "vo2"].map((account) => ({ source: "nomad", cluster: "nomad", account }) as const),
    );
    await createTable(big.connection, spansTable, [{ source: "nomad", cluster: "nomad", first: t0, last: t0 + 5000 * hour }]);
    await big.connection.run(`CREATE TABLE recorded_resources AS ${RECORDED_RESOURCES_SQL}`);
    const results = new Set<string>();
    for (let run = 0; run < 8; run++) results.add(JSON.stringify(await runReport(big, { mode: "exact", from: "2024-01-01", to: "2024-06-30" })));
    big.close();
    expect(results.size).toBe(1);
  }, 60_000);
});
