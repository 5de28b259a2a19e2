import { describe, expect, it } from "vitest";
import {
  gapsWithin,
  gapThresholdHours,
  GC_DELAY_HOURS,
  problemCountsSql,
  problemsSql,
  snapshotCoverageSql,
  snapshotGapsSql,
  staleAfterHours,
  unseenEndsSql,
  type SnapshotGap,
  type TimedGap,
  type UnseenEnds,
} from "../../../loaders/queries/quality.js";
import { jobJson } from "../../helpers/archive.js";
import { databaseOf, rows } from "../../helpers/engines.js";

/** Snapshots 6 h, 2 h, exactly 4 h and 24 h 30 min apart, in two namespaces. */
const SNAPSHOTS = {
  "2024-03-01T00:00:00.json": { a: [], b: [] },
  "2024-03-01T06:00:00.json": { a: [], b: [] },
  "2024-03-01T08:00:00.json": { a: [] },
  "2024-03-01T12:00:00.json": { b: [] },
  "old/2024-03-02T12:30:00.json": { a: [] },
};

describe("snapshot gaps", () => {
  it("are the consecutive snapshots further apart than a threshold", async () => {
    const database = await databaseOf(SNAPSHOTS);
    const gaps = await rows<SnapshotGap>(database, snapshotGapsSql(GC_DELAY_HOURS));
    const longer = await rows<SnapshotGap>(database, snapshotGapsSql(12));
    const all = await rows<SnapshotGap>(database, snapshotGapsSql(0));
    database.close();
    expect(GC_DELAY_HOURS).toBe(4);
    expect(gaps).toEqual([
      { start: "2024-03-01T00:00:00Z", end: "2024-03-01T06:00:00Z", hours: 6 },
      { start: "2024-03-01T12:00:00Z", end: "2024-03-02T12:30:00Z", hours: 24.5 },
    ]);
    expect(longer).toEqual([gaps[1]]);
    expect(all.map((gap) => gap.hours)).toEqual([6, 2, 4, 24.5]);
  });

  it("within a period are those that overlap it, even partly", async () => {
    const database = await databaseOf(SNAPSHOTS);
    const timed = await rows<TimedGap>(database, snapshotGapsSql(0, true));
    const within = async (start: string, end: string) => gapsWithin(timed, { start: Date.parse(start) * 1000, end: Date.parse(end) * 1000 });
    expect(timed.map((gap) => [gap.start_us, gap.end_us])).toEqual(timed.map((gap) => [Date.parse(gap.start) * 1000, Date.parse(gap.end) * 1000]));
    expect((await within("2024-03-01T05:00:00Z", "2024-03-01T07:00:00Z")).map((gap) => gap.hours)).toEqual([6, 2]);
    expect((await within("2024-03-02T00:00:00Z", "2024-03-03T00:00:00Z")).map((gap) => gap.hours)).toEqual([24.5]);
    // A gap ending exactly where the period starts, or starting where it ends, is outside it.
    expect(await within("2024-03-02T12:30:00Z", "2024-03-03T00:00:00Z")).toEqual([]);
    expect((await within("2024-02-29T00:00:00Z", "2024-03-01T06:00:00Z")).map((gap) => gap.hours)).toEqual([6]);
    database.close();
  });

  it("refuse a threshold that is not a number of hours", () => {
    expect(() => snapshotGapsSql(-1)).toThrow(RangeError);
    expect(() => snapshotGapsSql(Number.NaN)).toThrow(RangeError);
  });

  it("follow the archive's cadence: half again its median time between snapshots", () => {
    expect(gapThresholdHours(6)).toBe(9);
    expect(gapThresholdHours(4)).toBe(6);
    expect(gapThresholdHours(1)).toBe(1.5);
    expect(gapThresholdHours(null)).toBe(GC_DELAY_HOURS);
  });

  it("are not every ordinary interval of an archive taken every 6 h (the GC delay flagged them all)", async () => {
    const every6h = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [`2024-03-0${1 + Math.floor(i / 4)}T${String((i % 4) * 6).padStart(2, "0")}:00:00.json`, { a: [] }]),
    );
    delete every6h["2024-03-02T06:00:00.json"];
    const database = await databaseOf(every6h);
    const [coverage] = await rows<{ median_hours: number }>(database, snapshotCoverageSql());
    expect(coverage!.median_hours).toBe(6);
    expect(await rows(database, snapshotGapsSql(gapThresholdHours(coverage!.median_hours)))).toEqual([
      { start: "2024-03-02T00:00:00Z", end: "2024-03-02T12:00:00Z", hours: 12 },
    ]);
    expect(await rows(database, snapshotGapsSql(GC_DELAY_HOURS))).toHaveLength(10);
    database.close();
  });

  it("make a newest snapshot stale past twice the cadence", () => {
    expect(staleAfterHours(6)).toBe(12);
    expect(staleAfterHours(null)).toBeNull();
  });
});

