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

describe.each([
  ["the reference archive", REFERENCE_ARCHIVE, { from: "2024-03-01", to: "2024-03-31" }],
  ["an archive of every source", MIXED, { from: "2024-02-29", to: "2024-03-02" }],
])("job distributions, on %s", (_, archive, period) => {
  let database: AccountingDatabase;
  let tables: Tables;
  const lo = Date.parse(`${period.from}T00:00:00Z`) * 1000;
  const hi = Date.parse(`${period.to}T00:00:00Z`) * 1000 + DAY;
  beforeAll(async () => {
    database = await loadedDatabase(archive);
    tables = await tablesOf(database);
  });
  afterAll(() => database?.close());

  it("measures each job starting in the period as a direct computation does, and sums up each measure the same", async () => {
    const direct = directMeasures(tables, lo, hi);
    expect(direct.length).toBeGreaterThan(2);
    const jobs = await rows(database, jobMeasuresSql(period));
    expect(jobs.map((row) => row.job_id).sort()).toEqual(direct.map((run) => run.job).sort());
    const summaries = (await rows(database, measureSummariesSql(period))) as unknown as MeasureSummary[];
    expect(summaries.map((row) => row.measure)).toEqual([...JOB_MEASURES]);
    for (const summary of summaries) {
      const values = direct
        .map((run) => run[summary.measure === "cores" ? "cores" : summary.measure === "gpus" ? "gpus" : summary.measure])
        .filter((value): value is number => value !== null)
        .sort((a, b) => a - b);
      expect(summary.count, summary.measure).toBe(values.length);
      if (values.length === 0) continue;
      expect(summary.min).toBeCloseTo(values[0]!, 9);
      expect(summary.max).toBeCloseTo(values.at(-1)!, 9);
      expect(summary.mean).toBeCloseTo(values.reduce((a, b) => a + b) / values.length, 9);
      expect(summary.median).toBeCloseTo(quantile(values, 0.5), 9);
      expect(summary.p90).toBeCloseTo(quantile(values, 0.9), 9);
    }
  });

  it("gives each user's, group's, queue's and node's jobs and mean wait and run times", async () => {
    const direct = directMeasures(tables, lo, hi);
    for (const [by, key] of [
      ["user", "owner"],
      ["queue", "queue"],
      ["account", "account"],
      ["group", "group"],
      ["node", "nodes"],
    ] as const) {
      const groups = (await rows(database, groupTimesSql(period, by))) as unknown as GroupTimes[];
      // A job counts once per node it ran on.
      const counted = key === "nodes" ? direct.reduce((sum, run) => sum + run.nodes.length, 0) : direct.length;
      expect(
        groups.reduce((sum, group) => sum + group.jobs, 0),
        by,
      ).toBe(counted);
      // Slurm and Grid Engine name groups and hosts; Nomad snapshots neither.
      if (archive === MIXED && (key === "group" || key === "nodes")) expect(groups.filter((group) => group.group !== null).length, by).toBeGreaterThan(1);
      for (const group of groups) {
        const mine = direct.filter((run) => {
          const owner = tables.intervals.find((row) => row.job_id === run.job && row.account === run.account)?.owner;
          if (key === "nodes") return run.nodes.includes(group.group);
          const value = key === "owner" ? tables.users.find((user) => user.owner === owner)?.pseudonym : run[key];
          return (value ?? null) === group.group;
        });
        expect(group.jobs, `${by} ${group.group}`).toBe(mine.length);
        expect(group.mean_run_hours).toBeCloseTo(mine.reduce((sum, run) => sum + run.run_hours, 0) / mine.length, 9);
      }
    }
  });

  it("gives each day's peak of cores and GPUs held at once, as a sweep over the intervals does", async () => {
    const peaks = (await rows(database, dailyPeaksSql(period))) as unknown as DailyPeak[];
    expect(peaks).toHaveLength((hi - lo) / DAY);
    // Direct: at every interval start (and each day's start), the cores of the intervals holding then.
    const intervals = tables.intervals.map((row) => ({
      start: row.start_time as number,
      end: row.end_time as number,
      cores: row.cpu_num as number,
      gpus: (row.gpu_num as number | null) ?? 0,
    }));
    for (const [index, peak] of peaks.entries()) {
      const dayStart = lo + index * DAY;
      const moments = [dayStart, ...intervals.map((i) => i.start).filter((t) => t >= dayStart && t < dayStart + DAY)];
      const held = (t: number, what: "cores" | "gpus") => intervals.filter((i) => i.start <= t && i.end > t).reduce((sum, i) => sum + i[what], 0);
      expect(peak.peak_cores, peak.day).toBeCloseTo(Math.max(...moments.map((t) => held(t, "cores"))), 9);
      expect(peak.peak_gpus ?? 0, peak.day).toBeCloseTo(Math.max(...moments.map((t) => held(t, "gpus"))), 9);
    }
  });

  it("gives the same rows in DuckDB-WASM, from the site's copy of the tables (its job and owner ids are numbers)", async () => {
    const wasm = await wasmCopyOf(database);
    // Means add floating-point numbers in the order rows come: equal to the last few bits.
    const rounded = (found: Record<string, unknown>[]) =>
      found.map(({ job_id: _job, group: _group, ...rest }) =>
        Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, typeof value === "number" ? Number(value.toPrecision(12)) : value])),
      );
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
