import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountingDatabase } from "../../../loaders/ingest/database.js";
import {
  BINS,
  binLabel,
  breakdownCsv,
  breakdownJson,
  breakdownSql,
  breakdownsOf,
  DIMENSIONS,
  runBreakdown,
  type Bin,
  type Breakdown,
  type BreakdownRequest,
  type BreakdownRow,
  type Dimension,
} from "../../../loaders/queries/breakdown.js";
import { HOUR_METRICS, METRICS, runReport, type Usage } from "../../../loaders/queries/report.js";
import { MICROS_PER_DAY, MICROS_PER_HOUR, parseDay } from "../../../loaders/model/time.js";
import { generateArchive } from "../../../scripts/archive-generator.js";
import { jobJson, temporaryFolder } from "../../helpers/archive.js";
import { databaseOf, plainRows, rows, wasmCopyOf, type WasmDatabase } from "../../helpers/engines.js";
import { REFERENCE_ARCHIVE } from "../../helpers/reference.js";
import { loadedDatabase } from "../../helpers/tables.js";

const MIXED = fileURLToPath(new URL("../../fixtures/archives/mixed", import.meta.url));
/**
 * An archive no other test sees, generated here: 2023-11-15 to 2024-02-02, across a year's, quarters' and months'
 * ends, every 4 hours with some snapshots missed, a 3-day takedown, four namespaces (one appearing after a week),
 * 60 users, the generator's quirks (legacy and malformed records, restarts, off-schedule snapshots).
 */
const GENERATED = temporaryFolder("breakdown-generated-");
const ARCHIVES = { reference: REFERENCE_ARCHIVE, mixed: MIXED, generated: GENERATED };
type ArchiveName = keyof typeof ARCHIVES;

const databases = {} as Record<ArchiveName, AccountingDatabase>;
beforeAll(async () => {
  await generateArchive(GENERATED, {
    seed: 9043,
    start: "2023-11-15",
    days: 80,
    snapshotHours: 4,
    missingSnapshotRate: 0.1,
    namespaces: ["vo.alpha", "beta", "gamma", "delta"],
    jobsPerNamespace: 6,
    users: 60,
    layout: "mixed",
  });
  for (const [name, path] of Object.entries(ARCHIVES)) databases[name as ArchiveName] = await loadedDatabase(path);
}, 120_000);
afterAll(() => {
  for (const database of Object.values(databases)) database.close();
});

/** Resource-hours of usages added up, null counting as nothing. */
function hoursOf(usages: readonly (Usage | null)[]): Record<(typeof HOUR_METRICS)[number], number> {
  return Object.fromEntries(HOUR_METRICS.map((metric) => [metric, usages.reduce((sum, usage) => sum + (usage?.[metric] ?? 0), 0)])) as Record<
    (typeof HOUR_METRICS)[number],
    number
  >;
}

/** `actual` is `expected` to 1e-9 relative (and 1e-9 h absolute, for sums of nothing). */
function expectClose(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
}

/** Groups and other add up to the total, per resource; a resource the total lacks, no group has. */
function expectAddsUp(breakdown: Breakdown, what: string): void {
  const sums = hoursOf([...breakdown.groups, breakdown.other]);
  for (const metric of HOUR_METRICS) {
    const total = breakdown.total[metric];
    if (total === null) for (const group of breakdown.groups) expect(group[metric], `${what} ${metric}`).toBeNull();
    else expectClose(sums[metric], total, `${what} ${metric}`);
  }
}

/** Some periods of each archive: the whole of it, a day, a period reaching before it and after it. */
const PERIODS: Record<ArchiveName, { from?: string; to?: string }[]> = {
  reference: [{}, { from: "2024-03-10", to: "2024-03-10" }, { from: "2024-02-20", to: "2024-03-20" }, { from: "2024-03-25", to: "2024-05-02" }],
  mixed: [{}, { from: "2024-03-01", to: "2024-03-01" }, { from: "2023-12-30", to: "2024-04-02" }],
  // The takedown is 2023-12-25T09:00 to 12-28.
  generated: [{}, { from: "2024-01-01", to: "2024-01-01" }, { from: "2023-11-01", to: "2024-01-15" }, { from: "2023-12-20", to: "2024-03-10" }],
};

