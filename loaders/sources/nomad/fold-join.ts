import { absorbLater, jobKey, type JobSummary } from "./jobs.js";
import type { FoldState, SnapshotsFold } from "./fold.js";
import { byNamespaceJobStart, continuesRun, runKey, type Interval, type IntervalFoldState, type OpenRun } from "./intervals.js";
import type { Micros } from "../../model/time.js";

/**
 * A fold of a part of the listing begun without the fold of the files before it: as if those had ended with a
 * snapshot at `previous` and no run open. What each thread of a parallel ingest yields.
 */
export interface DetachedFold {
  previous: Micros | null;
  fold: SnapshotsFold;
}

/**
 * Whether the run, extended across the seam, ends where the detached run ended after the seam's snapshot: then
 * every later snapshot extends or closes both alike. Of an empty segment only its start is known.
 */
function seamless(before: OpenRun, head: OpenRun): boolean {
  const { start, end } = head.interval;
  return end > start ? before.interval.end <= end : before.interval.end === start;
}

/** A detached fold's interval, joined to the run before the seam it goes on from, if any. */
function acrossSeam(interval: Interval, merged: Map<string, Interval>, seam: Micros): Interval {
  const before = interval.firstSnapshot === seam ? merged.get(runKey(interval)) : undefined;
  return before ? { ...before, end: interval.end, lastSnapshot: interval.lastSnapshot } : interval;
}

/** A detached fold's open runs, those that go on from a run before the seam joined to it. */
function joinedRuns(state: IntervalFoldState, merged: Map<string, Interval>, seam: Micros): OpenRun[] {
  return state.open.map((run) => ({ allocStart: run.allocStart, interval: acrossSeam(run.interval, merged, seam) }));
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

/**
 * The fold a detached part would have yielded folded on from `from`, the state the files before it left; undefined
 * when that cannot be told without folding the part again: the files before ended elsewhere than the part assumed,
 * or a run crosses the seam in a way the detached fold did not see.
 */
export function attachFold(from: FoldState, { previous, fold }: DetachedFold): SnapshotsFold | undefined {
  const namespaces = union(from.namespaces, fold.state.namespaces);
  const carried = () => from.open.map((run) => ({ ...run, interval: { ...run.interval } }));
  if (fold.afterFirst === null) {
    return {
      ...fold,
      intervals: carried()
        .map((run) => run.interval)
        .sort(byNamespaceJobStart),
      state: { previous: from.previous, open: carried(), namespaces },
    };
  }
  if (previous !== from.previous) return undefined;
  const seam = fold.afterFirst.previous as Micros;
  const heads = new Map(fold.afterFirst.open.map((run) => [runKey(run.interval), run]));
  const merged = new Map<string, Interval>();
  const closedBefore: Interval[] = [];
  for (const run of from.open) {
    const key = runKey(run.interval);
    const head = heads.get(key);
    // Right after the seam, `head`'s interval is its segment there (an empty segment ends where it starts).
    if (!head || !continuesRun(run, head.allocStart, head.interval.resources, head.interval)) closedBefore.push({ ...run.interval });
    else if (seamless(run, head)) merged.set(key, run.interval);
    else return undefined;
  }
  const intervals = fold.intervals.map((interval) => acrossSeam(interval, merged, seam));
  return {
    ...fold,
    intervals: [...intervals, ...closedBefore].sort(byNamespaceJobStart),
    afterFirst: { previous: seam, open: joinedRuns(fold.afterFirst, merged, seam) },
    state: { previous: fold.state.previous, open: joinedRuns(fold.state, merged, seam), namespaces },
  };
}

/** Two sorted lists of intervals as one, in the intervals table's order. */
function mergeSorted(a: Interval[], b: Interval[]): Interval[] {
  const merged: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) merged.push(byNamespaceJobStart(a[i] as Interval, b[j] as Interval) <= 0 ? (a[i++] as Interval) : (b[j++] as Interval));
  while (i < a.length) merged.push(a[i++] as Interval);
  while (j < b.length) merged.push(b[j++] as Interval);
  return merged;
}

function mergeJobs(earlier: JobSummary[], later: JobSummary[]): JobSummary[] {
  const key = (job: JobSummary) => jobKey(job.namespace, job.jobId);
  const known = new Map(earlier.map((job) => [key(job), job]));
  const jobs = [...earlier];
  for (const job of later) {
    const found = known.get(key(job));
    if (found) absorbLater(found, job);
    else jobs.push(job);
  }
  return jobs;
}

/**
 * The fold of two consecutive parts of the listing, `later` folded on from `earlier`'s state: the runs `earlier`
 * left open are replaced by what `later` made of them. `earlier`'s job summaries are updated in place.
 */
export function concatFolds(earlier: SnapshotsFold, later: SnapshotsFold): SnapshotsFold {
  const seam = earlier.state.previous;
  const reopened = new Set(earlier.state.open.map((run) => `${runKey(run.interval)}\u0000${run.interval.firstSnapshot}`));
  const kept = earlier.intervals.filter((interval) => interval.lastSnapshot !== seam || !reopened.has(`${runKey(interval)}\u0000${interval.firstSnapshot}`));
  return {
    statuses: [...earlier.statuses, ...later.statuses],
    intervals: mergeSorted(kept, later.intervals),
    jobs: mergeJobs(earlier.jobs, later.jobs),
    problems: [...earlier.problems, ...later.problems],
    owners: union(earlier.owners, later.owners),
    afterFirst: earlier.afterFirst ?? later.afterFirst,
    state: later.state,
  };
}
