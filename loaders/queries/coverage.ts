import type { KnownIssue } from "../ingest/known-issues.js";
import { gapsWithin, gapThresholdHours, snapshotCoverageSql, snapshotGapsSql, type SnapshotCoverage, type SnapshotGap, type TimedGap } from "./quality.js";
import { beforeFirstSnapshotSql, periodSql, type RecordedHours, type ReportRequest } from "./report.js";
import type { Connector } from "./sql.js";
import { formatDay, formatInstant, MICROS_PER_DAY, type Micros } from "../model/time.js";

/**
 * What a period's numbers rest on: how much of it the archive's snapshots span, what was counted before the first
 * of them, and the gaps and known issues inside it. The CLI prints it beside every report, the site shows it beside
 * every table.
 */
export interface Coverage {
  /** The period's first and last day, `YYYY-MM-DD`, as the report names them. */
  from: string;
  to: string;
  /** The period's length in days (fractional when it starts at the first snapshot, by default). */
  days: number;
  /** The part of it between the archive's first and last snapshot, in days. */
  covered_days: number;
  /** `YYYY-MM-DDTHH:MM:SSZ` */
  first_snapshot: string;
  last_snapshot: string;
  /** The period ends after the newest snapshot: its numbers grow as snapshots arrive. */
  provisional: boolean;
  /** Counted in the report although used before the first snapshot: jobs already running when the archive starts. */
  before_first_snapshot: RecordedHours;
  /** Gaps between snapshots longer than the archive's cadence allows (gapThresholdHours) that overlap the period. */
  gap_hours: number;
  gaps: SnapshotGap[];
  /** The archive's known issues that overlap the period. */
  known_issues: KnownIssue[];
}

/** A period that holds no time, or a mode the archive's sources have not: reported as a usage error, with no number. */
export class PeriodError extends Error {}

interface PeriodRow {
  lo: Micros;
  hi: Micros;
  first_us: Micros | null;
  last_us: Micros | null;
}

function periodRowSql(request: Pick<ReportRequest, "from" | "to">): string {
  return `WITH ${periodSql(request)}
SELECT lo::DOUBLE AS lo, hi::DOUBLE AS hi, first_us::DOUBLE AS first_us, last_us::DOUBLE AS last_us FROM period`;
}

/**
 * What the coverage of every period shares, from the archive's snapshot times: what they cover, how far apart two
 * snapshots may be (gapThresholdHours of the median time between them), and every gap longer than that. Read once
 * (snapshotCadence), it serves any number of periods, each of which then reads the archive's bounds alone.
 */
export interface SnapshotCadence {
  archive: SnapshotCoverage;
  gap_hours: number;
  gaps: readonly TimedGap[];
}

/** The archive's snapshot cadence and every gap in it, through any DuckDB holding its tables. */
export async function snapshotCadence(db: Connector): Promise<SnapshotCadence> {
  const [archive] = (await db.query<SnapshotCoverage>(snapshotCoverageSql())) as [SnapshotCoverage];
  const gapHours = gapThresholdHours(archive.median_hours);
  return { archive, gap_hours: gapHours, gaps: await db.query<TimedGap>(snapshotGapsSql(gapHours, true)) };
}

function snapshotTime(time: Micros): string {
  return `${formatInstant(time).slice(0, 19)}Z`;
}

/** Why a period holds no time, or undefined when it holds some. */
function emptyPeriod(request: Pick<ReportRequest, "from" | "to">, { lo, hi, first_us, last_us }: PeriodRow): string | undefined {
  if (lo < hi) return undefined;
  const start = request.from ?? `${snapshotTime(first_us as Micros)} (the archive's first snapshot)`;
  const end = request.to ?? `${formatDay(last_us as Micros)} (the archive's last day)`;
  return `the period is empty: it starts on ${start}, after it ends on ${end}`;
}

/**
 * The coverage of the period `request` asks for, through any DuckDB holding the archive's tables; throws a
 * PeriodError when the period is empty (it starts after it ends, the archive's bounds standing in for a day not
 * given), before any report is run. What was counted before the first snapshot, which reads the period's runs as its
 * report does, goes through `runs` (the site's memo of a period's queries, loaders/site/query-memo.ts). The archive's
 * `cadence` is read when not given: the site's build reads it once for all its periods.
 */
