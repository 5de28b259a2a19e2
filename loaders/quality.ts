import { isoInstantSql, SNAPSHOT_TIMES } from "./sql.js";
import { MICROS_PER_HOUR } from "./time.js";

/** Nomad garbage-collects a dead job about this long after it dies (`job_gc_threshold`). */
export const GC_DELAY_HOURS = 4;

/** Consecutive snapshots further apart than the GC delay: a job that died between them may never have been seen dead. */
export interface SnapshotGap {
  /** `YYYY-MM-DDTHH:MM:SSZ`, the snapshot before the gap. */
  start: string;
  /** `YYYY-MM-DDTHH:MM:SSZ`, the snapshot after the gap. */
  end: string;
  hours: number;
}

/** What the archive covers; times are `YYYY-MM-DDTHH:MM:SSZ`, null when there is no snapshot. */
export interface SnapshotCoverage {
  first: string | null;
  last: string | null;
  snapshots: number;
  /** Median time between consecutive snapshots; null with fewer than two. */
  median_hours: number | null;
}

/** Gaps between consecutive snapshots longer than `minimumHours`, in time order. */
export function snapshotGapsSql(minimumHours: number = GC_DELAY_HOURS): string {
  if (!Number.isFinite(minimumHours) || minimumHours < 0) throw new RangeError(`not a number of hours: ${minimumHours}`);
  return `WITH ${SNAPSHOT_TIMES},
pairs AS (SELECT lag(t) OVER (ORDER BY t) AS p, t FROM times)
SELECT ${isoInstantSql("p")} AS start, ${isoInstantSql("t")} AS "end",
  (t - p) / ${MICROS_PER_HOUR} AS hours
FROM pairs WHERE p IS NOT NULL AND t - p > ${Math.round(minimumHours * MICROS_PER_HOUR)}
ORDER BY t`;
}

export function snapshotCoverageSql(): string {
  return `WITH ${SNAPSHOT_TIMES},
pairs AS (SELECT t - lag(t) OVER (ORDER BY t) AS us FROM times)
SELECT ${isoInstantSql("(SELECT min(t) FROM times)")} AS first,
  ${isoInstantSql("(SELECT max(t) FROM times)")} AS last,
  (SELECT count(*) FROM times)::INTEGER AS snapshots,
  (SELECT median(us) FROM pairs) / ${MICROS_PER_HOUR} AS median_hours`;
}

/** Skipped files and jobs per reason, the most frequent first. */
export interface ProblemCount {
  reason: string;
  /** Files and jobs skipped for this reason. */
  problems: number;
  /** Files they are in. */
  files: number;
  /** How many of the problems are jobs; the others are whole files (or folders). */
  jobs: number;
}

export function problemCountsSql(): string {
  return `SELECT reason, count(*)::INTEGER AS problems, count(DISTINCT file)::INTEGER AS files,
  count(*) FILTER (WHERE namespace IS NOT NULL)::INTEGER AS jobs
FROM problems GROUP BY reason ORDER BY problems DESC, reason`;
}

/** Every skipped file (namespace and job null) and job, in file order. */
export function problemsSql(): string {
  return "SELECT file, namespace, job, reason FROM problems ORDER BY file, namespace NULLS FIRST, job NULLS FIRST, reason";
}

/**
 * Gaps this long missed at least one snapshot: half again the usual time between snapshots, and never
 * under the GC delay. With snapshots every 6 h, nearly every gap is over the GC delay.
 */
export function missedSnapshotHours(medianHours: number | null): number {
  return Math.max(GC_DELAY_HOURS, 1.5 * (medianHours ?? 0));
}
