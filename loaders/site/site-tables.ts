/**
 * The site's own copy of the tables: only the tables and columns its pages query, in types that compress. The
 * browser downloads these, not the documented tables of `accounting ingest --out` (loaders/schema.ts), and runs
 * the same SQL on them (loaders/report.ts, usage.ts, quality.ts): every column keeps its name and meaning.
 *
 * - `intervals` without `alloc_id`; `job_id` and `owner` are small integers, the same for the same job (source,
 *   cluster, account and id) or owner: the pages only count distinct ones. Owners are numbered in the order of their
 *   keyed pseudonyms, so the numbers say nothing of the ids without the key.
 * - `accounts` and `spans` as they are: every account, what the records cover.
 * - `snapshots` without `file` and the counts no page shows.
 * - `problems` without `detail`, in any build: the Data quality page lists each problem with its reason, which holds
 *   nothing read from the archive; a detail may quote a file or a field's value (an owner id, an email).
 * - `users` of the owners in `intervals`, numbered as there: keyed pseudonyms, and names and emails only in a
 *   private build.
 * - `jobs` of `intervals`, numbered as there: what breakdowns group by (kind, docker image, datacenter, queue, QOS),
 *   the submit time (for wait times), and title only in a private build.
 *
 * Rows keep the order of the tables the CLI queries: `fsum` adds in scan order, and the same order gives the same
 * bits.
 */

interface SiteTable {
  name: "intervals" | "snapshots" | "problems" | "users" | "jobs" | "accounts" | "spans";
  /** A query over the documented tables of an AccountingDatabase. */
  sql: string;
}

export const SITE_TABLES: readonly SiteTable[] = [
  {
    name: "intervals",
    sql: `SELECT i.source, i.cluster, i.account,
  dense_rank() OVER (ORDER BY i.source, i.cluster, i.account, i.job_id)::INTEGER AS job_id,
  dense_rank() OVER (ORDER BY u.pseudonym, i.owner)::INTEGER AS owner,
  i.start_time, i.end_time, i.first_snapshot, i.last_snapshot, i.cpu_num, i.cpu_MHz, i.gpu_num, i.memory_MB, i.disk_MB
FROM intervals i LEFT JOIN users u ON u.owner = i.owner
ORDER BY i.rowid`,
  },
  { name: "snapshots", sql: "SELECT time, account, running, queued FROM snapshots ORDER BY rowid" },
  { name: "problems", sql: "SELECT file, line, account, job, reason FROM problems ORDER BY rowid" },
  { name: "accounts", sql: "SELECT source, cluster, account FROM accounts ORDER BY rowid" },
  { name: "spans", sql: "SELECT source, cluster, first_time, last_time FROM spans ORDER BY rowid" },
  {
    name: "users",
    sql: `SELECT dense_rank() OVER (ORDER BY pseudonym, owner)::INTEGER AS owner, pseudonym, name, email
FROM users WHERE owner IN (SELECT owner FROM intervals)
ORDER BY owner`,
  },
  {
    name: "jobs",
    sql: `SELECT dense_rank() OVER (ORDER BY source, cluster, account, job_id)::INTEGER AS job_id, source, cluster, account, kind, title,
  docker_image, datacenter, queue, qos, unix_group, node_names, submit_time
FROM jobs j
WHERE EXISTS (SELECT 1 FROM intervals i WHERE i.source = j.source AND i.cluster = j.cluster AND i.account = j.account AND i.job_id = j.job_id)
ORDER BY job_id`,
  },
];
