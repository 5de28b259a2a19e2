import { rowsCsv } from "../model/csv.js";
import { formatDay, MICROS_PER_DAY, type Micros } from "../model/time.js";
import type { Connector } from "./sql.js";
import { countedSql, HOUR_METRICS, hoursSql, JOB, METRICS, recordedSql, type Binning, type Mode, type ReportRequest, type Usage } from "./report.js";

/**
 * Breakdowns: a period's usage grouped by what describes a job or a run, as `accounting report --by` prints it and
 * the site draws it. The same intervals count as in the report (report.ts's `countedSql`), so that the groups of
 * any dimension add up to the report's total, and the bins of a period to the period.
 */

/**
 * What usage can be grouped by, and where each comes from:
 * - `account`, `user` (the owner; a pseudonym on a public site), `cluster`, `source`: the intervals table;
 * - `kind`, `image` (docker image), `datacenter` (Nomad), `queue` (partition, queue), `qos` (Slurm): the jobs table;
 * - `node`: the hosts of the job (jobs' `node_names`), a run's time shared evenly between them (the records do not say
 *   how much of a job each host held), so that the hosts' hours add up to the job's;
 * - `cores`, `gpus`: the run's cores or GPUs, bucketed as JOB_SIZES says.
 */
export const DIMENSIONS = ["account", "user", "cluster", "source", "kind", "image", "datacenter", "queue", "qos", "node", "cores", "gpus"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * How a breakdown's period is cut: into UTC days, ISO weeks (from Monday), calendar months, quarters or years. A bin
 * is clipped to the period at its ends, and splits each run's time at its edges as the exact mode splits it at the
 * period's: the bins of a period add up to the period.
 */
export const BINS = ["day", "week", "month", "quarter", "year"] as const;
export type Bin = (typeof BINS)[number];

/** How the `user` dimension names owners: by their id, as the records give it, or by their keyed pseudonym (users table). */
type OwnerNames = "id" | "pseudonym";

export interface BreakdownRequest extends ReportRequest {
  by: Dimension;
  /** Cut the period into bins; the whole period as one when absent. Exact mode only. */
  bin?: Bin;
  /** Keep the N groups with the most CPU-hours over the period (`least`: the fewest); the rest goes to `other`. */
  top?: number;
  least?: number;
  /** For `by: "user"`; `id` when absent. */
  owners?: OwnerNames;
}

/** A group's usage: `value` is the dimension's value, null where the records give none (a Slurm job's docker image…). */
export type BreakdownGroup = { value: string | null } & Usage;

/**
 * The usage of a period (or of one bin of it) per group. Hours add up: the groups (and `other`) to the total.
 * Jobs and users add up only where each job has one value of the dimension (not across `cores` or `gpus`, whose
 * runs of one Nomad job may differ); a user may be in several groups.
 */
export interface Breakdown {
  /** The bin's first and last day (the period's, without bins), `YYYY-MM-DD`, clipped to the period. */
  from: string;
  to: string;
  mode: Mode;
  by: Dimension;
  bin: Bin | null;
  /**
   * The groups that count in it, in order: most CPU-hours over the whole period first (with `least`, fewest first);
   * `cores` and `gpus` by size. With `top` or `least`, the groups the period's ranking keeps, in every bin.
   */
  groups: BreakdownGroup[];
  /** With `top` or `least`: what the other groups counted, null when nothing but the groups kept counts. */
  other: Usage | null;
  /** As the report's total: resource-hours null only where no account requested records the resource. */
  total: Usage;
}

/** A breakdown as `accounting report --by … --format json` writes it: `groups` keyed by value, `""` for none. */
interface BreakdownJson extends Omit<Breakdown, "groups"> {
  groups: Record<string, Usage>;
}

/** One row of the breakdown query: a group, the other groups, or the total, of bin `bin`. */
export interface BreakdownRow extends Usage {
  bin: number;
  part: "group" | "other" | "total";
  value: string | null;
  bin_start: Micros;
  bin_end: Micros;
}

/** The instant µs `x` (an SQL expression) as a TIMESTAMP, for its calendar fields (no ICU needed). */
const timestamp = (x: string) => `make_timestamp(${x})`;
/** The first instant, µs, of a calendar month. */
const monthStart = (year: string, month: string) =>
  `epoch_us(make_timestamp((${year})::BIGINT, (${month})::BIGINT, 1::BIGINT, 0::BIGINT, 0::BIGINT, 0::DOUBLE))`;

/**
 * Each bin numbered: days since 1970-01-01; ISO weeks since the one of 1969-12-29, a Monday; months, quarters and
 * years since year 0. Instants after 1970 only (every archive's): `//` truncates.
 */
export const BINNINGS: Record<Bin, Binning> = {
  day: { of: (x) => `((${x}) // ${MICROS_PER_DAY})`, start: (b) => `((${b}) * ${MICROS_PER_DAY})` },
  week: { of: (x) => `(((${x}) // ${MICROS_PER_DAY} + 3) // 7)`, start: (b) => `(((${b}) * 7 - 3) * ${MICROS_PER_DAY})` },
  month: {
    of: (x) => `(year(${timestamp(x)}) * 12 + month(${timestamp(x)}) - 1)`,
    start: (b) => monthStart(`(${b}) // 12`, `(${b}) % 12 + 1`),
  },
  quarter: {
    of: (x) => `(year(${timestamp(x)}) * 4 + (month(${timestamp(x)}) - 1) // 3)`,
    start: (b) => monthStart(`(${b}) // 4`, `(${b}) % 4 * 3 + 1`),
  },
  year: { of: (x) => `year(${timestamp(x)})`, start: (b) => monthStart(b, "1") },
};

/**
 * The bucket of a run's cores or GPUs, as sreport's job-size reports group them but by powers of two: 0, 1, 2, then
 * (2^(k-1), 2^k]: `3-4`, `5-8`, `9-16`…; null where the record does not tell.
 */
function sizeSql(amount: string): string {
  const upper = `power(2, ceil(log2(${amount})))`;
  return `CASE WHEN ${amount} IS NULL THEN NULL WHEN ${amount} <= 2 THEN ceil(greatest(${amount}, 0))::BIGINT::VARCHAR
  ELSE (${upper} / 2 + 1)::BIGINT::VARCHAR || '-' || ${upper}::BIGINT::VARCHAR END`;
}

/** What each dimension's value is, from a counted run `c`, its job `j` and its owner `u`. */
const VALUES: Record<Dimension, string> = {
  account: "c.account",
  user: "c.owner::VARCHAR",
  cluster: "c.cluster",
  source: "c.source",
  kind: "j.kind",
  image: "j.docker_image",
  datacenter: "j.datacenter",
  queue: "j.queue",
  qos: "j.qos",
  node: "c.host",
  cores: sizeSql("c.cpu_num"),
  gpus: sizeSql("c.gpu_num"),
};

const JOB_DIMENSIONS: readonly Dimension[] = ["kind", "image", "datacenter", "queue", "qos"];
const SIZES: Partial<Record<Dimension, string>> = { cores: "c.cpu_num", gpus: "c.gpu_num" };

/**
 * The counted runs once per host of their job (once with host null where the job names none), each with its share of
 * the run's time: `us` divided by the hosts.
 */
const HOSTS = `(
  SELECT c.* REPLACE (c.us / coalesce(len(c.hosts), 1) AS us), unnest(coalesce(c.hosts, [NULL::VARCHAR])) AS host
  FROM (
    SELECT c.*, string_split(j.node_names, ',') AS hosts
    FROM counted c LEFT JOIN jobs j ON j.source = c.source AND j.cluster = c.cluster AND j.account = c.account AND j.job_id = c.job_id
  ) c
) c`;

function limitOf(request: BreakdownRequest): number | undefined {
  if (request.top !== undefined && request.least !== undefined) throw new RangeError("a breakdown keeps the top or the least groups, not both");
  const limit = request.top ?? request.least;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) throw new RangeError(`not a number of groups: ${limit}`);
  return limit;
}

