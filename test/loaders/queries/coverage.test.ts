import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coverageSentences, PeriodError, periodCoverage, type Coverage } from "../../../loaders/queries/coverage.js";
import type { AccountingDatabase } from "../../../loaders/ingest/database.js";
import type { KnownIssue } from "../../../loaders/ingest/known-issues.js";
import { HOUR_METRICS, runReport, type ReportRequest } from "../../../loaders/queries/report.js";
import { wasmCopyOf, type WasmDatabase } from "../../helpers/engines.js";
import { loadedDatabase } from "../../helpers/tables.js";
import { REFERENCE_ARCHIVE } from "../../helpers/reference.js";
import { known } from "../../helpers/hours.js";
import { ROOT } from "../../helpers/project.js";
import { join } from "node:path";

/** The reference archive runs from 2024-03-01T00:00:10Z to 2024-04-14T18:00:26Z, with a 3-day takedown. */
const ISSUES: KnownIssue[] = [
  { from: "2024-02-01", to: "2024-02-10", title: "Before the archive", description: "" },
  { from: "2024-03-05", to: "2024-03-08", title: "Takedown", description: "" },
  { from: "2024-04-14", to: "2024-04-20", title: "Cron moved", description: "" },
];

let database: AccountingDatabase;
let wasm: WasmDatabase;

beforeAll(async () => {
  database = await loadedDatabase(REFERENCE_ARCHIVE);
  wasm = await wasmCopyOf(database);
}, 60_000);

afterAll(() => {
  wasm?.close();
  database?.close();
});

const coverage = (request: Partial<ReportRequest>) => periodCoverage(database, { mode: "exact", ...request }, ISSUES);

