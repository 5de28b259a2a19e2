import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountingDatabase } from "../../../loaders/ingest/database.js";
import {
  dailyPeaksSql,
  groupTimesSql,
  jobMeasuresSql,
  JOB_MEASURES,
  measureSummariesSql,
  type DailyPeak,
  type GroupTimes,
  type MeasureSummary,
} from "../../../loaders/queries/distributions.js";
import { plainRows, rows, wasmCopyOf } from "../../helpers/engines.js";
import { REFERENCE_ARCHIVE } from "../../helpers/reference.js";
import { loadedDatabase, tablesOf, type Tables } from "../../helpers/tables.js";
import { ROOT } from "../../helpers/project.js";
import { join } from "node:path";

const HOUR = 3_600_000_000;
const DAY = 24 * HOUR;
const MIXED = join(ROOT, "test/fixtures/archives/mixed");

/** A continuous quantile of sorted values, as numpy's default (linear interpolation). */
function quantile(sorted: number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/** The measures of each job starting in [lo, hi), computed directly from the tables' rows. */
function directMeasures(tables: Tables, lo: number, hi: number, account?: string) {
  const runs = new Map<
    string,
    { first: number; run: number; cores: number; gpus: number | null; memory: number | null; job: string; account: string; source: string; cluster: string }
  >();
  for (const interval of tables.intervals) {
    if (account !== undefined && interval.account !== account) continue;
    const key = [interval.source, interval.cluster, interval.account, interval.job_id].join("\0");
    const [start, end] = [interval.start_time as number, interval.end_time as number];
    const found = runs.get(key);
    const max = (a: number | null | undefined, b: unknown) => (b === null ? (a ?? null) : Math.max(a ?? -Infinity, b as number));
    runs.set(key, {
      first: Math.min(found?.first ?? Infinity, start),
      run: (found?.run ?? 0) + end - start,
      cores: max(found?.cores, interval.cpu_num) as number,
      gpus: max(found?.gpus, interval.gpu_num),
      memory: max(found?.memory, interval.memory_MB),
      job: interval.job_id as string,
      account: interval.account as string,
      source: interval.source as string,
      cluster: interval.cluster as string,
    });
  }
  return [...runs.values()]
    .filter((run) => run.first >= lo && run.first < hi)
    .map((run) => {
      const job = tables.jobs.find((row) => row.source === run.source && row.cluster === run.cluster && row.account === run.account && row.job_id === run.job);
      const submit = job?.submit_time as number | null | undefined;
      return {
        ...run,
        queue: (job?.queue as string | null) ?? null,
        group: (job?.unix_group as string | null) ?? null,
        nodes: (job?.node_names as string | null)?.split(",") ?? ([null] as (string | null)[]),
        wait_hours: submit === null || submit === undefined || submit > run.first ? null : (run.first - submit) / HOUR,
        run_hours: run.run / HOUR,
        memory_MB: run.memory,
      };
    });
}

type Direct = ReturnType<typeof directMeasures>;

/** The mean of values, null for none. */
const meanOf = (values: number[]) => (values.length === 0 ? null : values.reduce((a, b) => a + b) / values.length);

/** A measure's summary as the direct computation gives it. */
function expectSummaries(summaries: MeasureSummary[], direct: Direct, what: string): void {
  expect(summaries.map((row) => row.measure)).toEqual([...JOB_MEASURES]);
  for (const summary of summaries) {
    const values = direct
      .map((run) => run[summary.measure])
      .filter((value): value is number => value !== null)
      .sort((a, b) => a - b);
    const label = `${what} ${summary.measure}`;
    expect(summary.count, label).toBe(values.length);
    if (values.length === 0) {
      expect([summary.min, summary.median, summary.mean, summary.p90, summary.max], label).toEqual([null, null, null, null, null]);
      continue;
    }
    expect(summary.min, label).toBeCloseTo(values[0]!, 9);
    expect(summary.max, label).toBeCloseTo(values.at(-1)!, 9);
    expect(summary.mean, label).toBeCloseTo(meanOf(values)!, 9);
    expect(summary.median, label).toBeCloseTo(quantile(values, 0.5), 9);
    expect(summary.p90, label).toBeCloseTo(quantile(values, 0.9), 9);
  }
}

const TIME_GROUPS = [
  ["user", "owner"],
  ["queue", "queue"],
  ["account", "account"],
  ["group", "group"],
  ["node", "nodes"],
] as const;

/** Each group's jobs, mean wait (over its jobs with a wait) and mean run time, as the direct computation gives them. */
function expectGroupTimes(tables: Tables, groups: GroupTimes[], direct: Direct, [by, key]: (typeof TIME_GROUPS)[number], what: string): void {
  // A job counts once per node it ran on.
  const counted = key === "nodes" ? direct.reduce((sum, run) => sum + run.nodes.length, 0) : direct.length;
  expect(
    groups.reduce((sum, group) => sum + group.jobs, 0),
    `${what} ${by}`,
  ).toBe(counted);
  for (const group of groups) {
    const mine = direct.filter((run) => {
      const owner = tables.intervals.find(
        (row) => row.source === run.source && row.cluster === run.cluster && row.job_id === run.job && row.account === run.account,
      )?.owner;
      if (key === "nodes") return run.nodes.includes(group.group);
      const value = key === "owner" ? tables.users.find((user) => user.owner === owner)?.pseudonym : run[key];
      return (value ?? null) === group.group;
    });
    const label = `${what} ${by} ${group.group}`;
    expect(group.jobs, label).toBe(mine.length);
    expect(group.mean_run_hours, label).toBeCloseTo(meanOf(mine.map((run) => run.run_hours))!, 9);
    const wait = meanOf(mine.map((run) => run.wait_hours).filter((hours): hours is number => hours !== null));
    if (wait === null) expect(group.mean_wait_hours, label).toBeNull();
    else expect(group.mean_wait_hours, label).toBeCloseTo(wait, 9);
  }
}

/** Each day's peaks, as a sweep over the intervals (of `account`, or all) does. */
function expectPeaks(tables: Tables, peaks: DailyPeak[], lo: number, hi: number, what: string, account?: string): void {
  expect(peaks).toHaveLength((hi - lo) / DAY);
  // Direct: at every interval start (and each day's start), the cores of the intervals holding then.
  const intervals = tables.intervals
    .filter((row) => account === undefined || row.account === account)
    .map((row) => ({
      start: row.start_time as number,
      end: row.end_time as number,
      cores: row.cpu_num as number,
      gpus: (row.gpu_num as number | null) ?? 0,
    }));
  for (const [index, peak] of peaks.entries()) {
    const dayStart = lo + index * DAY;
    const moments = [dayStart, ...intervals.map((i) => i.start).filter((t) => t >= dayStart && t < dayStart + DAY)];
    const held = (t: number, what: "cores" | "gpus") => intervals.filter((i) => i.start <= t && i.end > t).reduce((sum, i) => sum + i[what], 0);
    expect(peak.peak_cores, `${what} ${peak.day}`).toBeCloseTo(Math.max(...moments.map((t) => held(t, "cores"))), 9);
    expect(peak.peak_gpus ?? 0, `${what} ${peak.day}`).toBeCloseTo(Math.max(...moments.map((t) => held(t, "gpus"))), 9);
  }
}

describe.each([
  ["the reference archive", REFERENCE_ARCHIVE, { from: "2024-03-01", to: "2024-03-31" }],
  ["an archive of every source", MIXED, { from: "2024-02-29", to: "2024-03-02" }],
])("job distributions, on %s", (_, archive, period) => {
  let database: AccountingDatabase;
  let tables: Tables;
  /** The accounts of the archive, each with jobs starting in the period. */
  let accounts: string[];
  const lo = Date.parse(`${period.from}T00:00:00Z`) * 1000;
  const hi = Date.parse(`${period.to}T00:00:00Z`) * 1000 + DAY;
  beforeAll(async () => {
    database = await loadedDatabase(archive);
    tables = await tablesOf(database);
    accounts = [...new Set(directMeasures(tables, lo, hi).map((run) => run.account))].sort();
  });
  afterAll(() => database?.close());

  it("measures each job starting in the period as a direct computation does, and sums up each measure the same", async () => {
    const direct = directMeasures(tables, lo, hi);
    expect(direct.length).toBeGreaterThan(2);
    const jobs = await rows(database, jobMeasuresSql(period));
    expect(jobs.map((row) => row.job_id).sort()).toEqual(direct.map((run) => run.job).sort());
    expectSummaries((await rows(database, measureSummariesSql(period))) as unknown as MeasureSummary[], direct, "all");
  });

  it("gives each user's, group's, queue's and node's jobs and mean wait and run times", async () => {
    const direct = directMeasures(tables, lo, hi);
    // Waits are measured and differ between jobs: a mean wait is a number to compare, not nulls or zeros.
    expect(new Set(direct.map((run) => run.wait_hours).filter((hours) => hours !== null)).size).toBeGreaterThan(2);
    for (const group of TIME_GROUPS) {
      const [by, key] = group;
      const groups = (await rows(database, groupTimesSql(period, by))) as unknown as GroupTimes[];
      // Slurm and Grid Engine name groups and hosts; Nomad snapshots neither.
      if (archive === MIXED && (key === "group" || key === "nodes")) expect(groups.filter((found) => found.group !== null).length, by).toBeGreaterThan(1);
      expectGroupTimes(tables, groups, direct, group, "all");
    }
  });

  it("gives each day's peak of cores and GPUs held at once, as a sweep over the intervals does", async () => {
    expectPeaks(tables, (await rows(database, dailyPeaksSql(period))) as unknown as DailyPeak[], lo, hi, "all");
  });

  it("for a period and an account: measures, group times and daily peaks of that account's jobs alone", async () => {
    expect(accounts.length).toBeGreaterThan(1);
    const all = directMeasures(tables, lo, hi);
    for (const account of accounts) {
      const request = { ...period, account };
      const direct = directMeasures(tables, lo, hi, account);
      // Each account has its own jobs, fewer than all of them.
      expect(direct.length, account).toBeGreaterThan(0);
      expect(direct.length, account).toBeLessThan(all.length);
      expect((await rows(database, jobMeasuresSql(request))).map((row) => row.job_id).sort(), account).toEqual(direct.map((run) => run.job).sort());
      expectSummaries((await rows(database, measureSummariesSql(request))) as unknown as MeasureSummary[], direct, account);
      for (const group of TIME_GROUPS) {
        const groups = (await rows(database, groupTimesSql(request, group[0]))) as unknown as GroupTimes[];
        expectGroupTimes(tables, groups, direct, group, account);
      }
      expectPeaks(tables, (await rows(database, dailyPeaksSql(request))) as unknown as DailyPeak[], lo, hi, account, account);
    }
    // An account's peaks are its own: at least one day, some account's peak is below all accounts' peak.
    const peaks = (await rows(database, dailyPeaksSql(period))) as unknown as DailyPeak[];
    const below = await Promise.all(
      accounts.map(async (account) => {
        const mine = (await rows(database, dailyPeaksSql({ ...period, account }))) as unknown as DailyPeak[];
        return mine.some((peak, i) => peak.peak_cores < peaks[i]!.peak_cores);
      }),
    );
    expect(below).toContain(true);
  });

  it("gives the same rows in DuckDB-WASM, from the site's copy of the tables (its job and owner ids are numbers)", async () => {
    const wasm = await wasmCopyOf(database);
    // Means add floating-point numbers in the order rows come: equal to the last few bits. The site numbers jobs in the
    // order they were first seen, and the rows ordered by job come in that order: compared whatever their order.
    const rounded = (found: Record<string, unknown>[]) =>
      found
        .map(({ job_id: _job, group: _group, ...rest }) =>
          JSON.stringify(
            Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, typeof value === "number" ? Number(value.toPrecision(12)) : value])),
          ),
        )
        .sort();
    for (const sql of [
      jobMeasuresSql(period),
      measureSummariesSql(period),
      groupTimesSql(period, "queue"),
      groupTimesSql(period, "node"),
      groupTimesSql(period, "group"),
      dailyPeaksSql(period),
    ]) {
      expect(rounded(wasm.query(sql)), sql).toEqual(rounded(plainRows(await rows(database, sql))));
    }
    wasm.close();
  });
});