/**
 * The breakdown of a period, from the `intervals`, `jobs`, `users`, `accounts`, `spans` and `snapshots` tables: a
 * row per group, for the other groups (with `top` or `least`) and for the total, per bin (bin 0 without bins); the
 * same SQL in DuckDB and DuckDB-WASM. A group's resource-hours are null where none of the runs it counts records
 * the resource (Slurm's disk…). Bins need the exact mode: compat stops each period at its last snapshot, so its
 * bins would not add up to the period.
 */
export function breakdownSql(request: BreakdownRequest): string {
  if (request.bin !== undefined && request.mode !== "exact") throw new RangeError("bins need the exact mode");
  const limit = limitOf(request);
  const by = request.by;
  const value = by === "user" && request.owners === "pseudonym" ? "u.pseudonym" : VALUES[by];
  const joins = [
    JOB_DIMENSIONS.includes(by) ? "LEFT JOIN jobs j ON j.source = c.source AND j.cluster = c.cluster AND j.account = c.account AND j.job_id = c.job_id" : "",
    by === "user" && request.owners === "pseudonym" ? "LEFT JOIN users u ON u.owner = c.owner" : "",
  ].join(" ");
  const direction = request.least === undefined ? "DESC" : "ASC";
  const size = SIZES[by];
  const placeOrder = size ? "size NULLS LAST, value" : `cpu ${direction}, gpu ${direction}, value NULLS LAST`;
  const kept = limit === undefined ? "true" : `ranking <= ${limit}`;
  const usage = `${hoursSql()},
    count(DISTINCT ${JOB})::INTEGER AS jobs,
    count(DISTINCT owner)::INTEGER AS users`;
  const totalHours = HOUR_METRICS.map((name) => `CASE WHEN r."${name}" THEN coalesce(t."${name}", 0) END AS "${name}"`).join(", ");
  const recordedTotal = HOUR_METRICS.map((name) => `bool_or(r."${name}") AS "${name}"`).join(", ");
  const columns = `${HOUR_METRICS.map((name) => `"${name}"`).join(", ")}, jobs, users`;
  return `WITH ${countedSql(request, request.bin && BINNINGS[request.bin])},
${recordedSql()},
total_recorded AS (SELECT ${recordedTotal} FROM selected s LEFT JOIN recorded r ON r.account = s.account),
keyed AS (SELECT c.*, nullif(${value}, '') AS value${size ? `, ${size} AS size` : ""} FROM ${by === "node" ? HOSTS : "counted c"} ${joins}),
ranked AS (
  SELECT value, row_number() OVER (ORDER BY cpu ${direction}, gpu ${direction}, value NULLS LAST) AS ranking,
    row_number() OVER (ORDER BY ${placeOrder}) AS place
  FROM (
    SELECT value, coalesce(fsum(cpu_num::DOUBLE * us), 0) AS cpu, coalesce(fsum(gpu_num::DOUBLE * us), 0) AS gpu${size ? ", min(size) AS size" : ""}
    FROM keyed GROUP BY value
  )
),
placed AS (SELECT k.*, r.place, ${kept} AS kept FROM keyed k JOIN ranked r ON r.value IS NOT DISTINCT FROM k.value),
parts AS (
  SELECT b AS bin, 'group' AS part, min(place) AS place, value, ${usage} FROM placed WHERE kept GROUP BY b, value
  UNION ALL
  SELECT b, 'other', NULL, NULL, ${usage} FROM placed WHERE NOT kept GROUP BY b
  UNION ALL
  SELECT bounds.b, 'total', NULL, NULL, ${totalHours}, coalesce(t.jobs, 0), coalesce(t.users, 0)
  FROM bounds CROSS JOIN total_recorded r LEFT JOIN (SELECT b, ${usage} FROM keyed GROUP BY b) t ON t.b = bounds.b
)
SELECT parts.bin, part, value, ${columns}, bounds.lo AS bin_start, bounds.hi AS bin_end
FROM parts JOIN bounds ON bounds.b = parts.bin
ORDER BY parts.bin, CASE part WHEN 'group' THEN 0 WHEN 'other' THEN 1 ELSE 2 END, place`;
}