describe.each(Object.keys(ARCHIVES) as ArchiveName[])("on the %s archive", (archive) => {
  it.each(DIMENSIONS)(
    "groups by %s add up to the report's total, in every period and every bin",
    async (by) => {
      const database = databases[archive];
      for (const period of PERIODS[archive]) {
        const report = await runReport(database, { ...period, mode: "exact" });
        const [whole, ...more] = await runBreakdown(database, { ...period, mode: "exact", by });
        expect(more).toEqual([]);
        const what = `${by} ${period.from}:${period.to}`;
        // The generated archive's periods all hold usage, of many users.
        if (archive === "generated") expect(report.total.cpu_num_hours, what).toBeGreaterThan(0);
        if (archive === "generated" && by === "user" && period.from === undefined) expect(whole!.groups.length, what).toBeGreaterThan(30);
        expect([whole!.from, whole!.to, whole!.bin, whole!.other]).toEqual([report.from, report.to, null, null]);
        expectAddsUp(whole!, what);
        for (const metric of HOUR_METRICS) {
          if (report.total[metric] === null) expect(whole!.total[metric], `${what} ${metric}`).toBeNull();
          else expectClose(whole!.total[metric] as number, report.total[metric], `${what} total ${metric}`);
        }
        expect([whole!.total.jobs, whole!.total.users]).toEqual([report.total.jobs, report.total.users]);
        // Each job has one account, user, cluster, source, kind…: its jobs add up (not for sizes, which are the runs').
        if (by !== "cores" && by !== "gpus")
          expect(
            whole!.groups.reduce((sum, group) => sum + group.jobs, 0),
            what,
          ).toBe(report.total.jobs);
        for (const bin of BINS) {
          const bins = await runBreakdown(database, { ...period, mode: "exact", by, bin });
          expect(bins[0]!.from, `${what} ${bin}`).toBe(report.from);
          expect(bins.at(-1)!.to, `${what} ${bin}`).toBe(report.to);
          for (const [i, part] of bins.entries()) {
            expectAddsUp(part, `${what} ${bin} ${part.from}`);
            if (i > 0) expect(parseDay(part.from), `${what} ${bin}: bins follow each other`).toBe(parseDay(bins[i - 1]!.to)! + MICROS_PER_DAY);
          }
          // Bins add up to the period: in total, and group by group.
          const totals = hoursOf(bins.map((part) => part.total));
          for (const metric of HOUR_METRICS) if (report.total[metric] !== null) expectClose(totals[metric], report.total[metric], `${what} ${bin} ${metric}`);
          for (const group of whole!.groups) {
            const same = bins.flatMap((part) => part.groups.filter((other) => other.value === group.value));
            expectClose(hoursOf(same).cpu_num_hours, group.cpu_num_hours as number, `${what} ${bin} ${group.value}`);
          }
        }
      }
    },
    120_000,
  );

  it.each(["user", "image", "cores"] as const)("keeps the top and the least groups by %s, the rest in other", async (by) => {
    const database = databases[archive];
    const [all] = await runBreakdown(database, { mode: "exact", by });
    const groups = all!.groups;
    expect(groups.length).toBeGreaterThan(2);
    // The ranking: CPU-hours, then GPU-hours, then the value, no value last.
    const ranked = (direction: number) =>
      [...groups].sort(
        (a, b) =>
          direction * ((a.cpu_num_hours as number) - (b.cpu_num_hours as number)) ||
          direction * ((a.gpu_num_hours ?? 0) - (b.gpu_num_hours ?? 0)) ||
          (a.value === null ? 1 : b.value === null ? -1 : a.value < b.value ? -1 : 1),
      );
    const byHours = ranked(-1);
    for (const [limit, kept] of [
      [{ top: 2 }, byHours.slice(0, 2)],
      [{ least: 2 }, ranked(1).slice(0, 2)],
    ] as const) {
      const [part] = await runBreakdown(database, { mode: "exact", by, ...limit });
      expect(new Set(part!.groups.map((group) => group.value)), JSON.stringify(limit)).toEqual(new Set(kept.map((group) => group.value)));
      expect(part!.groups).toEqual(expect.arrayContaining(kept));
      const rest = groups.filter((group) => !kept.includes(group));
      const other = hoursOf(rest);
      for (const metric of HOUR_METRICS) expectClose(hoursOf([part!.other])[metric], other[metric], `${by} other ${metric}`);
      expect(part!.total).toEqual(all!.total);
      expectAddsUp(part!, `${by} ${JSON.stringify(limit)}`);
    }
    const [everything] = await runBreakdown(database, { mode: "exact", by, top: groups.length });
    expect([everything!.groups, everything!.other]).toEqual([groups, null]);
    // Bins keep the period's top groups, whatever each bin's own ranking.
    const months = await runBreakdown(database, { mode: "exact", by, bin: "month", top: 2 });
    const top = new Set(byHours.slice(0, 2).map((group) => group.value));
    for (const month of months) {
      for (const group of month.groups) expect(top.has(group.value)).toBe(true);
      expectAddsUp(month, `${by} top 2 in ${month.from}`);
    }
  });
});

