import type { Problem } from "../../model/records.js";
import type { Snapshot } from "./snapshot.js";
import type { Micros } from "../../model/time.js";

const STATUSES = ["running", "dead", "queued", "starting", "down", "failed", "complete", "error"] as const;
export const STATUS_COUNTS = [...STATUSES, "other", "skipped"] as const;
type StatusCount = (typeof STATUS_COUNTS)[number];
type StatusCounts = Record<StatusCount, number>;

/** How many jobs of one namespace one snapshot listed in each status, and how many it skipped. */
export interface NamespaceStatus {
  time: Micros;
  file: string;
  namespace: string;
  counts: StatusCounts;
}

/** What one snapshot counted, for each namespace it listed. */
export interface SnapshotStatuses {
  time: Micros;
  file: string;
  counts: Map<string, StatusCounts>;
}

function zeroCounts(): StatusCounts {
  return Object.fromEntries(STATUS_COUNTS.map((name) => [name, 0])) as StatusCounts;
}

function statusCount(status: string): StatusCount {
  return (STATUSES as readonly string[]).includes(status) ? (status as StatusCount) : "other";
}

/** Counts one snapshot's jobs by status, and the jobs it skipped. */
export function countStatuses(snapshot: Snapshot, skipped: Problem[]): SnapshotStatuses {
  const counts = new Map<string, StatusCounts>();
  const countsOf = (namespace: string) => {
    let found = counts.get(namespace);
    if (!found) counts.set(namespace, (found = zeroCounts()));
    return found;
  };
  for (const [namespace, jobs] of snapshot.namespaces) {
    const row = countsOf(namespace);
    for (const job of jobs) row[statusCount(job.status)] += 1;
  }
  for (const problem of skipped) if (problem.account !== null) countsOf(problem.account).skipped += 1;
  return { time: snapshot.time, file: snapshot.file, counts };
}

/** Every namespace the snapshots listed, and the `known` ones, sorted. */
export function namespacesOf(snapshots: readonly SnapshotStatuses[], known: Iterable<string> = []): string[] {
  const namespaces = new Set(known);
  for (const { counts } of snapshots) for (const namespace of counts.keys()) namespaces.add(namespace);
  return [...namespaces].sort();
}

/** A row per snapshot and per namespace, zeros where a snapshot lacks the namespace. */
export function statusRows(snapshots: readonly SnapshotStatuses[], namespaces: readonly string[]): NamespaceStatus[] {
  return snapshots.flatMap(({ time, file, counts }) =>
    namespaces.map((namespace) => ({ time, file, namespace, counts: counts.get(namespace) ?? zeroCounts() })),
  );
}
