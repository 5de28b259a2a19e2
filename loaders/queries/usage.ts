import { RESOURCES, type Resource } from "../model/resources.js";
import { isoInstantSql } from "./sql.js";
import { MICROS_PER_DAY } from "../model/time.js";

/** An account's mean allocation over one UTC day: each resource × its time allocated in the day / 24 h. */
export type DailyUsage = { account: string; day: string } & Record<Resource, number>;

/** Jobs a Nomad snapshot listed as running and queued in a namespace (its account); `time` is `YYYY-MM-DDTHH:MM:SSZ`. */
export interface SnapshotJobs {
  time: string;
  account: string;
  running: number;
  queued: number;
}

/**
 * Every day the archive's records span (from the first day of the spans table to its last), for every account:
 * the exact mean of each resource, from the intervals split at midnight UTC (the segments of exact mode).
 */
export function dailyUsageSql(): string {
  const day = MICROS_PER_DAY;
  const means = RESOURCES.map((name) => `fsum("${name}"::DOUBLE * us) / ${day} AS "${name}"`).join(", ");
  const zeros = RESOURCES.map((name) => `coalesce(p."${name}", 0) AS "${name}"`).join(", ");
  return `WITH span AS (SELECT epoch_us(min(first_time)) // ${day} AS first_day, epoch_us(max(last_time)) // ${day} AS last_day FROM spans),
days AS (SELECT unnest(range(first_day, last_day + 1)) AS d FROM span),
accounts AS (SELECT DISTINCT account FROM accounts),
consumed AS (
  SELECT *, epoch_us(start_time) AS s, epoch_us(end_time) AS e FROM intervals WHERE end_time > start_time
),
pieces AS (SELECT *, unnest(range(s // ${day}, (e - 1) // ${day} + 1)) AS d FROM consumed),
per_day AS (
  SELECT account, d, ${means}
  FROM (SELECT *, least(e, (d + 1) * ${day}) - greatest(s, d * ${day}) AS us FROM pieces)
  GROUP BY account, d
)
SELECT a.account, strftime(make_timestamp(days.d * ${day}), '%Y-%m-%d') AS day, ${zeros}
FROM days CROSS JOIN accounts a LEFT JOIN per_day p ON p.account = a.account AND p.d = days.d
ORDER BY days.d, a.account`;
}

/** Running and queued jobs of every Nomad snapshot and namespace, in time order. */
export function snapshotJobsSql(): string {
  return `SELECT ${isoInstantSql("epoch_us(time)")} AS time, account, running, queued
FROM snapshots ORDER BY epoch_us(snapshots.time), account`;
}

/** Running and queued jobs per namespace in the archive's last Nomad snapshot. */
export function lastSnapshotJobsSql(): string {
  return `SELECT ${isoInstantSql("epoch_us(time)")} AS time, account, running, queued
FROM snapshots WHERE epoch_us(time) = (SELECT max(epoch_us(time)) FROM snapshots) ORDER BY account`;
}