describe("compat mode", () => {
  it("gives each account's numbers and the total of the compat report, and has no bins", async () => {
    const database = databases.reference;
    const report = await runReport(database, { mode: "compat", from: "2024-03-01", to: "2024-03-31" });
    const [compat] = await runBreakdown(database, { mode: "compat", from: "2024-03-01", to: "2024-03-31", by: "account" });
    for (const metric of HOUR_METRICS) expectClose(compat!.total[metric] as number, report.total[metric] as number, metric);
    for (const [account, usage] of Object.entries(report.namespaces)) {
      const group = compat!.groups.find((found) => found.value === account)!;
      for (const metric of HOUR_METRICS) expectClose(group[metric] as number, usage[metric] as number, `${account} ${metric}`);
      expect([group.jobs, group.users]).toEqual([usage.jobs, usage.users]);
    }
    expect(() => breakdownSql({ mode: "compat", by: "account", bin: "month" })).toThrow(RangeError);
  });
});

describe("an independent computation", () => {
  interface IntervalRow {
    account: string;
    owner: string;
    start_time: number;
    end_time: number;
    cpu_num: number;
    gpu_num: number | null;
  }

  /** CPU-hours per key, each run's time clipped to [lo, hi) µs: a few lines of JS over the intervals table. */
  function cpuHours(intervals: IntervalRow[], key: (row: IntervalRow) => string, lo: number, hi: number): Map<string, number> {
    const hours = new Map<string, number>();
    for (const row of intervals) {
      const us = Math.max(0, Math.min(row.end_time, hi) - Math.max(row.start_time, lo));
      if (us > 0 && row.cpu_num > 0) hours.set(key(row), (hours.get(key(row)) ?? 0) + (row.cpu_num * us) / MICROS_PER_HOUR);
    }
    return hours;
  }

  const intervalsOf = (database: AccountingDatabase) =>
    rows<IntervalRow>(
      database,
      "SELECT account, owner, epoch_us(start_time)::DOUBLE AS start_time, epoch_us(end_time)::DOUBLE AS end_time, cpu_num, gpu_num FROM intervals",
    );

  it.each(Object.keys(ARCHIVES) as ArchiveName[])("of each user's CPU-hours in a period of the %s archive gives the breakdown's", async (archive) => {
    const database = databases[archive];
    const [from, to] = { mixed: ["2024-02-29", "2024-03-01"], reference: ["2024-03-10", "2024-03-24"], generated: ["2023-12-20", "2024-01-10"] }[archive];
    const expected = cpuHours(await intervalsOf(database), (row) => row.owner, parseDay(from!)!, parseDay(to!)! + MICROS_PER_DAY);
    const [breakdown] = await runBreakdown(database, { from, to, mode: "exact", by: "user" });
    const found = new Map(breakdown!.groups.filter((group) => group.cpu_num_hours! > 0).map((group) => [group.value, group.cpu_num_hours]));
    expect(found.size).toBeGreaterThan(archive === "mixed" ? 5 : 20);
    expect(new Set(found.keys())).toEqual(new Set(expected.keys()));
    for (const [owner, hours] of expected) expectClose(found.get(owner)!, hours, owner);
  });

  it("of each account's CPU-hours per ISO week and per month gives the bins'", async () => {
    const database = databases.reference;
    const intervals = await intervalsOf(database);
    for (const bin of ["week", "month"] as const) {
      const bins = await runBreakdown(database, { from: "2024-02-20", to: "2024-04-30", mode: "exact", by: "account", bin });
      for (const part of bins) {
        const expected = cpuHours(intervals, (row) => row.account, parseDay(part.from)!, parseDay(part.to)! + MICROS_PER_DAY);
        const found = new Map(part.groups.filter((group) => group.cpu_num_hours! > 0).map((group) => [group.value, group.cpu_num_hours]));
        expect(new Set(found.keys()), `${bin} ${part.from}`).toEqual(new Set(expected.keys()));
        for (const [account, hours] of expected) expectClose(found.get(account)!, hours, `${bin} ${part.from} ${account}`);
      }
      // Whole weeks from Monday, whole months, but for the first and last, clipped to the period.
      const days = bins.map((part) => [part.from, part.to]);
      if (bin === "week") {
        expect(days.slice(0, 2)).toEqual([
          ["2024-02-20", "2024-02-25"],
          ["2024-02-26", "2024-03-03"],
        ]);
        expect(days.at(-1)).toEqual(["2024-04-29", "2024-04-30"]);
        expect(bins.map((part) => binLabel(bin, part.from)).slice(0, 3)).toEqual(["2024-W08", "2024-W09", "2024-W10"]);
      } else
        expect(days).toEqual([
          ["2024-02-20", "2024-02-29"],
          ["2024-03-01", "2024-03-31"],
          ["2024-04-01", "2024-04-30"],
        ]);
    }
  });
});

