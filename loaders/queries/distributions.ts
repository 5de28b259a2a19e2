import { MICROS_PER_DAY, MICROS_PER_HOUR } from "../model/time.js";
import { periodSql, type ReportRequest } from "./report.js";
import { sqlString } from "./sql.js";

/**
 * How the jobs of a period are distributed: per job, how long it waited (start − submit) and ran, how many cores, GPUs
 * and how much memory it held; the same statistics for every measure; each group's mean wait and run time; and the
 * peak of cores and GPUs held at once, day by day. A job belongs to the period its run starts in (as Open XDMoD
 * attributes wait time to the period of a job's start). The same SQL runs in DuckDB and DuckDB-WASM.
 */

/** What is measured of each job. Run time is the time its runs held resources (Σ end − start of its intervals). */
export const JOB_MEASURES = ["wait_hours", "run_hours", "cores", "gpus", "memory_MB"] as const;
type JobMeasure = (typeof JOB_MEASURES)[number];

/** A period (as the report takes it) and, optionally, one account: the jobs measured. */
interface DistributionRequest extends Pick<ReportRequest, "from" | "to"> {
  account?: string;
}

/**
 * CTE `measured`: one row per job whose first run starts in the period (and of the account asked), with its
 * measures; null where its records lack one (no submit time, a resource the source does not record). The largest
 * cores, GPUs and memory any of its runs held.
 */
function measuredSql(request: DistributionRequest): string {
  const account = request.account === undefined ? "" : `AND i.account = ${sqlString(request.account)}`;
  return `${periodSql(request)},
runs AS (
  SELECT i.source, i.cluster, i.account, i.job_id, min(i.owner) AS owner,
    min(epoch_us(i.start_time)) AS first_start,
    sum(epoch_us(i.end_time) - epoch_us(i.start_time)) AS run_us,
    max(i.cpu_num) AS cores, max(i.gpu_num) AS gpus, max(i.memory_MB) AS memory_MB
  FROM intervals i WHERE true ${account}
  GROUP BY i.source, i.cluster, i.account, i.job_id
),
measured AS (
  SELECT r.source, r.cluster, r.account, r.job_id, r.owner, (SELECT u.pseudonym FROM users u WHERE u.owner = r.owner) AS pseudonym, j.queue,
    j.unix_group, j.node_names,
    CASE WHEN j.submit_time IS NOT NULL AND epoch_us(j.submit_time) <= r.first_start
      THEN (r.first_start - epoch_us(j.submit_time)) / ${MICROS_PER_HOUR} END AS wait_hours,
    r.run_us / ${MICROS_PER_HOUR} AS run_hours, r.cores, r.gpus, r.memory_MB
  FROM runs r CROSS JOIN period p
  LEFT JOIN jobs j ON j.source = r.source AND j.cluster = r.cluster AND j.account = r.account AND j.job_id = r.job_id
  WHERE r.first_start >= p.lo AND r.first_start < p.hi
)`;
}

/** Every measured job, for histograms: one row per job, its measures. */
export function jobMeasuresSql(request: DistributionRequest): string {
  return `WITH ${measuredSql(request)}
SELECT account, job_id, ${JOB_MEASURES.join(", ")} FROM measured ORDER BY source, cluster, account, job_id`;
}

/** The statistics of a measure over the jobs that have it. */
export interface MeasureSummary {
  measure: JobMeasure;
  count: number;
  min: number | null;
  median: number | null;
  mean: number | null;
  p90: number | null;
  max: number | null;
}

/**
 * Count, min, median, mean, 90th percentile and max of every measure over the jobs that have it (null when none
 * has). Percentiles are continuous (interpolated between the two jobs around them), as numpy's and pandas' defaults;
 * means are exact sums (fsum) over counts, the same bits whatever the order rows come in.
 */
