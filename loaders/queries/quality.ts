import { RESOURCES } from "../model/resources.js";
import type { Hours } from "./report.js";
import { isoInstantSql, SNAPSHOT_TIMES } from "./sql.js";
import { MICROS_PER_HOUR, type Micros } from "../model/time.js";

/** Nomad garbage-collects a dead job about this long after it dies (`job_gc_threshold`). */
export const GC_DELAY_HOURS = 4;

/** Consecutive snapshots further apart than a threshold (the archive's cadence by default: gapThresholdHours). */
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

/** A gap with the times of its two snapshots in µs (snapshotGapsSql's `timed`): for gapsWithin. */
export interface TimedGap extends SnapshotGap {
  start_us: Micros;
  end_us: Micros;
}

/**
 * Gaps between consecutive snapshots longer than `minimumHours`, in time order; `timed`, with the times of their
 * snapshots in µs (TimedGap).
 */
export function snapshotGapsSql(minimumHours: number, timed = false): string {
  if (!Number.isFinite(minimumHours) || minimumHours < 0) throw new RangeError(`not a number of hours: ${minimumHours}`);
  return `WITH ${SNAPSHOT_TIMES},
pairs AS (SELECT lag(t) OVER (ORDER BY t) AS p, t FROM times)
SELECT ${isoInstantSql("p")} AS start, ${isoInstantSql("t")} AS "end",
  (t - p) / ${MICROS_PER_HOUR} AS hours${timed ? ", p::DOUBLE AS start_us, t::DOUBLE AS end_us" : ""}
FROM pairs WHERE p IS NOT NULL AND t - p > ${Math.round(minimumHours * MICROS_PER_HOUR)}
ORDER BY t`;
}

/**
 * The gaps without their times in µs; only those overlapping `[within.start, within.end)` (µs), even partly, when given:
 * the snapshot before one taken before the end, the one after it after the start.
 */
export function gapsWithin(gaps: readonly TimedGap[], within?: { start: Micros; end: Micros }): SnapshotGap[] {
  const overlapping = within ? gaps.filter((gap) => gap.start_us < within.end && gap.end_us > within.start) : gaps;
  return overlapping.map(({ start, end, hours }) => ({ start, end, hours }));
}

export function snapshotCoverageSql(): string {
  return `WITH ${SNAPSHOT_TIMES},
pairs AS (SELECT t - lag(t) OVER (ORDER BY t) AS us FROM times)
SELECT ${isoInstantSql("(SELECT min(t) FROM times)")} AS first,
  ${isoInstantSql("(SELECT max(t) FROM times)")} AS last,
  (SELECT count(*) FROM times)::INTEGER AS snapshots,
  (SELECT median(us) FROM pairs) / ${MICROS_PER_HOUR} AS median_hours`;
}

/** What the records of one source and cluster cover (a row of `spans`); times are `YYYY-MM-DDTHH:MM:SSZ`. */
export interface RecordSpan {
  /** nomad, slurm, sge or flux. */
  source: string;
  cluster: string;
  /** Nomad: the first snapshot; batch records: their first start. */
  first: string;
  /** Nomad: the last snapshot; batch records: the time of their last dump, else their last end. */
  last: string;
}

/** Every source and cluster of the archive and what its records cover: Nomad first, then by source and cluster. */
export function recordSpansSql(): string {
  return `SELECT source, cluster, ${isoInstantSql("epoch_us(first_time)")} AS first, ${isoInstantSql("epoch_us(last_time)")} AS last
FROM spans ORDER BY source <> 'nomad', source, cluster`;
}