describe("the coverage of a period", () => {
  it("of the whole archive: from the first snapshot to the end of the last day, provisional, nothing before the archive", async () => {
    const found = await coverage({});
    expect(found).toMatchObject({
      from: "2024-03-01",
      to: "2024-04-14",
      first_snapshot: "2024-03-01T00:00:10Z",
      last_snapshot: "2024-04-14T18:00:26Z",
      provisional: true,
    });
    expect(found.days).toBeCloseTo(45 - 10 / 86_400, 9);
    expect(found.covered_days).toBeCloseTo(44.75 + 16 / 86_400, 9);
    expect(Object.values(found.before_first_snapshot)).toEqual(HOUR_METRICS.map(() => 0));
    expect(found.known_issues.map((issue) => issue.title)).toEqual(["Takedown", "Cron moved"]);
    expect(found.gaps.some((gap) => gap.hours > 48)).toBe(true);
    expect(found.gap_hours).toBe(9);
  });

  it("reaching before the archive: says how little is covered, and what was counted before the first snapshot", async () => {
    const found = await coverage({ from: "2024-02-15", to: "2024-03-31" });
    expect(found).toMatchObject({ from: "2024-02-15", to: "2024-03-31", days: 46, provisional: false });
    expect(found.covered_days).toBeCloseTo(31 - 10 / 86_400, 9);
    // Independently: the report from before the archive, less the report from its first snapshot on.
    const early = await runReport(database, { from: "2024-02-15", to: "2024-03-31", mode: "exact" });
    const fromFirst = await runReport(database, { to: "2024-03-31", mode: "exact" });
    for (const metric of HOUR_METRICS)
      expect(found.before_first_snapshot[metric], metric).toBeCloseTo(known(early.total[metric]) - known(fromFirst.total[metric]), 6);
    expect(found.before_first_snapshot.cpu_num_hours).toBeGreaterThan(0);
    expect(found.known_issues.map((issue) => issue.title)).toEqual(["Takedown"]);
  });

  it("counts in compat mode what compat counts before the first snapshot", async () => {
    const found = await periodCoverage(database, { from: "2024-02-15", to: "2024-03-31", mode: "compat" }, []);
    const early = await runReport(database, { from: "2024-02-15", to: "2024-03-31", mode: "compat" });
    const fromFirst = await runReport(database, { to: "2024-03-31", mode: "compat" });
    expect(found.before_first_snapshot.cpu_num_hours).toBeCloseTo(known(early.total.cpu_num_hours) - known(fromFirst.total.cpu_num_hours), 6);
  });

  it("reaching past the newest snapshot is provisional and covers only what the snapshots span", async () => {
    const found = await coverage({ from: "2024-04-01", to: "2024-04-30" });
    expect(found).toMatchObject({ days: 30, provisional: true });
    expect(found.covered_days).toBeCloseTo(13.75 + 26 / 86_400, 9);
    const outside = await coverage({ from: "2030-01-01", to: "2030-01-31" });
    expect(outside).toMatchObject({ days: 31, covered_days: 0, provisional: true, gaps: [], known_issues: [] });
  });

  it("inside the archive, away from its ends, is whole and final", async () => {
    const found = await coverage({ from: "2024-03-20", to: "2024-04-02" });
    expect(found).toMatchObject({ days: 14, covered_days: 14, provisional: false, known_issues: [] });
    expect(coverageSentences(found)).toEqual([
      "Snapshots cover 14 days of the period's 14 days: the archive runs from 2024-03-01 00:00 UTC to 2024-04-14 18:00 UTC.",
      "3 gaps without a snapshot for more than 9 h (102 h in all; the longest 78 h from 2024-03-25 12:00 UTC): jobs that started and ended inside a gap are missing.",
    ]);
  });

  it("refuses an empty period, naming the archive's bound that stands in for the day not given", async () => {
    await expect(coverage({ from: "2030-01-01" })).rejects.toThrow(
      new PeriodError("the period is empty: it starts on 2030-01-01, after it ends on 2024-04-14 (the archive's last day)"),
    );
    await expect(coverage({ to: "2024-02-01" })).rejects.toThrow(
      new PeriodError("the period is empty: it starts on 2024-03-01T00:00:10Z (the archive's first snapshot), after it ends on 2024-02-01"),
    );
    await expect(coverage({ from: "2024-03-10", to: "2024-03-09" })).rejects.toThrow(
      "the period is empty: it starts on 2024-03-10, after it ends on 2024-03-09",
    );
    // The archive's last day and first day are periods of their own.
    await expect(coverage({ from: "2024-04-14" })).resolves.toMatchObject({ from: "2024-04-14", to: "2024-04-14" });
    await expect(coverage({ to: "2024-03-01" })).resolves.toMatchObject({ from: "2024-03-01", to: "2024-03-01" });
  });

  it("says in sentences what is covered, provisional, before the archive, in gaps and known issues", async () => {
    const sentences = coverageSentences(await coverage({ from: "2024-02-15", to: "2024-04-30" }));
    expect(sentences[0]).toBe("Snapshots cover 44.8 days of the period's 76 days: the archive runs from 2024-03-01 00:00 UTC to 2024-04-14 18:00 UTC.");
    expect(sentences).toContain("Provisional: the period ends after the newest snapshot, so its numbers will grow as snapshots arrive.");
    expect(sentences.find((sentence) => sentence.startsWith("Of these numbers"))).toMatch(
      /^Of these numbers, [\d,]+ CPU core-hours( and [\d,]+ GPU-hours)? were used before the first snapshot/,
    );
    expect(sentences).toContain("Known issue, 2024-03-05 to 2024-03-08: Takedown.");
    expect(sentences).toContain("Known issue, 2024-04-14 to 2024-04-20: Cron moved.");
  });

  it("is the same in the browser's DuckDB-WASM, on the site's copy of the tables", async () => {
    const browser = { query: async <T>(sql: string) => wasm.query(sql) as T[] };
    for (const request of [{}, { from: "2024-02-15", to: "2024-03-31" }, { from: "2024-04-01", to: "2024-04-30" }] as Partial<ReportRequest>[]) {
      const expected: Coverage = await coverage(request);
      expect(await periodCoverage(browser, { mode: "exact", ...request }, ISSUES)).toEqual(expected);
    }
  });
});

describe("the usage before the first record, on an archive of batch records", () => {
  it("is null for a resource none of the accounts' records holds (Slurm: no CPU clock, no disk), never 0", async () => {
    const slurm = await loadedDatabase(join(ROOT, "test/fixtures/archives/slurm-only"));
    try {
      for (const request of [{}, { from: "2020-01-01" }]) {
        const found = await periodCoverage(slurm, { mode: "exact", ...request }, []);
        expect(found.before_first_snapshot.cpu_MHz_hours, JSON.stringify(request)).toBeNull();
        expect(found.before_first_snapshot.disk_MB_hours, JSON.stringify(request)).toBeNull();
        expect(found.before_first_snapshot.cpu_num_hours, JSON.stringify(request)).toBe(0);
      }
    } finally {
      slurm.close();
    }
  });
});