describe("bins", () => {
  it("cut at UTC days, ISO weeks, months, quarters and years, named after them", async () => {
    const database = databases.reference;
    const expected: Record<Bin, [string, string][]> = {
      day: [
        ["2023-12-31", "2023-12-31"],
        ["2024-01-01", "2024-01-01"],
      ],
      week: [
        ["2023-12-25", "2023-12-31"],
        ["2024-01-01", "2024-01-01"],
      ],
      month: [
        ["2023-12-01", "2023-12-31"],
        ["2024-01-01", "2024-01-01"],
      ],
      quarter: [
        ["2023-10-01", "2023-12-31"],
        ["2024-01-01", "2024-01-01"],
      ],
      year: [
        ["2023-10-01", "2023-12-31"],
        ["2024-01-01", "2024-01-01"],
      ],
    };
    const labels: Record<Bin, string[]> = {
      day: ["2023-12-31", "2024-01-01"],
      week: ["2023-W52", "2024-W01"],
      month: ["2023-12", "2024-01"],
      quarter: ["2023-Q4", "2024-Q1"],
      year: ["2023", "2024"],
    };
    for (const bin of BINS) {
      const parts = await runBreakdown(database, { from: expected[bin][0]![0], to: "2024-01-01", mode: "exact", by: "account", bin });
      expect(
        parts.map((part) => [part.from, part.to]),
        bin,
      ).toEqual(expected[bin]);
      expect(parts.map((part) => binLabel(bin, part.from))).toEqual(labels[bin]);
      // Before the archive: no group, a total of zeros.
      for (const part of parts) expect([part.groups, part.total.cpu_num_hours]).toEqual([[], 0]);
    }
    expect(binLabel("week", "2021-01-03")).toBe("2020-W53");
    expect(binLabel("week", "2024-12-30")).toBe("2025-W01");
  });
});

describe("job sizes", () => {
  it("are buckets of powers of two: 0, 1, 2, 3-4, 5-8…, ordered by size; a GPU count the records lack is no value", async () => {
    const cores = [1, 2, 3, 4, 5, 8, 9, 16, 17, 64, 65];
    const jobs = cores.map((cpu_num, i) =>
      jobJson({
        job_ID: `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`,
        alloc_start: "2024-03-01T00:00:00Z",
        resources: { cpu_num, cpu_MHz: 0, gpu_num: i % 3, memory_MB: 0, disk_MB: 0 },
      }),
    );
    const database = await databaseOf({ "2024-03-01T01:00:00.json": { vo: jobs } });
    // An hour each, from their start to the snapshot.
    const [byCores] = await runBreakdown(database, { from: "2024-03-01", mode: "exact", by: "cores" });
    const [byGpus] = await runBreakdown(database, { from: "2024-03-01", mode: "exact", by: "gpus" });
    database.close();
    expect(byCores!.groups.map((group) => [group.value, group.cpu_num_hours, group.jobs])).toEqual([
      ["1", 1, 1],
      ["2", 2, 1],
      ["3-4", 7, 2],
      ["5-8", 13, 2],
      ["9-16", 25, 2],
      ["17-32", 17, 1],
      ["33-64", 64, 1],
      ["65-128", 65, 1],
    ]);
    expect(byGpus!.groups.map((group) => [group.value, group.jobs])).toEqual([
      ["0", 4],
      ["1", 4],
      ["2", 3],
    ]);
  });
});

