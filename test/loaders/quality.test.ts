import { describe, expect, it } from "vitest";
import {
  GC_DELAY_HOURS,
  missedSnapshotHours,
  problemCountsSql,
  problemsSql,
  snapshotCoverageSql,
  snapshotGapsSql,
  type SnapshotGap,
} from "../../loaders/quality.js";
import { jobJson } from "../helpers/archive.js";
import { databaseOf, rows } from "../helpers/engines.js";

/** Snapshots 6 h, 2 h, exactly 4 h and 24 h 30 min apart, in two namespaces. */
const SNAPSHOTS = {
  "2024-03-01T00:00:00.json": { a: [], b: [] },
  "2024-03-01T06:00:00.json": { a: [], b: [] },
  "2024-03-01T08:00:00.json": { a: [] },
  "2024-03-01T12:00:00.json": { b: [] },
  "old/2024-03-02T12:30:00.json": { a: [] },
};

describe("snapshot gaps", () => {
  it("are the consecutive snapshots further apart than the 4 h GC delay", async () => {
    const database = await databaseOf(SNAPSHOTS);
    const gaps = await rows<SnapshotGap>(database, snapshotGapsSql());
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

  it("refuse a threshold that is not a number of hours", () => {
    expect(() => snapshotGapsSql(-1)).toThrow(RangeError);
    expect(() => snapshotGapsSql(Number.NaN)).toThrow(RangeError);
  });

  it("missed a snapshot when half again longer than usual, never under the GC delay", () => {
    expect(missedSnapshotHours(6)).toBe(9);
    expect(missedSnapshotHours(2)).toBe(4);
    expect(missedSnapshotHours(null)).toBe(4);
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
    const problems = await rows<{ file: string; namespace: string | null; job: string | null; reason: string }>(database, problemsSql());
    database.close();
    expect(counts).toEqual([
      { reason: "running job with no alloc_start", problems: 3, files: 2, jobs: 3 },
      { reason: expect.stringMatching(/^not valid JSON/), problems: 1, files: 1, jobs: 0 },
    ]);
    expect(problems.map(({ file, namespace, job }) => [file, namespace, job])).toEqual([
      ["snapshots/2024-03-01T00:00:00.json", "vo", "1a2b3c4d-0000-0000-0000-00000000000f"],
      ["snapshots/2024-03-01T06:00:00.json", null, null],
      ["snapshots/2024-03-01T12:00:00.json", "other", "1a2b3c4d-0000-0000-0000-00000000000f"],
      ["snapshots/2024-03-01T12:00:00.json", "vo", "1a2b3c4d-0000-0000-0000-00000000000f"],
    ]);
  });
});
