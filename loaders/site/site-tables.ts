import { RECORDED_RESOURCES_SQL } from "../queries/report.js";
import { parseDay } from "../model/time.js";

/**
 * The site's own copy of the tables: only the tables and columns its pages query, in types that compress. The
 * browser downloads these, not the documented tables of `accounting ingest --out` (loaders/schema.ts), and runs
 * the same SQL on them (loaders/report.ts, usage.ts, quality.ts): every column keeps its name and meaning.
 *
 * - `intervals` without `alloc_id`, with `run`, its row's place among its job's runs in the CLI's table; `job_id` and
 *   `owner` are small integers, the same for the same job (source, cluster, account and id) or owner (SITE_NUMBERS):
 *   the pages only count distinct ones. Both are numbered in the order they were first seen, so that a new job or owner
 *   takes the next number and every other keeps its own, and a month's file changes only when its rows do; owners first
 *   seen together are numbered in the order of their keyed pseudonyms, so the numbers say nothing of the ids without the
 *   key.
 * - `accounts` and `spans` as they are: every account, what the records cover.
 * - `recorded_resources` as it is: which resources each account's runs record, over the whole archive.
 * - `snapshots` without `file` and the counts no page shows.
 * - `problems` without `detail`, in any build: the Data quality page lists each problem with its reason, which holds
 *   nothing read from the archive; a detail may quote a file or a field's value (an owner id, an email).
 * - `users` of the owners in `intervals`, numbered as there: keyed pseudonyms, and names and emails only in a
 *   private build.
 * - `jobs` of `intervals`, numbered as there: what breakdowns group by (kind, docker image, datacenter, queue, QOS),
 *   the submit time (for wait times), and title only in a private build.
 *
 * `intervals` and `jobs` grow with the archive's length: they are cut by month (MONTHLY_SITE_TABLES), and the browser
 * fetches the months a page shows only. The other tables are small, and fetched whole.
 *
 * Rows come in the order of the tables the CLI queries: `fsum` adds in scan order, and the same order gives the same
 * bits. The whole tables keep it; the browser puts the months' intervals in it (MonthlyTables) by `run_order`, each
 * run's place in the CLI's table, a small monthly table of its own: a new run shifts the places of the runs after it,
 * so that table changes at every build, and the months' intervals and jobs need not.
 */

/** The first instant a run of a job or owner was seen (its start, or its first snapshot), over the runs in `intervals`. */
const FIRST_SEEN = "min(least(start_time, first_snapshot))";

/**
 * The numbers the site gives the owners, jobs and runs of `intervals`, as temporary tables the queries of `users`,
 * `intervals`, `jobs` and `run_order` read (CREATE_SITE_NUMBERS first, on the same connection): each job (source,
 * cluster, account and id) and each owner the rank of when it was first seen (then of the job's key, of the owner's
 * keyed pseudonym); each run (by its row of `intervals`) its job's number, its place among its job's runs and its place
 * in the table. Jobs and owners numbered once, among the distinct ones, and joined: ranking every run and job row by
 * window functions sorted a million rows four times at 10 × the jobs.
 */
const SITE_NUMBERS = [
  {
    name: "site_owner_numbers",
    sql: `SELECT owner, dense_rank() OVER (ORDER BY first_seen NULLS LAST, pseudonym, owner)::INTEGER AS number
FROM (SELECT owner, ${FIRST_SEEN} AS first_seen FROM intervals GROUP BY owner) i LEFT JOIN users u USING (owner)`,
  },
  {
    name: "site_job_numbers",
    sql: `SELECT source, cluster, account, job_id,
  row_number() OVER (ORDER BY first_seen NULLS LAST, source, cluster, account, job_id)::INTEGER AS number
FROM (SELECT source, cluster, account, job_id, ${FIRST_SEEN} AS first_seen FROM intervals GROUP BY ALL)`,
  },
  {
    name: "site_run_numbers",
    sql: `SELECT i.rowid AS row, j.number AS job_id, row_number() OVER (PARTITION BY j.number ORDER BY i.rowid)::INTEGER AS run,
  row_number() OVER (ORDER BY i.rowid)::INTEGER AS place
FROM intervals i JOIN site_job_numbers j USING (source, cluster, account, job_id)`,
  },
] as const;

