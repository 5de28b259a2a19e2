import { parseDay, MICROS_PER_DAY } from "../model/time.js";
import { hashesChecksumSql, rowChecksumSql, sqlString, type Connector } from "../queries/sql.js";
import type { ReportPeriod } from "./periods.js";

/**
 * The rows of a period's queries (report, rankings, usage before the first snapshot) kept from one build to the next,
 * so that a build after a new snapshot runs again only the queries of the periods whose rows changed. Each entry is
 * keyed by the SHA-256 of the query's SQL and of a checksum of every row the query can read (periodInputsSql), never
 * by the period's name alone.
 */
export type QueryMemo = Map<string, Record<string, unknown>[]>;

/** Where the memo is read from and what this run kept, for the next: the entries it used or made. */
export interface MemoUse {
  earlier: QueryMemo;
  kept: QueryMemo;
}

/** A run's instant as a period's queries see it: clipped to the period (NULL stays NULL), in µs. */
const clipped = (column: string, clip: "greatest" | "least", bound: "lo" | "hi") =>
  `CASE WHEN i.${column} IS NULL THEN NULL ELSE ${clip}(epoch_us(i.${column}), p.${bound}) END AS ${column}`;

/** The columns of a job the rankings group by (breakdown.ts's JOB_DIMENSIONS), with its key: not its times or state. */
const JOB_VALUES = ["source", "cluster", "account", "job_id", "kind", "docker_image", "datacenter", "queue", "qos"];

/**
 * A row per period: `name` and `inputs`, a checksum of what its report, rankings and usage before the first snapshot
 * (reportSql, breakdownSql without bins, beforeFirstSnapshotSql) read: the runs that may count in it (a superset of
 * `countedSql`'s: those whose time or snapshots overlap it, an unknown end or start counting as open; a batch record,
 * which has no snapshots, by its time alone), each with its instants clipped to the period, as the queries clip them (a
 * run going on past the period is the same run to it, however long it goes on); the values its jobs are ranked by; its
 * owners (`users`: pseudonyms, and names in a private build); the snapshot times inside it; and for every period alike
 * the accounts, which resources each records, the archive's first record (where usage before it ends) and DuckDB's
 * version. A query reading any other column of a run or a job (a job's title, a node) must not be memoized with it.
 */
function periodInputsSql(periods: readonly ReportPeriod[]): string {
  const bounds = periods.map((period) => {
    const lo = parseDay(period.from);
    const to = parseDay(period.to);
    if (lo === undefined || to === undefined) throw new RangeError(`not a period: ${period.name}`);
    return `(${sqlString(period.name)}, ${lo}, ${to + MICROS_PER_DAY})`;
  });
  const open = "9000000000000000000";
  // Each run's job and owner are hashed once, beside it, before the runs are joined with the periods; a period's jobs
  // and owners are then told apart by those hashes (distinct jobs and owners have distinct rows; a job's key is unique
  // in `jobs`, an owner in `users`, so that no run is joined twice). The runs of every period are made once for the
  // three sums that read them.
  return `WITH p(name, lo, hi) AS (VALUES ${bounds.join(", ")}),
keyed AS (
  SELECT i.*, jb.h AS job_hash, us.h AS user_hash
  FROM intervals i
    LEFT JOIN (SELECT source, cluster, account, job_id, hash(row(${JOB_VALUES.map((column) => `jb.${column}`).join(", ")})) AS h FROM jobs jb) jb
      ON jb.source = i.source AND jb.cluster = i.cluster AND jb.account = i.account AND jb.job_id = i.job_id
    LEFT JOIN (SELECT owner, hash(us) AS h FROM users us) us ON us.owner = i.owner
),
runs AS MATERIALIZED (
  SELECT name, job_hash, user_hash, row(*COLUMNS(* EXCLUDE (job_hash, user_hash))) AS run
  FROM (
    SELECT p.name, i.* REPLACE (${clipped("start_time", "greatest", "lo")}, ${clipped("end_time", "least", "hi")},
      ${clipped("first_snapshot", "greatest", "lo")}, ${clipped("last_snapshot", "least", "hi")})
    FROM p JOIN keyed i
      ON (coalesce(epoch_us(i.start_time), -${open}) < p.hi AND coalesce(epoch_us(i.end_time), ${open}) > p.lo)
      OR (epoch_us(i.first_snapshot) < p.hi AND coalesce(epoch_us(i.last_snapshot), ${open}) >= p.lo)
  )
),
r AS (SELECT name, ${rowChecksumSql("run")} AS c FROM runs GROUP BY name),
j AS (SELECT name, ${hashesChecksumSql("job_hash")} AS c FROM (SELECT DISTINCT name, job_hash FROM runs WHERE job_hash IS NOT NULL) GROUP BY name),
u AS (SELECT name, ${hashesChecksumSql("user_hash")} AS c FROM (SELECT DISTINCT name, user_hash FROM runs WHERE user_hash IS NOT NULL) GROUP BY name),
t AS (
  SELECT p.name, ${rowChecksumSql("s.t")} AS c
  FROM p JOIN (SELECT DISTINCT epoch_us(time) AS t FROM snapshots) s ON s.t >= p.lo AND s.t < p.hi
  GROUP BY p.name
),
whole AS (
  SELECT concat_ws('|', version(), (SELECT ${rowChecksumSql("a")} FROM accounts a), (SELECT ${rowChecksumSql("rr")} FROM recorded_resources rr),
    (SELECT min(epoch_us(first_time))::VARCHAR FROM spans)) AS c
)
SELECT p.name, concat_ws('|', coalesce(r.c, '0'), coalesce(j.c, '0'), coalesce(u.c, '0'), coalesce(t.c, '0'), whole.c) AS inputs
FROM p LEFT JOIN r USING (name) LEFT JOIN j USING (name) LEFT JOIN u USING (name) LEFT JOIN t USING (name), whole
ORDER BY p.name`;
}

/** Each period's input checksum, by name. */
export async function periodInputs(db: Connector, periods: readonly ReportPeriod[]): Promise<Map<string, string>> {
  if (periods.length === 0) return new Map();
  const rows = await db.query<{ name: string; inputs: string }>(periodInputsSql(periods));
  return new Map(rows.map((row) => [row.name, row.inputs]));
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Whether JSON gives the rows back as they are: no -0, NaN, infinity, date or big integer. */
function survivesJson(rows: readonly Record<string, unknown>[]): boolean {
  return rows.every((row) =>
    Object.values(row).every(
      (value) => value === null || typeof value === "string" || typeof value === "boolean" || (Number.isFinite(value) && !Object.is(value, -0)),
    ),
  );
}

/**
 * The queries of one period through `db`, answered from `memo.earlier` when the same SQL read the same rows
 * (`inputs`, the period's checksum) before; every answer is put in `memo.kept`.
 */
export function memoConnector(db: Connector, memo: MemoUse, inputs: string): Connector {
  return {
    async query<T>(sql: string): Promise<T[]> {
      const key = await sha256(`${inputs}\0${sql}`);
      const found = memo.earlier.get(key) ?? memo.kept.get(key);
      if (found) {
        memo.kept.set(key, found);
        return found as T[];
      }
      const rows = await db.query<Record<string, unknown>>(sql);
      if (survivesJson(rows)) memo.kept.set(key, rows);
      return rows as T[];
    },
  };
}