export function measureSummariesSql(request: DistributionRequest): string {
  const summary = (measure: JobMeasure) =>
    `SELECT '${measure}' AS measure, count(${measure})::INTEGER AS count, min(${measure})::DOUBLE AS min,
  quantile_cont(${measure}, 0.5)::DOUBLE AS median, (fsum(${measure}) / count(${measure}))::DOUBLE AS mean,
  quantile_cont(${measure}, 0.9)::DOUBLE AS p90, max(${measure})::DOUBLE AS max FROM measured`;
  return `WITH ${measuredSql(request)}
${JOB_MEASURES.map(summary).join("\nUNION ALL\n")}`;
}

/**
 * What the mean wait and run times are grouped by: a user is named by their keyed pseudonym (the users table's), a
 * group is the Unix group; a job counts for each host it ran on.
 */
const TIME_GROUPS = { user: "pseudonym", account: "account", queue: "queue", group: "unix_group", node: "host" } as const;
type TimeGroup = keyof typeof TIME_GROUPS;

export interface GroupTimes {
  group: string | null;
  jobs: number;
  mean_wait_hours: number | null;
  mean_run_hours: number;
}

/** Each group's jobs, mean wait (over the jobs with a submit time) and mean run time, most jobs first. */
export function groupTimesSql(request: DistributionRequest, by: TimeGroup): string {
  const column = TIME_GROUPS[by];
  return `WITH ${measuredSql(request)}
SELECT ${column} AS "group", count(*)::INTEGER AS jobs, (fsum(wait_hours) / count(wait_hours))::DOUBLE AS mean_wait_hours, (fsum(run_hours) / count(*))::DOUBLE AS mean_run_hours
FROM ${by === "node" ? "(SELECT *, unnest(coalesce(string_split(node_names, ','), [NULL::VARCHAR])) AS host FROM measured)" : "measured"}
GROUP BY ${column} ORDER BY jobs DESC, "group" NULLS LAST`;
}

export interface DailyPeak {
  day: string;
  peak_cores: number;
  peak_gpus: number | null;
}

/**
 * The most cores and GPUs held at once on each day of the period (UTC), by the account asked or all: the running
 * sum of every interval's resources, +at its start and − at its end, at its highest within the day (what was held
 * when the day began counts). An interval ending when another starts does not overlap it.
 */
export function dailyPeaksSql(request: DistributionRequest): string {
  const account = request.account === undefined ? "" : `WHERE account = ${sqlString(request.account)}`;
  const day = MICROS_PER_DAY;
  return `WITH ${periodSql(request)},
events AS (
  SELECT epoch_us(start_time) AS t, cpu_num AS cores, coalesce(gpu_num, 0) AS gpus, gpu_num IS NOT NULL AS has_gpus FROM intervals ${account}
  UNION ALL
  SELECT epoch_us(end_time), -cpu_num, -coalesce(gpu_num, 0), gpu_num IS NOT NULL FROM intervals ${account}
),
steps AS (SELECT t, sum(cores) AS cores, sum(gpus) AS gpus FROM events GROUP BY t),
levels AS (
  SELECT t, sum(cores) OVER (ORDER BY t) AS cores, sum(gpus) OVER (ORDER BY t) AS gpus,
    lead(t) OVER (ORDER BY t) AS until
  FROM steps
),
days AS (SELECT unnest(range(lo // ${day}, (hi - 1) // ${day} + 1)) AS d FROM period),
held AS (
  SELECT d, max(l.cores) AS cores, max(l.gpus) AS gpus
  FROM days JOIN levels l ON l.t < (d + 1) * ${day} AND l.until > d * ${day}
  GROUP BY d
)
SELECT strftime(make_timestamp(days.d * ${day}), '%Y-%m-%d') AS day, coalesce(held.cores, 0)::DOUBLE AS peak_cores,
  CASE WHEN (SELECT bool_or(has_gpus) FROM events) THEN coalesce(held.gpus, 0)::DOUBLE END AS peak_gpus
FROM days LEFT JOIN held ON held.d = days.d ORDER BY days.d`;
}
