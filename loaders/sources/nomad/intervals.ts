import { RESOURCES, type Resources } from "../../model/resources.js";
import type { Job } from "./job.js";
import { inNamespace, jobKey } from "./jobs.js";
import { sharedResources, sharedText } from "./shared.js";
import type { Problem } from "../../model/records.js";
import type { Snapshot } from "./snapshot.js";
import type { Micros } from "../../model/time.js";

/**
 * A maximal run of one job's consecutive segments with the same allocation start and resources:
 * what it consumed over [start, end], seen by every snapshot from firstSnapshot to lastSnapshot.
 */
export interface Interval {
  namespace: string;
  jobId: string;
  owner: string;
  allocId: string | null;
  start: Micros;
  end: Micros;
  firstSnapshot: Micros;
  lastSnapshot: Micros;
  resources: Resources;
}

interface Segment {
  start: Micros;
  end: Micros;
}

/** Why a valid job cannot be accounted for: a run with no start, a death with no end. */
export type SegmentReason = "running job with no alloc_start" | "dead job with no alloc_end";

/**
 * What a job consumed in the span a snapshot closes: [max(previous, alloc_start), snapshot] while running,
 * up to alloc_end when dead. Null when it consumed nothing (not running or dead, or never started); a reason
 * when it is malformed. The archive's first snapshot has no previous one: only alloc_start bounds it.
 */
export function segmentOf(job: Job, snapshot: Micros, previous: Micros | undefined): Segment | { reason: SegmentReason } | null {
  const running = job.status === "running";
  if (!running && job.status !== "dead") return null;
  if (job.allocStart === null) return running ? { reason: "running job with no alloc_start" } : null;
  if (!running && job.allocEnd === null) return { reason: "dead job with no alloc_end" };
  return {
    start: previous === undefined ? job.allocStart : Math.max(previous, job.allocStart),
    end: running ? snapshot : Math.min(snapshot, job.allocEnd as Micros),
  };
}

/** Old jobs declared their cores in cpu_MHz and 0 in cpu_num. */
export function countedResources(resources: Resources): Resources {
  return resources.cpu_num === 0 ? { ...resources, cpu_num: resources.cpu_MHz } : resources;
}

function sameResources(a: Resources, b: Resources): boolean {
  return RESOURCES.every((name) => a[name] === b[name]);
}

/** Whether a job's segment extends an open run: same allocation start and resources, and no gap before it. */
export function continuesRun(run: OpenRun, allocStart: Micros | null, resources: Resources, segment: Segment): boolean {
  if (run.allocStart !== allocStart || !sameResources(run.interval.resources, resources)) return false;
  return segment.end <= segment.start || segment.start <= run.interval.end;
}

/** A run the last snapshot folded in still saw: the next snapshot may extend it. */
export interface OpenRun {
  interval: Interval;
  allocStart: Micros;
}

/** Where a fold of the snapshots stands: enough to go on with later snapshots. */
export interface IntervalFoldState {
  /** The last snapshot folded in. */
  previous: Micros | null;
  /** In the intervals table's order. */
  open: OpenRun[];
}

interface IntervalBuilder {
  /** Folds in the next snapshot in time order; returns the jobs it skipped as malformed. */
  add(snapshot: Snapshot): Problem[];
  state(): IntervalFoldState;
  /** Every interval, open ones closed, in (namespace, job, start) order. */
  finish(): Interval[];
}

/** The intervals table's order: namespace, job, start. */
export function byNamespaceJobStart(a: Interval, b: Interval): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  if (a.jobId !== b.jobId) return a.jobId < b.jobId ? -1 : 1;
  return a.start - b.start || a.firstSnapshot - b.firstSnapshot;
}

/** What tells one job's runs from another's. */
export const runKey = (interval: Interval) => jobKey(interval.namespace, interval.jobId);

/**
 * Folds snapshots into intervals, from the first snapshot or from where an earlier fold stopped. The open runs are
 * kept by namespace, then job id (inNamespace).
 */
export function createIntervalBuilder(from: IntervalFoldState = { previous: null, open: [] }): IntervalBuilder {
  const open = new Map<string, Map<string, OpenRun>>();
  for (const run of from.open) inNamespace(open, run.interval.namespace).set(run.interval.jobId, { ...run, interval: { ...run.interval } });
  const closed: Interval[] = [];
  let previous = from.previous ?? undefined;

  function fold(runs: Map<string, OpenRun>, namespace: string, job: Job, time: Micros, segment: Segment): void {
    const run = runs.get(job.id);
    const resources = countedResources(job.resources);
    if (run && continuesRun(run, job.allocStart, resources, segment)) {
      run.interval.end = Math.max(run.interval.end, segment.end);
      run.interval.lastSnapshot = time;
      return;
    }
    if (run) closed.push(run.interval);
    runs.set(job.id, {
      allocStart: job.allocStart as Micros,
      interval: {
        namespace,
        jobId: job.id,
        owner: sharedText(job.owner),
        allocId: job.allocId,
        start: segment.start,
        end: Math.max(segment.start, segment.end),
        firstSnapshot: time,
        lastSnapshot: time,
        resources: sharedResources(resources),
      },
    });
  }

  return {
    add(snapshot) {
      if (previous !== undefined && snapshot.time <= previous) throw new Error(`snapshot ${snapshot.file} is not after the previous one`);
      const problems: Problem[] = [];
      for (const [namespace, jobs] of snapshot.namespaces) {
        const runs = inNamespace(open, namespace);
        for (const job of jobs) {
          const segment = segmentOf(job, snapshot.time, previous);
          if (segment === null) continue;
          if ("reason" in segment) problems.push({ file: snapshot.file, line: null, account: namespace, job: job.id, reason: segment.reason, detail: null });
          else fold(runs, namespace, job, snapshot.time, segment);
        }
      }
      for (const runs of open.values()) {
        for (const [jobId, run] of runs) {
          if (run.interval.lastSnapshot !== snapshot.time) {
            closed.push(run.interval);
            runs.delete(jobId);
          }
        }
      }
      previous = snapshot.time;
      return problems;
    },
    state() {
      const runs = [...open.values()].flatMap((ofNamespace) => [...ofNamespace.values()]).map((run) => ({ ...run, interval: { ...run.interval } }));
      return { previous: previous ?? null, open: runs.sort((a, b) => byNamespaceJobStart(a.interval, b.interval)) };
    },
    finish() {
      for (const runs of open.values()) for (const run of runs.values()) closed.push(run.interval);
      open.clear();
      return closed.sort(byNamespaceJobStart);
    },
  };
}