export async function periodCoverage(
  db: Connector,
  request: ReportRequest,
  knownIssues: readonly KnownIssue[],
  runs: Connector = db,
  cadence?: SnapshotCadence,
): Promise<Coverage> {
  if (request.mode === "compat") {
    const others = await db.query<{ source: string }>("SELECT DISTINCT source FROM spans WHERE source <> 'nomad' ORDER BY source");
    if (others.length > 0) {
      const sources = others.map((row) => row.source).join(" and ");
      throw new PeriodError(
        `compat mode reproduces upstream usage_stats.py, on Nomad snapshots only; this archive holds ${sources} records: use the exact mode`,
      );
    }
  }
  const [row] = await db.query<PeriodRow>(periodRowSql(request));
  if (!row || row.first_us === null || row.last_us === null) throw new PeriodError("the archive has no snapshot");
  const empty = emptyPeriod(request, row);
  if (empty) throw new PeriodError(empty);
  const { lo, hi, first_us: first, last_us: last } = row;
  const { gap_hours: gapHours, gaps } = cadence ?? (await snapshotCadence(db));
  const [before] = (await runs.query<RecordedHours>(beforeFirstSnapshotSql(request))) as [RecordedHours];
  const from = formatDay(lo);
  const to = formatDay(hi - MICROS_PER_DAY);
  return {
    from,
    to,
    days: (hi - lo) / MICROS_PER_DAY,
    covered_days: Math.max(0, Math.min(hi, last) - Math.max(lo, first)) / MICROS_PER_DAY,
    first_snapshot: snapshotTime(first),
    last_snapshot: snapshotTime(last),
    provisional: hi > last,
    before_first_snapshot: before,
    gap_hours: gapHours,
    gaps: gapsWithin(gaps, { start: lo, end: hi }),
    known_issues: knownIssues.filter((issue) => issue.from <= to && issue.to >= from),
  };
}

const oneDecimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function dayCount(days: number): string {
  return `${oneDecimal.format(days)} ${days === 1 ? "day" : "days"}`;
}

function snapshotLabel(instant: string): string {
  return `${instant.slice(0, 10)} ${instant.slice(11, 16)} UTC`;
}

/**
 * What the archive's records are called in the coverage: Nomad's `snapshots` (an archive of snapshots alone), or
 * `records` (batch dumps and accounting files, with or without snapshots).
 */
export type CoverageRecords = "snapshots" | "records";

/**
 * The coverage in sentences for people, the same in the terminal and on the site: how much of the period the
 * snapshots (or records) span, whether it is provisional, what was counted before the first of them, gaps and known
 * issues.
 */
export function coverageSentences(coverage: Coverage, records: CoverageRecords = "snapshots"): string[] {
  const one = records === "snapshots" ? "snapshot" : "record";
  const sentences = [
    `${records === "snapshots" ? "Snapshots" : "Records"} cover ${dayCount(coverage.covered_days)} of the period's ${dayCount(coverage.days)}: the archive runs from ${snapshotLabel(coverage.first_snapshot)} to ${snapshotLabel(coverage.last_snapshot)}.`,
  ];
  if (coverage.provisional) sentences.push(`Provisional: the period ends after the newest ${one}, so its numbers will grow as ${records} arrive.`);
  const before = coverage.before_first_snapshot;
  const [cpu, gpu] = [before.cpu_num_hours ?? 0, before.gpu_num_hours ?? 0];
  if (cpu > 0 || gpu > 0) {
    const parts = [`${whole.format(cpu)} CPU core-hours`];
    if (gpu > 0) parts.push(`${whole.format(gpu)} GPU-hours`);
    sentences.push(`Of these numbers, ${parts.join(" and ")} were used before the first ${one}, by jobs already running when the archive starts.`);
  }
  if (coverage.gaps.length) {
    const hours = coverage.gaps.reduce((sum, gap) => sum + gap.hours, 0);
    const longest = coverage.gaps.reduce((found, gap) => (gap.hours > found.hours ? gap : found));
    sentences.push(
      `${coverage.gaps.length} ${coverage.gaps.length === 1 ? "gap" : "gaps"} without a snapshot for more than ${oneDecimal.format(coverage.gap_hours)} h (${oneDecimal.format(hours)} h in all; the longest ${oneDecimal.format(longest.hours)} h from ${snapshotLabel(longest.start)}): jobs that started and ended inside a gap are missing.`,
    );
  }
  for (const issue of coverage.known_issues)
    sentences.push(`Known issue, ${issue.from === issue.to ? issue.from : `${issue.from} to ${issue.to}`}: ${issue.title}.`);
  return sentences;
}