function usageOf(row: BreakdownRow): Usage {
  return Object.fromEntries(METRICS.map((metric) => [metric, row[metric] === null ? null : Number(row[metric])])) as Usage;
}

/** The breakdowns of the rows `breakdownSql` returned: one per bin, in time order; one without bins. */
export function breakdownsOf(request: BreakdownRequest, rows: BreakdownRow[]): Breakdown[] {
  const breakdowns: Breakdown[] = [];
  let groups: BreakdownGroup[] = [];
  let other: Usage | null = null;
  for (const row of rows) {
    if (row.part === "group") groups.push({ value: row.value, ...usageOf(row) });
    else if (row.part === "other") other = usageOf(row);
    else {
      breakdowns.push({
        from: formatDay(Number(row.bin_start)),
        to: formatDay(Number(row.bin_end) - MICROS_PER_DAY),
        mode: request.mode,
        by: request.by,
        bin: request.bin ?? null,
        groups,
        other,
        total: usageOf(row),
      });
      groups = [];
      other = null;
    }
  }
  return breakdowns;
}

/** The breakdowns of a period through any DuckDB holding the archive's tables: one per bin, one without bins. */
export async function runBreakdown(db: Connector, request: BreakdownRequest): Promise<Breakdown[]> {
  return breakdownsOf(request, await db.query<BreakdownRow>(breakdownSql(request)));
}