/** The statements making SITE_NUMBERS' tables, and those dropping them. */
export const CREATE_SITE_NUMBERS = SITE_NUMBERS.map(({ name, sql }) => `CREATE OR REPLACE TEMP TABLE ${name} AS\n${sql}`);
export const DROP_SITE_NUMBERS = SITE_NUMBERS.map(({ name }) => `DROP TABLE ${name}`);

interface SiteTable {
  name: "snapshots" | "problems" | "users" | "accounts" | "spans" | "recorded_resources";
  /** A query over the documented tables of an AccountingDatabase (and SITE_NUMBERS). */
  sql: string;
}

/** The tables shipped whole. */
export const SITE_TABLES: readonly SiteTable[] = [
  { name: "snapshots", sql: "SELECT time, account, running, queued FROM snapshots ORDER BY rowid" },
  { name: "problems", sql: "SELECT file, line, account, job, reason FROM problems ORDER BY rowid" },
  { name: "accounts", sql: "SELECT source, cluster, account FROM accounts ORDER BY rowid" },
  { name: "spans", sql: "SELECT source, cluster, first_time, last_time FROM spans ORDER BY rowid" },
  { name: "recorded_resources", sql: RECORDED_RESOURCES_SQL },
  {
    name: "users",
    sql: `SELECT n.number AS owner, u.pseudonym, u.name, u.email
FROM users u JOIN site_owner_numbers n USING (owner)
ORDER BY n.number`,
  },
];

interface MonthlySiteTable {
  name: "intervals" | "jobs" | "run_order";
  /** A query over the documented tables of an AccountingDatabase (and SITE_NUMBERS), ordered by `key`. */
  sql: string;
  /** The columns telling rows apart: a row a page fetched twice is kept once. */
  key: readonly string[];
}

/**
 * The tables cut by month. A job belongs to every month from the one its first run began in (or was first seen) to
 * the one its last run ended in (or was last seen), and each of those months holds the job, all its runs and their
 * places in the CLI's table: whatever months a page fetches, every run that may count in them (the period rule: its time or
 * its snapshots overlap) is there, and every job there has all its runs (a job's run time and first start, in
 * distributions, are whole). A job running for several months is shipped in each. The intervals last: the browser puts
 * them in order by their places.
 */
export const MONTHLY_SITE_TABLES: readonly MonthlySiteTable[] = [
  {
    name: "jobs",
    key: ["job_id"],
    sql: `SELECT n.number AS job_id, j.source, j.cluster, j.account, j.kind, j.title,
  j.docker_image, j.datacenter, j.queue, j.qos, j.unix_group, j.node_names, j.submit_time
FROM jobs j JOIN site_job_numbers n USING (source, cluster, account, job_id)
ORDER BY n.number`,
  },
  {
    name: "run_order",
    key: ["job_id", "run"],
    sql: "SELECT job_id, run, place FROM site_run_numbers ORDER BY job_id, run",
  },
  {
    name: "intervals",
    key: ["job_id", "run"],
    sql: `SELECT r.job_id, r.run, i.source, i.cluster, i.account, o.number AS owner,
  i.start_time, i.end_time, i.first_snapshot, i.last_snapshot, i.cpu_num, i.cpu_MHz, i.gpu_num, i.memory_MB, i.disk_MB
FROM intervals i JOIN site_run_numbers r ON r.row = i.rowid JOIN site_owner_numbers o ON o.owner IS NOT DISTINCT FROM i.owner
ORDER BY job_id, run`,
  },
];

/** A month, `YYYY-MM`. */
type Month = string;

/**
 * What the site's data holds, `manifest.json` beside the tables: the files of each monthly table by month (paths
 * relative to the data's folder, Hive-style: `intervals/year=2024/month=11/<content hash>.parquet`). Beside them,
 * `<table>.parquet` holds no row, only the table's columns: the table before any month is fetched.
 */