/** Every account of the archive with the source and cluster of its records, a row for each (an account may be on several). */
export function accountOriginsSql(): string {
  return "SELECT DISTINCT account, source, cluster FROM accounts ORDER BY account, source <> 'nomad', source, cluster";
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

const whole = new Intl.NumberFormat("en-US");

/** `1 file`, `17,540 files`. */
export function counted(count: number, one: string, many = `${one}s`): string {
  return `${whole.format(count)} ${count === 1 ? one : many}`;
}

/** Files and jobs skipped, over all their reasons. */
export const problemsOf = (counts: ProblemCount[]) => counts.reduce((total, count) => total + count.problems, 0);

/** Reasons an unusable archive's message shows. */
const UNUSABLE_REASONS = 3;

/**
 * Why an archive has no usable record, in a few words: `3 files skipped, 2: empty file; 1: not valid JSON (…)`. In
 * a snapshots folder only whole files are skipped: a snapshot with a namespace is used, whatever its jobs; in batch
 * records (`lines`), the lines of jobs that could not be read.
 */
export function formatUnusable(counts: ProblemCount[], records: "files" | "lines" = "files"): string {
  if (counts.length === 0) return records === "files" ? "no .json file there lists a namespace" : "no file there holds a job that ran";
  const reasons = counts.slice(0, UNUSABLE_REASONS).map(({ reason, problems }) => `${whole.format(problems)}: ${reason}`);
  const others = counts.length - UNUSABLE_REASONS;
  if (others > 0) reasons.push(`and ${counted(others, "more reason")}`);
  const skipped = records === "files" ? counted(problemsOf(counts), "file") : counted(problemsOf(counts), "file or line", "files or lines");
  return `${skipped} skipped, ${reasons.join("; ")}`;
}

export function problemCountsSql(): string {
  return `SELECT reason, count(*)::INTEGER AS problems, count(DISTINCT file)::INTEGER AS files,
  count(*) FILTER (WHERE account IS NOT NULL OR line IS NOT NULL)::INTEGER AS jobs
FROM problems GROUP BY reason ORDER BY problems DESC, reason`;
}

/** Every skipped file (account and job null), line and job, in file order. */
export function problemsSql(): string {
  return "SELECT file, line, account, job, reason FROM problems ORDER BY file, line NULLS FIRST, account NULLS FIRST, job NULLS FIRST, reason";
}

/**
 * Snapshots further apart than this missed at least one: half again the archive's usual time between snapshots
 * (its median), the GC delay when it has fewer than two snapshots. With snapshots every 6 h, gaps are over 9 h.
 */
export function gapThresholdHours(medianHours: number | null): number {
  return medianHours === null ? GC_DELAY_HOURS : 1.5 * medianHours;
}

/**
 * A newest snapshot older than this, twice the archive's usual time between snapshots, means the snapshot cron
 * missed its last run: the overview warns and `accounting check` fails. Null with fewer than two snapshots.
 */
export function staleAfterHours(medianHours: number | null): number | null {
  return medianHours === null ? null : 2 * medianHours;
}

/**
 * Runs whose end no snapshot saw, in one account (a Nomad namespace), across intervals between snapshots longer than the GC delay:
 * seen running in a snapshot, no longer consuming in the next. Nomad forgets a job about GC_DELAY_HOURS after it
 * dies, so one that died more than that before the next snapshot is never seen dead, and the accounting stops at
 * the last snapshot that saw it running. The hours bound what was lost: each run's resources × the time to the
 * next snapshot.
 */
export type UnseenEnds = { account: string; runs: number } & Hours;

/** UnseenEnds per account that has any (Nomad only: batch records are not seen by snapshots). */
export function unseenEndsSql(): string {
  const bounds = RESOURCES.map((name) => `fsum("${name}"::DOUBLE * (n - s)) / ${MICROS_PER_HOUR} AS "${name}_hours"`).join(", ");
  return `WITH ${SNAPSHOT_TIMES},
steps AS (SELECT t, lead(t) OVER (ORDER BY t) AS n FROM times),
last_seen AS (
  SELECT i.*, epoch_us(i.last_snapshot) AS s, steps.n
  FROM intervals i JOIN steps ON steps.t = epoch_us(i.last_snapshot)
  WHERE epoch_us(i.end_time) = epoch_us(i.last_snapshot) AND steps.n - steps.t > ${GC_DELAY_HOURS * MICROS_PER_HOUR}
),
unseen AS (
  SELECT * FROM last_seen l
  WHERE NOT EXISTS (SELECT 1 FROM intervals j WHERE j.account = l.account AND j.job_id = l.job_id AND epoch_us(j.first_snapshot) = l.n)
)
SELECT account, count(*)::INTEGER AS runs, ${bounds}
FROM unseen GROUP BY account ORDER BY account`;
}