describe("runs whose end no snapshot saw", () => {
  const job = (id: string, overrides: Record<string, unknown> = {}) =>
    jobJson({ job_ID: id, name: `module-${id}`, resources: { cpu_num: 2, cpu_MHz: 0, gpu_num: 1, memory_MB: 0, disk_MB: 0 }, ...overrides });

  it("are the runs last seen running before an interval longer than the GC delay, bounded by that interval", async () => {
    const database = await databaseOf({
      // vanishes across 6 h: counted, at most 2 cores × 6 h
      "2024-03-01T00:00:00.json": { vo: [job("gone"), job("seen-dead"), job("short"), job("resized"), job("continues")], other: [] },
      // seen dead: its end is known; resized: a new interval goes on; continues: still running
      "2024-03-01T06:00:00.json": {
        vo: [
          job("seen-dead", { status: "dead", alloc_end: "2024-03-01T03:00:00Z" }),
          job("short"),
          job("resized", { resources: { cpu_num: 4, cpu_MHz: 0, gpu_num: 0, memory_MB: 0, disk_MB: 0 } }),
          job("continues"),
        ],
        other: [job("far")],
      },
      // short vanishes across 2 h: a job seen dead within the GC delay would have shown, not counted here
      "2024-03-01T08:00:00.json": { vo: [job("continues")], other: [job("far")] },
      // far vanishes across 24 h in another namespace
      "2024-03-02T08:00:00.json": { vo: [job("continues")], other: [] },
    });
    const found = await rows<UnseenEnds>(database, unseenEndsSql());
    database.close();
    expect(found).toEqual([
      { account: "other", runs: 1, cpu_num_hours: 48, cpu_MHz_hours: 0, gpu_num_hours: 24, memory_MB_hours: 0, disk_MB_hours: 0 },
      { account: "vo", runs: 1, cpu_num_hours: 12, cpu_MHz_hours: 0, gpu_num_hours: 6, memory_MB_hours: 0, disk_MB_hours: 0 },
    ]);
  });
});

describe("snapshot coverage", () => {
  it("is the first and last snapshot, their number and the median time between them", async () => {
    const database = await databaseOf(SNAPSHOTS);
    const coverage = await rows(database, snapshotCoverageSql());
    database.close();
    expect(coverage).toEqual([{ first: "2024-03-01T00:00:00Z", last: "2024-03-02T12:30:00Z", snapshots: 5, median_hours: 5 }]);
  });

  it("has no median with a single snapshot", async () => {
    const database = await databaseOf({ "2024-03-01T00:00:00.json": { a: [] } });
    const coverage = await rows(database, snapshotCoverageSql());
    database.close();
    expect(coverage).toEqual([{ first: "2024-03-01T00:00:00Z", last: "2024-03-01T00:00:00Z", snapshots: 1, median_hours: null }]);
  });
});

describe("problems", () => {
  it("are counted per reason (how many of them jobs), most frequent first, and listed in file order", async () => {
    const malformed = jobJson({ job_ID: "1a2b3c4d-0000-0000-0000-00000000000f", alloc_start: null });
    const database = await databaseOf({
      "2024-03-01T00:00:00.json": { vo: [jobJson(), malformed] },
      "2024-03-01T06:00:00.json": "{ not json",
      "2024-03-01T12:00:00.json": { vo: [jobJson(), malformed], other: [malformed] },
    });
    const counts = await rows(database, problemCountsSql());
    const problems = await rows<{ file: string; account: string | null; job: string | null; reason: string }>(database, problemsSql());
    database.close();
    expect(counts).toEqual([
      { reason: "running job with no alloc_start", problems: 3, files: 2, jobs: 3 },
      { reason: expect.stringMatching(/^not valid JSON/), problems: 1, files: 1, jobs: 0 },
    ]);
    expect(problems.map(({ file, account, job }) => [file, account, job])).toEqual([
      ["snapshots/2024-03-01T00:00:00.json", "vo", "1a2b3c4d-0000-0000-0000-00000000000f"],
      ["snapshots/2024-03-01T06:00:00.json", null, null],
      ["snapshots/2024-03-01T12:00:00.json", "other", "1a2b3c4d-0000-0000-0000-00000000000f"],
      ["snapshots/2024-03-01T12:00:00.json", "vo", "1a2b3c4d-0000-0000-0000-00000000000f"],
    ]);
  });
});
