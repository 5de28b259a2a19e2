import { RESOURCES, type Resource } from "../model/resources.js";
import { isoInstantSql, SNAPSHOT_TIMES } from "./sql.js";
import { MICROS_PER_DAY } from "../model/time.js";

/** A namespace's mean allocation over one UTC day: each resource × its time allocated in the day / 24 h. */
export type DailyUsage = { namespace: string; day: string } & Record<Resource, number>;

/** Jobs a snapshot listed as running and queued in a namespace; `time` is `YYYY-MM-DDTHH:MM:SSZ`. */
export interface SnapshotJobs {
  time: string;
  namespace: string;
  running: number;
  queued: number;
}

/**
 * Every day from the first snapshot's day to the last snapshot's day, for every namespace of the archive:
 * the exact mean of each resource, from the intervals split at midnight UTC (the segments of exact mode).
 */
export function dailyUsageSql(): string {
  const day = MICROS_PER_DAY;
  const means = RESOURCES.map((name) => `fsum("${name}"::DOUBLE * us) / ${day} AS "${name}"`).join(", ");
  const zeros = RESOURCES.map((name) => `coalesce(p."${name}", 0) AS "${name}"`).join(", ");
  return `WITH ${SNAPSHOT_TIMES},
span AS (SELECT min(t) // ${day} AS first_day, max(t) // ${day} AS last_day FROM times),
days AS (SELECT unnest(range(first_day, last_day + 1)) AS d FROM span),
namespaces AS (SELECT DISTINCT namespace FROM snapshots),
consumed AS (
  SELECT *, epoch_us(start_time) AS s, epoch_us(end_time) AS e FROM intervals WHERE end_time > start_time
),
pieces AS (SELECT *, unnest(range(s // ${day}, (e - 1) // ${day} + 1)) AS d FROM consumed),
per_day AS (
  SELECT namespace, d, ${means}
  FROM (SELECT *, least(e, (d + 1) * ${day}) - greatest(s, d * ${day}) AS us FROM pieces)
  GROUP BY namespace, d
)
SELECT n.namespace, strftime(make_timestamp(days.d * ${day}), '%Y-%m-%d') AS day, ${zeros}
FROM days CROSS JOIN namespaces n LEFT JOIN per_day p ON p.namespace = n.namespace AND p.d = days.d
ORDER BY days.d, n.namespace`;
}

/** Running and queued jobs of every snapshot and namespace, in time order. */
export function snapshotJobsSql(): string {
  return `SELECT ${isoInstantSql("epoch_us(time)")} AS time, namespace, running, queued
FROM snapshots ORDER BY epoch_us(snapshots.time), namespace`;
}

/** Running and queued jobs per namespace in the archive's last snapshot. */
export function lastSnapshotJobsSql(): string {
  return `SELECT ${isoInstantSql("epoch_us(time)")} AS time, namespace, running, queued
FROM snapshots WHERE epoch_us(time) = (SELECT max(epoch_us(time)) FROM snapshots) ORDER BY namespace`;
}
