import { describe, expect, it } from "vitest";
import { countedResources, createIntervalBuilder, segmentOf } from "../../../../loaders/sources/nomad/intervals.js";
import type { Snapshot } from "../../../../loaders/sources/nomad/snapshot.js";
import { HOUR, job, snapshot, T0 } from "../../../helpers/snapshots.js";

function build(...snapshots: Snapshot[]) {
  const builder = createIntervalBuilder();
  const problems = snapshots.flatMap((s) => builder.add(s));
  return { intervals: builder.finish(), problems };
}

const span = (i: { start: number; end: number; firstSnapshot: number; lastSnapshot: number }) => [
  (i.start - T0) / HOUR,
  (i.end - T0) / HOUR,
  (i.firstSnapshot - T0) / HOUR,
  (i.lastSnapshot - T0) / HOUR,
];

describe("segmentOf", () => {
  const at = T0 + 6 * HOUR;
  it("runs from max(previous snapshot, alloc_start) to the snapshot", () => {
    expect(segmentOf(job(), at, T0 - HOUR)).toEqual({ start: T0, end: at });
    expect(segmentOf(job(), at, T0 + HOUR)).toEqual({ start: T0 + HOUR, end: at });
  });
  it("is bounded only by alloc_start in the archive's first snapshot", () => {
    expect(segmentOf(job({ allocStart: T0 - 100 * HOUR }), at, undefined)).toEqual({ start: T0 - 100 * HOUR, end: at });
  });
  it("ends at alloc_end for a dead job, and may be empty when the job died before the previous snapshot", () => {
    expect(segmentOf(job({ status: "dead", allocEnd: T0 + 2 * HOUR }), at, T0)).toEqual({ start: T0, end: T0 + 2 * HOUR });
    const again = segmentOf(job({ status: "dead", allocEnd: T0 + 2 * HOUR }), at, T0 + 3 * HOUR);
    expect(again).toEqual({ start: T0 + 3 * HOUR, end: T0 + 2 * HOUR });
  });
  it("ignores jobs that do not consume, and reports malformed ones", () => {
    for (const status of ["queued", "starting", "down", "failed", "complete", "pending"]) expect(segmentOf(job({ status }), at, T0)).toBeNull();
    expect(segmentOf(job({ status: "dead", allocStart: null, allocEnd: null }), at, T0)).toBeNull();
    expect(segmentOf(job({ status: "dead", allocEnd: null }), at, T0)).toEqual({ reason: "dead job with no alloc_end" });
    expect(segmentOf(job({ allocStart: null }), at, T0)).toEqual({ reason: "running job with no alloc_start" });
  });
});

describe("countedResources", () => {
  it("counts cpu_MHz as cores when a job declared 0 cores", () => {
    expect(countedResources(job({ resources: { cpu_num: 0, cpu_MHz: 4, gpu_num: 0, memory_MB: 1, disk_MB: 1 } }).resources).cpu_num).toBe(4);
    expect(countedResources(job().resources).cpu_num).toBe(2);
  });
});

describe("createIntervalBuilder", () => {
  it("collapses a job running across snapshots into one interval", () => {
    const { intervals } = build(snapshot(0, { a: [job()] }), snapshot(6, { a: [job()] }), snapshot(12, { a: [job()] }));
    expect(intervals.map(span)).toEqual([[0, 12, 0, 12]]);
  });

  it("starts a new interval when the job restarts or its resources change", () => {
    const restarted = job({ allocStart: T0 + 8 * HOUR, allocId: "a2" });
    const bigger = job({ allocStart: T0 + 8 * HOUR, resources: { ...job().resources, gpu_num: 1 } });
    const { intervals } = build(snapshot(0, { a: [job()] }), snapshot(6, { a: [job()] }), snapshot(12, { a: [restarted] }), snapshot(18, { a: [bigger] }));
    expect(intervals.map(span)).toEqual([
      [0, 6, 0, 6],
      [8, 12, 12, 12],
      [12, 18, 18, 18],
    ]);
    expect(intervals[1]!.allocId).toBe("a2");
  });

  it("keeps a job seen dead twice in one interval, adding no time", () => {
    const dead = job({ status: "dead", allocEnd: T0 + 7 * HOUR });
    const { intervals } = build(snapshot(0, { a: [job()] }), snapshot(6, { a: [job()] }), snapshot(9, { a: [dead] }), snapshot(12, { a: [dead] }));
    expect(intervals.map(span)).toEqual([[0, 7, 0, 12]]);
  });

  it("splits a job missing from a snapshot: the unseen span is not counted", () => {
    const { intervals } = build(snapshot(0, { a: [job()] }), snapshot(6, {}), snapshot(12, { a: [job()] }));
    expect(intervals.map(span)).toEqual([
      [0, 0, 0, 0],
      [6, 12, 12, 12],
    ]);
  });

  it("keeps namespaces apart and counts cpu_MHz as cores for old jobs", () => {
    const old = job({ id: "j2", resources: { cpu_num: 0, cpu_MHz: 8, gpu_num: 0, memory_MB: 1, disk_MB: 1 } });
    const { intervals } = build(snapshot(0, { a: [job()], b: [job(), old] }), snapshot(6, { a: [job()], b: [job(), old] }));
    expect(intervals.map((i) => [i.namespace, i.jobId, i.resources.cpu_num])).toEqual([
      ["a", "j1", 2],
      ["b", "j1", 2],
      ["b", "j2", 8],
    ]);
  });

  it("goes on from its state with each namespace's open runs, the same job id in two namespaces apart", () => {
    const first = createIntervalBuilder();
    first.add(snapshot(0, { b: [job()], a: [job()] }));
    const state = first.state();
    expect(state.open.map((run) => run.interval.namespace)).toEqual(["a", "b"]);
    const later = createIntervalBuilder(state);
    later.add(snapshot(6, { a: [job()] }));
    later.add(snapshot(12, { a: [job()], b: [job()] }));
    expect(later.finish().map((i) => [i.namespace, i.jobId, ...span(i)])).toEqual([
      ["a", "j1", 0, 12, 0, 12],
      ["b", "j1", 0, 0, 0, 0],
      ["b", "j1", 6, 12, 12, 12],
    ]);
  });

  it("reports malformed jobs with their snapshot and leaves them out", () => {
    const { intervals, problems } = build(snapshot(0, { a: [job({ allocStart: null })] }), snapshot(6, { a: [job({ status: "dead", allocEnd: null })] }));
    expect(intervals).toEqual([]);
    expect(problems).toEqual([
      { file: "snapshots/0.json", line: null, account: "a", job: "j1", reason: "running job with no alloc_start", detail: null },
      { file: "snapshots/6.json", line: null, account: "a", job: "j1", reason: "dead job with no alloc_end", detail: null },
    ]);
  });

  it("refuses snapshots out of time order", () => {
    const builder = createIntervalBuilder();
    builder.add(snapshot(6, {}));
    expect(() => builder.add(snapshot(6, {}))).toThrow(/not after/);
  });
});
