import { RESOURCES } from "../model/resources.js";
import { SNAPSHOT_TIMES, sqlString, type Connector } from "./sql.js";
import { formatDay, MICROS_PER_DAY, MICROS_PER_HOUR, parseDay, type Micros } from "../model/time.js";

/**
 * `exact` clips every segment to [FROM 00:00, TO+1 00:00) UTC, so adjacent periods add up;
 * `compat` reproduces upstream usage_stats.py, which stops at the last snapshot inside the period.
 */
export const MODES = ["exact", "compat"] as const;
export type Mode = (typeof MODES)[number];

/** One sentence per mode, for people, in the CLI and on the site. */
export const MODE_DESCRIPTIONS: Record<Mode, string> = {
  exact: "usage clipped to the period's days (UTC), so adjacent periods add up.",
  compat: "upstream usage_stats.py's numbers, which stop at the period's last snapshot.",
};

export const HOUR_METRICS = RESOURCES.map((name) => `${name}_hours` as const);
export const METRICS = [...HOUR_METRICS, "jobs", "users"] as const;
export type Metric = (typeof METRICS)[number];
/** Resource-hours are null where the account's records do not hold the resource (disk outside Nomad…): never 0 for unknown. */
export type Usage = Record<(typeof HOUR_METRICS)[number], number | null> & { jobs: number; users: number };

export interface ReportRequest {
  /** First day, `YYYY-MM-DD`; the first snapshot's time when absent. */
  from?: string;
  /** Last day included, `YYYY-MM-DD`; the last snapshot's day when absent. */
  to?: string;
  mode: Mode;
  /** In this order; every namespace of the archive, sorted, when absent. */
  namespaces?: string[];
}

export interface Report {
  from: string;
  to: string;
  mode: Mode;
  namespaces: Record<string, Usage>;
  total: Usage;
}

/** One row of the report query: an account, or the total where account is null. */
export interface ReportRow extends Usage {
  account: string | null;
  period_start: Micros;
  period_end: Micros;
}

function dayMicros(day: string): Micros {
  const time = parseDay(day);
  if (time === undefined) throw new RangeError(`not a day: ${day}`);
  return time;
}

/** The accounts requested, in order: every account of every source, sorted, when none are named. */
function selectedAccounts(accounts: string[] | undefined): string {
  if (!accounts) return "SELECT row_number() OVER (ORDER BY account) AS position, account FROM (SELECT DISTINCT account FROM accounts)";
  if (accounts.length === 0) return "SELECT 1 AS position, NULL::VARCHAR AS account WHERE false";
  return `SELECT * FROM (VALUES ${accounts.map((name, i) => `(${i + 1}, ${sqlString(name)})`).join(", ")}) AS t(position, account)`;
}

/** A job, told apart from the jobs of other clusters and sources, whose ids may be the same. */
export const JOB = "source || chr(0) || cluster || chr(0) || job_id";

/** Each resource × the microseconds in `time`, summed, as resource-hours. */
export function hoursSql(time = "us"): string {
  return RESOURCES.map((name) => `fsum("${name}"::DOUBLE * ${time}) / ${MICROS_PER_HOUR} AS "${name}_hours"`).join(",\n    ");
}

/**
 * CTEs `times(t)`, every snapshot time in µs, and `period(lo, hi, first_us, last_us)`: the period requested as
 * `[lo, hi)` in µs (from the first snapshot's time and to the end of the last snapshot's day by default), and the
 * archive's first and last snapshot.
 */
export function periodSql(request: Pick<ReportRequest, "from" | "to">): string {
  const from = request.from === undefined ? "first_us" : String(dayMicros(request.from));
  const to = request.to === undefined ? `(last_us // ${MICROS_PER_DAY} + 1) * ${MICROS_PER_DAY}` : String(dayMicros(request.to) + MICROS_PER_DAY);
  return `${SNAPSHOT_TIMES},
period AS (
  SELECT ${from} AS lo, ${to} AS hi, first_us, last_us
  FROM (SELECT epoch_us(min(first_time)) AS first_us, epoch_us(max(last_time)) AS last_us FROM spans)
)`;
}

/**
 * How a breakdown cuts its period into bins (breakdown.ts): SQL expressions of the number of the bin holding an
 * instant (µs), and of the first instant of a bin (by its number).
 */
export interface Binning {
  of(micros: string): string;
  start(bin: string): string;
}

/**
 * The period's bounds, the namespaces requested, and `counted`: the intervals that count in the period, each with
 * the microseconds `us` it consumed inside it, of which `before_us` before the archive's first snapshot. With a
 * binning, `bounds` holds a row per bin `b` of the period (clipped to it) and `counted` a row per interval and bin
 * it counts in, each bin counting as a period of its own; without, bin 0 is the whole period.
 */