/** A breakdown in the JSON of `accounting report --by`: groups keyed by their value, `""` for none (no value is empty). */
export function breakdownJson(breakdown: Breakdown): BreakdownJson {
  const { from, to, mode, by, bin, other, total } = breakdown;
  const groups = Object.fromEntries(breakdown.groups.map(({ value, ...usage }) => [value ?? "", usage]));
  return { from, to, mode, by, bin, groups, other, total };
}

/**
 * Breakdowns as CSV, hours unrounded: a row per group, then `other` (with top or least), then the total, for each
 * bin. `row` tells them apart (`group`, `other`, `total`); the dimension's column is empty for them and for a group
 * with no value.
 */
export function breakdownCsv(breakdowns: readonly Breakdown[], by: Dimension): string {
  const rows = breakdowns.flatMap(({ from, to, groups, other, total }) => [
    ...groups.map(({ value, ...usage }) => ({ from, to, row: "group", [by]: value, ...usage })),
    ...(other ? [{ from, to, row: "other", [by]: null, ...other }] : []),
    { from, to, row: "total", [by]: null, ...total },
  ]);
  return rowsCsv(rows, ["from", "to", "row", by, ...METRICS]);
}

/** Monday of the ISO week holding a day, and that week's number and year: the year of its Thursday. */
function isoWeek(day: Date): string {
  const thursday = new Date(day.getTime() + (3 - ((day.getUTCDay() + 6) % 7)) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** The name of the bin holding the day `from` (`YYYY-MM-DD`): `2024-03-01`, `2024-W09`, `2024-03`, `2024-Q1`, `2024`. */
export function binLabel(bin: Bin, from: string): string {
  const day = new Date(`${from}T00:00:00Z`);
  if (bin === "day") return from;
  if (bin === "week") return isoWeek(day);
  if (bin === "month") return from.slice(0, 7);
  if (bin === "quarter") return `${from.slice(0, 4)}-Q${Math.floor(day.getUTCMonth() / 3) + 1}`;
  return from.slice(0, 4);
}

/** The resources that some bin's total records: a table need not show the others' columns (all null). */
export function recordedResources(breakdowns: readonly Breakdown[]): (typeof HOUR_METRICS)[number][] {
  return HOUR_METRICS.filter((metric) => breakdowns.some((breakdown) => breakdown.total[metric] !== null));
}
