import type { Problem, Snapshot } from "./snapshot.js";
import type { Micros } from "./time.js";

export const STATUSES = ["running", "dead", "queued", "starting", "down", "failed", "complete", "error"] as const;
export const STATUS_COUNTS = [...STATUSES, "other", "skipped"] as const;
export type StatusCount = (typeof STATUS_COUNTS)[number];
export type StatusCounts = Record<StatusCount, number>;

/** How many jobs of one namespace one snapshot listed in each status, and how many it skipped. */
export interface NamespaceStatus {
  time: Micros;
  file: string;
  namespace: string;
  counts: StatusCounts;
}

function zeroCounts(): StatusCounts {
  return Object.fromEntries(STATUS_COUNTS.map((name) => [name, 0])) as StatusCounts;
}

function statusCount(status: string): StatusCount {
  return (STATUSES as readonly string[]).includes(status) ? (status as StatusCount) : "other";
}

export interface StatusLog {
  add(snapshot: Snapshot, skipped: Problem[]): void;
  /** Every namespace seen, sorted. */
  namespaces(): string[];
  /** A row per snapshot and per namespace of the archive, zeros where a snapshot lacks the namespace. */
  rows(): NamespaceStatus[];
}

/** Counts the statuses of later snapshots; `known` namespaces get zero rows where a snapshot lacks them. */
export function createStatusLog(known: Iterable<string> = []): StatusLog {
  const snapshots: { time: Micros; file: string; counts: Map<string, StatusCounts> }[] = [];
  const namespaces = new Set<string>(known);
  return {
    add(snapshot, skipped) {
      const counts = new Map<string, StatusCounts>();
      const countsOf = (namespace: string) => {
        namespaces.add(namespace);
        let found = counts.get(namespace);
        if (!found) counts.set(namespace, (found = zeroCounts()));
        return found;
      };
      for (const [namespace, jobs] of snapshot.namespaces) {
        const row = countsOf(namespace);
        for (const job of jobs) row[statusCount(job.status)] += 1;
      }
      for (const problem of skipped) if (problem.namespace !== null) countsOf(problem.namespace).skipped += 1;
      snapshots.push({ time: snapshot.time, file: snapshot.file, counts });
    },
    namespaces() {
      return [...namespaces].sort();
    },
    rows() {
      const sorted = [...namespaces].sort();
      return snapshots.flatMap(({ time, file, counts }) =>
        sorted.map((namespace) => ({ time, file, namespace, counts: counts.get(namespace) ?? zeroCounts() })),
      );
    },
  };
}