export function countedSql(request: ReportRequest, binning?: Binning): string {
  const upTo = request.mode === "exact" ? "hi" : "coalesce(sl, lo)";
  const bins = binning
    ? `SELECT b, greatest(lo, ${binning.start("b")}) AS lo, least(hi, ${binning.start("b + 1")}) AS hi, first_us
  FROM (SELECT *, unnest(range(${binning.of("lo")}, ${binning.of("hi - 1")} + 1)) AS b FROM period WHERE lo < hi)`
    : "SELECT 0 AS b, lo, hi, first_us FROM period";
  // A run counts in the bins its time or its snapshots overlap, no other.
  const inBins = binning
    ? `JOIN bounds ON bounds.b BETWEEN ${binning.of("least(epoch_us(i.start_time), epoch_us(i.first_snapshot))")} AND ${binning.of("greatest(epoch_us(i.end_time), epoch_us(i.last_snapshot))")}`
    : ", bounds";
  return `${periodSql(request)},
bins AS (${bins}),
bounds AS (
  SELECT b, lo, hi, first_us, min(t) AS sf, max(t) AS sl
  FROM bins LEFT JOIN times ON t >= lo AND t < hi
  GROUP BY b, lo, hi, first_us
),
selected AS (${selectedAccounts(request.namespaces)}),
clipped AS (
  SELECT i.*, bounds.b,
    greatest(0, least(epoch_us(end_time), ${upTo}) - greatest(epoch_us(start_time), lo)) AS us,
    greatest(0, least(epoch_us(end_time), ${upTo}, first_us) - greatest(epoch_us(start_time), lo)) AS before_us,
    sf IS NOT NULL AND epoch_us(first_snapshot) <= sl AND epoch_us(last_snapshot) >= sf AS seen
  FROM intervals i ${inBins}
  WHERE i.account IN (SELECT account FROM selected)
),
counted AS (SELECT * FROM clipped WHERE us > 0 OR seen)`;
}

/**
 * The table `recorded_resources(source, cluster, account, <resource>…)`: for each account, whether any of its runs
 * holds each resource (a boolean per resource). Made from the whole archive's intervals when the archive is loaded
 * (loaders/ingest/load.ts) and shipped whole to the site, which loads the intervals of the months a page shows only:
 * whether a resource is recorded does not depend on the period.
 */
export const RECORDED_RESOURCES_SQL = `SELECT source, cluster, account, ${RESOURCES.map((name) => `bool_or("${name}" IS NOT NULL) AS "${name}"`).join(", ")}
FROM intervals GROUP BY source, cluster, account ORDER BY source, cluster, account`;

/**
 * CTEs `recorded(account, <resource>_hours…)`: whether each account's runs hold each resource; for an account with
 * no run, whether its cluster's runs do. From the table `recorded_resources` (RECORDED_RESOURCES_SQL).
 */
export function recordedSql(): string {
  const recorded = (alias: string) => RESOURCES.map((name) => `bool_or(${alias}."${name}") AS "${name}_hours"`).join(", ");
  const eitherRecorded = HOUR_METRICS.map((name) => `coalesce(o."${name}", c."${name}") AS "${name}"`).join(", ");
  return `recorded_own AS (SELECT account, ${recorded("r")} FROM recorded_resources r GROUP BY account),
recorded_cluster AS (
  SELECT a.account, ${recorded("r")}
  FROM accounts a JOIN recorded_resources r ON r.source = a.source AND r.cluster = a.cluster
  GROUP BY a.account
),
recorded AS (SELECT c.account, ${eitherRecorded} FROM recorded_cluster c LEFT JOIN recorded_own o ON o.account = c.account)`;
}

/**
 * The accounting of a period, from the `intervals`, `accounts` and `spans` tables alone: a row per account
 * requested, then the total. The same SQL runs in DuckDB at build time and in DuckDB-WASM in the browser. A
 * resource's hours are null for an account none of whose runs holds it (an account with no run at all: none of its
 * cluster's runs), 0 for one that holds it but used none in the period.
 */
export function reportSql(request: ReportRequest): string {
  const zeroHours = HOUR_METRICS.map((name) => `CASE WHEN r."${name}" THEN coalesce(p."${name}", 0) END AS "${name}"`).join(", ");
  const totalHours = HOUR_METRICS.map((name) => `fsum("${name}") AS "${name}"`).join(", ");
  return `WITH ${countedSql(request)},
per_account AS (
  SELECT account,
    ${hoursSql()},
    count(DISTINCT ${JOB})::INTEGER AS jobs,
    count(DISTINCT owner)::INTEGER AS users
  FROM counted GROUP BY account
),
${recordedSql()},
rows AS (
  SELECT s.position, s.account, ${zeroHours}, coalesce(p.jobs, 0) AS jobs, coalesce(p.users, 0) AS users
  FROM selected s LEFT JOIN per_account p ON p.account = s.account LEFT JOIN recorded r ON r.account = s.account
)
SELECT account, ${HOUR_METRICS.map((name) => `"${name}"`).join(", ")}, jobs, users, lo AS period_start, hi AS period_end
FROM (
  SELECT position, account, ${HOUR_METRICS.map((name) => `"${name}"`).join(", ")}, jobs, users FROM rows
  UNION ALL
  SELECT NULL, NULL, ${totalHours}, coalesce(sum(jobs), 0)::INTEGER, (SELECT count(DISTINCT owner)::INTEGER FROM counted) FROM rows
), bounds
ORDER BY position NULLS LAST`;
}