export interface SiteManifest {
  months: Record<Month, Record<MonthlySiteTable["name"], string>>;
}

/** The months from the one holding day `from` to the one holding day `to` (`YYYY-MM-DD`), in order. */
export function monthsBetween(from: string, to: string): Month[] {
  if (parseDay(from) === undefined || parseDay(to) === undefined) throw new RangeError(`not a period: ${from} to ${to}`);
  const months: Month[] = [];
  let [year, month] = [Number(from.slice(0, 4)), Number(from.slice(5, 7))];
  const last = to.slice(0, 7);
  for (let name = from.slice(0, 7); name <= last; name = `${year}-${String(month).padStart(2, "0")}`) {
    months.push(name);
    [year, month] = month === 12 ? [year + 1, 1] : [year, month + 1];
  }
  return months;
}

/** A DuckDB the site's tables are loaded into: DuckDB-WASM in the browser, its node build in tests. */
interface TableSink {
  /** Creates the table `name` from Arrow IPC (loaders/site/arrow.ts). */
  insertArrow(name: string, ipc: Uint8Array): Promise<void>;
  run(sql: string): Promise<void>;
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * The monthly tables of a site's data in a DuckDB, month by month as pages ask for them: each table, created empty from
 * its `<table>.parquet`, holds the rows of every month fetched, each row once, in the CLI's order.
 */
export class MonthlyTables {
  readonly #loaded = new Set<Month>();
  #parts = 0;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly manifest: SiteManifest,
    private readonly sink: TableSink,
    /** The decoded file at a path of the manifest. */
    private readonly read: (path: string) => Promise<Uint8Array>,
  ) {}

  /** Fetches the months from day `from` to day `to` (`YYYY-MM-DD`) not fetched yet, one load at a time. */
  cover(from: string, to: string): Promise<void> {
    const months = monthsBetween(from, to).filter((month) => month in this.manifest.months);
    const next = this.#queue.then(() => this.#add(months.filter((month) => !this.#loaded.has(month))));
    this.#queue = next.catch(() => {});
    return next;
  }

  async #add(months: Month[]): Promise<void> {
    if (months.length === 0) return;
    // Every file fetched and decoded at once, then each table filled.
    const files = await Promise.all(
      MONTHLY_SITE_TABLES.map((table) => Promise.all(months.map((month) => this.read(this.manifest.months[month]![table.name])))),
    );
    for (const [index, table] of MONTHLY_SITE_TABLES.entries()) {
      const parts: string[] = [];
      for (const ipc of files[index]!) {
        const part = `${table.name}_part_${++this.#parts}`;
        await this.sink.insertArrow(part, ipc);
        parts.push(part);
      }
      const name = quoted(table.name);
      const key = table.key.map(quoted).join(", ");
      const first = this.#loaded.size === 0 && parts.length === 1;
      // The first month's rows are each once already; those of several months, each once by their key.
      const rows = first ? `SELECT * FROM ${parts[0]}` : [name, ...parts].map((part) => `SELECT * FROM ${part}`).join(" UNION ALL BY NAME ");
      const unique = first ? rows : `SELECT * FROM (${rows}) QUALIFY row_number() OVER (PARTITION BY ${key}) = 1`;
      if (table.name === "intervals") {
        // In the CLI's order: by their places in it (run_order, filled before).
        await this.sink.run(`CREATE OR REPLACE TABLE ${name} AS SELECT x.* FROM (${unique}) x JOIN run_order o USING (job_id, run) ORDER BY o.place`);
      } else if (first) await this.sink.run(`INSERT INTO ${name} ${rows}`);
      else await this.sink.run(`CREATE OR REPLACE TABLE ${name} AS ${unique} ORDER BY ${key}`);
      for (const part of parts) await this.sink.run(`DROP TABLE ${part}`);
    }
    for (const month of months) this.#loaded.add(month);
  }
}
