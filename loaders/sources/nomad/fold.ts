import { readSnapshots, type SnapshotFile } from "./archive.js";
import { createIntervalBuilder, type Interval, type IntervalFoldState } from "./intervals.js";
import { createJobCatalog, type JobSummary } from "./jobs.js";
import type { Problem } from "../../model/records.js";
import { countStatuses, namespacesOf, statusRows, type NamespaceStatus, type SnapshotStatuses } from "./statuses.js";

export type Progress = (done: number, total: number) => void;

/** Where a fold of the archive stands after its last snapshot file: what a fold of later files goes on from. */
export interface FoldState extends IntervalFoldState {
  namespaces: string[];
}

/**
 * What snapshot files yield, folded in order. Folded from an earlier state, `intervals` are the runs that were
 * open and those begun since, and `jobs` describe only what the new files saw.
 */
export interface SnapshotsFold {
  statuses: SnapshotStatuses[];
  intervals: Interval[];
  jobs: JobSummary[];
  problems: Problem[];
  owners: string[];
  /** Where the fold stood after its first valid snapshot; null when it had none. */
  afterFirst: IntervalFoldState | null;
  state: FoldState;
}

/** The snapshots table's rows of a fold. */
export function snapshotRows(fold: SnapshotsFold): NamespaceStatus[] {
  return statusRows(fold.statuses, fold.state.namespaces);
}

/** Reads snapshot files one at a time, in the listing's order, and folds them into the accounting's tables. */
export function foldSnapshots(archive: string, files: SnapshotFile[], from?: FoldState, onProgress?: Progress): SnapshotsFold {
  const problems: Problem[] = [];
  const intervals = createIntervalBuilder(from);
  const jobs = createJobCatalog();
  const statuses: SnapshotStatuses[] = [];
  const owners = new Set<string>();
  let afterFirst: IntervalFoldState | null = null;
  let done = 0;
  for (const item of readSnapshots(archive, files)) {
    onProgress?.(++done, files.length);
    if ("problem" in item) {
      problems.push(item.problem);
      continue;
    }
    const { snapshot } = item;
    const skipped = [...snapshot.problems, ...intervals.add(snapshot)];
    problems.push(...skipped);
    statuses.push(countStatuses(snapshot, skipped));
    afterFirst ??= intervals.state();
    for (const [namespace, list] of snapshot.namespaces) {
      for (const job of list) {
        jobs.add(namespace, job, snapshot.time);
        owners.add(job.owner);
      }
    }
  }
  const state = { ...intervals.state(), namespaces: namespacesOf(statuses, from?.namespaces) };
  return { statuses, intervals: intervals.finish(), jobs: jobs.summaries(), problems, owners: [...owners].sort(), afterFirst, state };
}