/** Resource-hours consumed, unrounded. */
export type Hours = Record<(typeof HOUR_METRICS)[number], number>;
/** Resource-hours, null for a resource the records do not hold. */
export type RecordedHours = Record<(typeof HOUR_METRICS)[number], number | null>;

/**
 * What the period's report counts before the archive's first snapshot, all namespaces requested together: the
 * usage of jobs already running when the archive starts (their `alloc_start` is earlier). Zero unless the period
 * starts before the first snapshot; null for a resource none of the namespaces' records holds, as in the report's total.
 */
export function beforeFirstSnapshotSql(request: ReportRequest): string {
  const hours = HOUR_METRICS.map(
    (name) => `CASE WHEN (SELECT bool_or(r."${name}") FROM selected s JOIN recorded r ON r.account = s.account) THEN coalesce("${name}", 0) END AS "${name}"`,
  ).join(",\n  ");
  return `WITH ${countedSql(request)},
${recordedSql()}
SELECT ${hours}
FROM (SELECT ${hoursSql("before_us")} FROM counted)`;
}

/** What one job consumed in a period, whose it is (as OwnerUsage says) and what: its kind, and its title in a private build. */
export type JobUsage = { account: string; kind: string | null; title: string | null; pseudonym: string; name: string | null } & Hours;

/** The period's usage per job that counts in it, most CPU-hours first, at most `limit` jobs; also needs `jobs` and `users`. */
export function jobUsageSql(request: ReportRequest, limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`not a number of jobs: ${limit}`);
  return `WITH ${countedSql(request)}
SELECT c.account, j.kind, j.title, min(u.pseudonym) AS pseudonym, min(u.name) AS name,
  ${hoursSql()}
FROM counted c
  LEFT JOIN jobs j ON j.source = c.source AND j.cluster = c.cluster AND j.account = c.account AND j.job_id = c.job_id
  LEFT JOIN users u ON u.owner = c.owner
GROUP BY c.source, c.cluster, c.account, c.job_id, j.kind, j.title
ORDER BY cpu_num_hours DESC, gpu_num_hours DESC, c.account, min(c.start_time), pseudonym
LIMIT ${limit}`;
}

/** What one owner's jobs consumed in a period: who (a pseudonym; name and email in a private build), where, how much. */
export type OwnerUsage = { pseudonym: string; name: string | null; email: string | null; accounts: string; jobs: number } & Hours;

/** The period's usage per owner who counts in it (as `reportSql` counts users), most CPU-hours first; also needs `users`. */
export function ownerUsageSql(request: ReportRequest): string {
  return `WITH ${countedSql(request)}
SELECT u.pseudonym, u.name, u.email, string_agg(DISTINCT c.account, ', ' ORDER BY c.account) AS accounts,
  ${hoursSql()},
  count(DISTINCT ${JOB})::INTEGER AS jobs
FROM counted c LEFT JOIN users u ON u.owner = c.owner
GROUP BY c.owner, u.pseudonym, u.name, u.email
ORDER BY cpu_num_hours DESC, u.pseudonym`;
}

function usageOf(row: ReportRow): Usage {
  return Object.fromEntries(METRICS.map((metric) => [metric, row[metric] === null ? null : Number(row[metric])])) as Usage;
}

/** The report of the rows `reportSql` returned. */
export function reportOf(request: ReportRequest, rows: ReportRow[]): Report {
  const total = rows.find((row) => row.account === null);
  if (!total) throw new Error("the report query returned no total");
  return {
    from: formatDay(Number(total.period_start)),
    to: formatDay(Number(total.period_end) - MICROS_PER_DAY),
    mode: request.mode,
    namespaces: Object.fromEntries(rows.filter((row) => row.account !== null).map((row) => [row.account, usageOf(row)])),
    total: usageOf(total),
  };
}

/** The accounting of a period through any DuckDB holding the archive's tables: the CLI's, the build's, the browser's. */
export async function runReport(db: Connector, request: ReportRequest): Promise<Report> {
  return reportOf(request, await db.query<ReportRow>(reportSql(request)));
}