describe("the JSON and CSV of a breakdown", () => {
  it("key groups by value, none as an empty key; CSV rows tell groups, other and total apart", async () => {
    const request: BreakdownRequest = { mode: "exact", by: "queue", top: 1 };
    const [breakdown] = await runBreakdown(databases.mixed, request);
    const json = breakdownJson(breakdown!);
    expect(Object.keys(json)).toEqual(["from", "to", "mode", "by", "bin", "groups", "other", "total"]);
    expect(Object.keys(json.groups)).toEqual([""]);
    expect(Object.keys(json.groups[""]!)).toEqual([...METRICS]);
    const lines = breakdownCsv([breakdown!], "queue").trimEnd().split("\n");
    expect(lines[0]).toBe(`from,to,row,queue,${METRICS.join(",")}`);
    expect(lines.slice(1).map((line) => line.split(",").slice(2, 4))).toEqual([
      ["group", ""],
      ["other", ""],
      ["total", ""],
    ]);
    expect(Number(lines[3]!.split(",")[4])).toBe(breakdown!.total.cpu_num_hours);
  });
});

describe("in the browser's DuckDB-WASM", () => {
  let wasm: WasmDatabase;
  beforeAll(async () => {
    wasm = await wasmCopyOf(databases.mixed);
  }, 60_000);
  afterAll(() => wasm?.close());

  const requests: BreakdownRequest[] = [
    { mode: "exact", by: "user", owners: "pseudonym" },
    { mode: "exact", by: "user", owners: "pseudonym", bin: "day", top: 3 },
    ...(["account", "cluster", "source", "kind", "image", "datacenter", "queue", "qos", "cores", "gpus"] as Dimension[]).map((by): BreakdownRequest => ({
      mode: "exact",
      by,
    })),
    { mode: "exact", by: "image", bin: "week", least: 2, from: "2024-02-01", to: "2024-03-31" },
    { mode: "exact", by: "cores", bin: "month", top: 2 },
  ];

  it.each(requests)("gives the rows native DuckDB gives: %j", async (request) => {
    const sql = breakdownSql(request);
    const expected = plainRows(await rows(databases.mixed, sql));
    expect(expected.length).toBeGreaterThan(1);
    const found = wasm.query(sql);
    expect(found).toEqual(expected);
    expect(breakdownsOf(request, found as unknown as BreakdownRow[])).toEqual(await runBreakdown(databases.mixed, request));
  });
});

describe("nodes", () => {
  it("share each run's hours evenly between its job's hosts, and add up to the total", async () => {
    const archive = temporaryFolder("nodes-");
    const header = "JobIDRaw|Cluster|Partition|Account|User|Submit|Start|End|State|NNodes|NCPUS|AllocTRES|NodeList|JobName";
    const dump = [
      header,
      "11|c|cpu|physics|alice|2024-03-01T00:00:00|2024-03-01T00:00:00|2024-03-01T01:00:00|COMPLETED|2|8|cpu=8,gres/gpu=2,node=2|node[01-02]|wide",
      "12|c|cpu|physics|bob|2024-03-01T00:00:00|2024-03-01T00:30:00|2024-03-01T01:30:00|COMPLETED|1|2|cpu=2,node=1|node02|narrow",
      "13|c|cpu|physics|bob|2024-03-01T00:00:00|Unknown|Unknown|PENDING|1|2||None assigned|waiting",
    ];
    mkdirSync(join(archive, "slurm"));
    writeFileSync(join(archive, "slurm", "2024-03-02T00:00:00.txt"), `${dump.join("\n")}\n`);
    const database = await loadedDatabase(archive);
    const [breakdown] = await runBreakdown(database, { from: "2024-03-01", to: "2024-03-01", mode: "exact", by: "node" });
    database.close();
    expect(breakdown!.groups.map(({ value, cpu_num_hours, gpu_num_hours, jobs, users }) => [value, cpu_num_hours, gpu_num_hours, jobs, users])).toEqual([
      ["node02", 6, 1, 2, 2],
      ["node01", 4, 1, 1, 1],
    ]);
    expect(breakdown!.total.cpu_num_hours).toBe(10);
    expectAddsUp(breakdown!, "nodes");
  });
});
