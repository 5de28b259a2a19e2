import { from } from "arquero/src/table/index.js";
import { opApi as op } from "arquero/src/op/op-api.js";
import { escape } from "arquero/src/helpers/escape.js";
import { collate } from "arquero/src/helpers/collate.js";
import type { ColumnTable } from "arquero";
import { rowsCsv } from "../model/csv.js";
import type { Resources } from "../model/resources.js";
import type { TableSchema } from "../model/schema.js";
import { parseDay, MICROS_PER_DAY, type Micros } from "../model/time.js";
import { countedResources } from "../sources/nomad/intervals.js";
import type { Snapshot } from "../sources/nomad/snapshot.js";
import { STATUS_COUNTS } from "../sources/nomad/statuses.js";
import { sqlString, type Connector } from "./sql.js";

/**
 * Upstream's summaries (ai4-accounting's `summarize.py`, then `merge-userdb-stats.py`), from Nomad snapshots: per
 * namespace, the daily means of what its running jobs reserved and of how many jobs ran and queued
 * (`<ns>-timeseries.csv`), each owner's resource-days (`<ns>-users-agg.csv`), their sum (`<ns>-full-agg.csv`) and,
 * privately, the owners' rows with their names (`<ns>-users-agg-merged.csv`). Upstream's pandas steps are arquero's
 * here, with pandas' arithmetic: Kahan sums in pandas' row order, means as sum / count, round half to even.
 */

/** Upstream's resources, in the order of its columns. */
const SUMMARY_RESOURCES = ["cpu_num", "cpu_MHz", "memory_MB", "disk_MB", "gpu_num"] as const;
type SummaryResource = (typeof SUMMARY_RESOURCES)[number];

/** The job statuses upstream counts; every other job of a snapshot is left out. */
type CountedStatus = "running" | "queued";

/**
 * A job a snapshot lists running or queued, as upstream counts it: a running job with no `alloc_start` counts as
 * queued, with no resources; a running one, with its resources (cores from `cpu_MHz` where it declared 0 cores).
 */
export interface Sighting {
  time: Micros;
  account: string;
  /** Its place in the namespace's list of the snapshot, from 0. */
  position: number;
  owner: string;
  status: CountedStatus;
  /** Null for a queued job. */
  resources: Resources | null;
}

/** What summaries read beside the snapshots table: the jobs each snapshot lists running or queued. */
export const sightingsTable: TableSchema<Sighting, "sightings"> = {
  name: "sightings",
  doc: "Nomad only: one row per job a snapshot lists running or queued, as upstream's summarize.py counts them.",
  columns: [
    { name: "time", type: "TIMESTAMPTZ", doc: "the snapshot (UTC)", value: (r) => r.time },
    { name: "account", type: "VARCHAR", doc: "Nomad namespace", value: (r) => r.account },
    { name: "position", type: "INTEGER", doc: "place of the job in the namespace's list, from 0", value: (r) => r.position },
    { name: "owner", type: "VARCHAR", doc: "owner id", value: (r) => r.owner },
    { name: "status", type: "VARCHAR", doc: "running, or queued (a running job with no alloc_start included)", value: (r) => r.status },
    ...SUMMARY_RESOURCES.map((name) => ({
      name,
      type: "DOUBLE" as const,
      doc: `${name} reserved while running (null while queued)`,
      value: (r: Sighting) => r.resources?.[name] ?? null,
    })),
  ],
  orderBy: ["time", "account", "position"],
};

/** The jobs of one snapshot that upstream's summaries count, in the snapshot's order. */
export function sightingsOf(snapshot: Snapshot): Sighting[] {
  const sightings: Sighting[] = [];
  for (const [account, jobs] of snapshot.namespaces) {
    jobs.forEach((job, position) => {
      if (job.status !== "running" && job.status !== "queued") return;
      const running = job.status === "running" && job.allocStart !== null;
      const base = { time: snapshot.time, account, position, owner: job.owner };
      sightings.push({ ...base, status: running ? "running" : "queued", resources: running ? countedResources(job.resources) : null });
    });
  }
  return sightings;
}

/** The snapshots and namespaces summarized: days `YYYY-MM-DD`, both included (UTC); the whole archive by default. */
export interface SummaryRequest {
  namespaces: string[];
  from?: string;
  to?: string;
}

function dayStart(day: string): Micros {
  const time = parseDay(day);
  if (time === undefined) throw new RangeError(`not a day: ${day}`);
  return time;
}

/** The condition on `snapshots` (as `s`) of the period's days, if any. */
function periodWhere({ from, to }: SummaryRequest): string {
  const bounds = [
    from === undefined ? [] : [`epoch_us(s.time) >= ${dayStart(from)}`],
    to === undefined ? [] : [`epoch_us(s.time) < ${dayStart(to) + MICROS_PER_DAY}`],
  ].flat();
  return bounds.length ? `\nWHERE ${bounds.join(" AND ")}` : "";
}

/** The snapshot files of the period that the ingest used, in time order: `file`, and `time` in µs. */
export function periodSnapshotsSql(request: SummaryRequest): string {
  return `SELECT DISTINCT s.file, epoch_us(s.time) AS time FROM snapshots s${periodWhere(request)}\nORDER BY time`;
}

/**
 * Upstream's table of the period, in its order (snapshot, namespace as requested, job): each job listed running or
 * queued, and a row of zeros for a namespace whose list is empty or missing, so that the snapshot still counts for it.
 * Jobs skipped as unreadable do not count in that list: every number is what it would be without them.
 */
function summaryRowsSql(request: SummaryRequest): string {
  const chosen = request.namespaces.map((name, i) => `(${i}, ${sqlString(name)})`).join(", ");
  const listed = STATUS_COUNTS.filter((name) => name !== "skipped")
    .map((name) => `s.${name}`)
    .join(" + ");
  const resources = (value: (name: SummaryResource) => string) => SUMMARY_RESOURCES.map((name) => `${value(name)} AS ${name}`).join(", ");
  return `WITH chosen(rank, account) AS (VALUES ${chosen}),
period AS (
  SELECT epoch_us(s.time) AS t, s.account, c.rank, ${listed} AS listed
  FROM snapshots s JOIN chosen c ON c.account = s.account${periodWhere(request)}
)
SELECT t AS time, strftime(make_timestamp(t), '%Y-%m-%d') AS day, account AS namespace, owner, status, ${resources((name) => name)}
FROM (
  SELECT p.t, p.rank, p.account, g.position, g.owner, g.status, ${resources((name) => `g.${name}`)}
  FROM period p JOIN sightings g ON epoch_us(g.time) = p.t AND g.account = p.account
  UNION ALL
  SELECT t, rank, account, -1, NULL, NULL, ${resources(() => "0")} FROM period WHERE listed = 0
)
ORDER BY t, rank, position`;
}

/** pandas' sum (its groupby's): Kahan's compensated sum, in the order given (arquero's array_agg leaves out nulls, as pandas NaN). */
function kahanSum(values: readonly number[]): number {
  let sum = 0;
  let compensation = 0;
  for (const value of values) {
    const y = value - compensation;
    const t = sum + y;
    compensation = t - sum - y;
    sum = t;
  }
  return sum;
}

/** numpy's round(0): to the nearest integer, halves to the even one. */
function roundHalfEven(value: number): number {
  const rounded = Math.round(value);
  return rounded - value === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

/** Python's string order (code points), which pandas sorts group keys by; JavaScript's `<` compares UTF-16 units. */
function codePointOrder(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const difference = (x[i] as string).codePointAt(0)! - (y[i] as string).codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return x.length - y.length;
}

const arrays = Object.fromEntries(SUMMARY_RESOURCES.map((name) => [name, op.array_agg(name)]));
type Row = Record<string, unknown>;
type Expressions = Parameters<ColumnTable["derive"]>[0];

/** Plain JavaScript functions of a row as arquero's expressions: `escape` keeps them as they are, closures included. */
function escaped(functions: Record<string, (row: Row) => unknown>): Expressions {
  return Object.fromEntries(Object.entries(functions).map(([name, fn]) => [name, escape(fn)])) as unknown as Expressions;
}

/** The rows for which `test` holds, as an arquero filter. */
const where = (test: (row: Row) => boolean) => escape(test) as unknown as Parameters<ColumnTable["filter"]>[0];

/** Every resource of a row computed by `value`. */
function eachResource(value: (row: Row, name: SummaryResource) => number): Expressions {
  return escaped(Object.fromEntries(SUMMARY_RESOURCES.map((name) => [name, (row: Row) => value(row, name)])));
}

/** pandas' `groupby(keys).sum()`: each resource's Kahan sum over the group's rows, in the table's order. */
function groupSums(table: ColumnTable, keys: string[]): ColumnTable {
  return table
    .groupby(...keys)
    .rollup(arrays)
    .derive(eachResource((row, name) => kahanSum(row[name] as number[])));
}

/** pandas' `groupby(keys).mean()`: the Kahan sum over the group's rows, over their number. */
function groupMeans(table: ColumnTable, keys: string[]): ColumnTable {
  return table
    .groupby(...keys)
    .rollup(arrays)
    .derive(eachResource((row, name) => kahanSum(row[name] as number[]) / (row[name] as number[]).length));
}

/** pandas' `round(0).astype(int)` of every resource. */
function roundResources(table: ColumnTable): ColumnTable {
  return table.derive(eachResource((row, name) => roundHalfEven(row[name] as number)));
}

/**
 * A namespace's days (`<ns>-timeseries.csv`): the means of each day's snapshots of what running jobs reserved, then
 * the means of how many jobs ran and queued in the snapshots where any did, a column per status seen in the period.
 */
function timeseriesTable(df: ColumnTable): { table: ColumnTable; statuses: string[] } {
  const daily = roundResources(groupMeans(groupSums(df, ["time", "day", "namespace"]), ["day", "namespace"]));
  const counts = df
    .filter(where((row) => row.status !== null))
    .groupby("time", "day", "namespace", "status")
    .count({ as: "jobs" })
    .groupby("day", "namespace", "status")
    .rollup({ jobs: op.array_agg("jobs") })
    .derive(escaped({ jobs: (row) => roundHalfEven(kahanSum(row.jobs as number[]) / (row.jobs as number[]).length) }));
  const statuses = [...new Set(counts.array("status") as string[])].sort(codePointOrder);
  if (statuses.length === 0) return { table: daily.rename({ day: "date" }), statuses };
  const wide = counts.groupby("day", "namespace").pivot("status", "jobs");
  const table = daily
    .lookup(
      wide,
      [
        ["day", "namespace"],
        ["day", "namespace"],
      ],
      ...statuses,
    )
    .derive(escaped(Object.fromEntries(statuses.map((name) => [name, (row: Row) => (row[name] as number | undefined) ?? 0]))));
  return { table: table.rename({ day: "date" }), statuses };
}

/**
 * Each owner's resource-days per namespace (`<ns>-users-agg.csv`): per day, the sum over its snapshots over their
 * number (every snapshot of the period that day with a row for any namespace requested), summed over the days.
 * An owner whose jobs only queued has a row of zeros.
 */
function ownersTable(df: ColumnTable): ColumnTable {
  const snapshots = new Map(
    df
      .groupby("day")
      .rollup({ snapshots: op.distinct("time") })
      .objects()
      .map((row) => [(row as Row).day as string, (row as Row).snapshots as number]),
  );
  const owned = df.filter(where((row) => row.owner !== null));
  const perDay = groupSums(groupSums(owned, ["time", "day", "namespace", "owner"]), ["day", "namespace", "owner"]).derive(
    eachResource((row, name) => (row[name] as number) / (snapshots.get(row.day as string) as number)),
  );
  return roundResources(groupSums(perDay, ["namespace", "owner"])).orderby(collate("owner", codePointOrder));
}

/** One summary file: its name in the output folder and its text. */
export interface SummaryFile {
  name: string;
  text: string;
}

/** A user of the user database, in its order, with a private build's name and email. */
export interface UserDatabaseEntry {
  owner: string;
  name: string | null;
  email: string | null;
}

/** What pandas' `read_csv` reads as missing, which `to_csv` then writes empty: upstream's merge reads the user database so. */
const PANDAS_MISSING = new Set([
  "",
  "#N/A",
  "#N/A N/A",
  "#NA",
  "-1.#IND",
  "-1.#QNAN",
  "-NaN",
  "-nan",
  "1.#IND",
  "1.#QNAN",
  "<NA>",
  "N/A",
  "NA",
  "NULL",
  "NaN",
  "n/a",
  "nan",
  "null",
]);

const pandasText = (text: string | null) => (text === null || PANDAS_MISSING.has(text) ? null : text);

const csv = (rows: readonly object[], columns: readonly string[]) => rowsCsv(rows, columns, ";");

/**
 * A namespace's timeseries file. A single row is written as a column headed by the namespace, as upstream writes it
 * (`.loc[ns]` of a single row is a pandas Series); no row at all, a header alone (upstream stops with a KeyError).
 */
function timeseriesCsv(namespace: string, rows: Row[], columns: string[]): string {
  const [row] = rows;
  if (rows.length !== 1 || row === undefined) return csv(rows, columns);
  return csv(
    columns.map((name) => ({ [namespace]: row[name] })),
    [namespace],
  );
}

/**
 * Upstream's summary files of the period for each namespace requested, from the snapshots and sightings tables;
 * given the user database (in its order), the merged files too: its users with a row in `<ns>-users-agg.csv`.
 */
export async function runSummaries(db: Connector, request: SummaryRequest, users?: readonly UserDatabaseEntry[]): Promise<SummaryFile[]> {
  const df = from(await db.query<Row>(summaryRowsSql(request)), ["time", "day", "namespace", "owner", "status", ...SUMMARY_RESOURCES]);
  const timeseries = timeseriesTable(df);
  const owners = ownersTable(df);
  const files: SummaryFile[] = [];
  for (const namespace of request.namespaces) {
    const inNamespace = (table: ColumnTable) => table.filter(where((row) => row.namespace === namespace));
    const days = inNamespace(timeseries.table).objects() as Row[];
    files.push({ name: `${namespace}-timeseries.csv`, text: timeseriesCsv(namespace, days, ["date", ...SUMMARY_RESOURCES, ...timeseries.statuses]) });
    const ownersOfNamespace = inNamespace(owners);
    const used = ownersOfNamespace.objects() as Row[];
    files.push({ name: `${namespace}-users-agg.csv`, text: csv(used, ["owner", ...SUMMARY_RESOURCES]) });
    // The namespace's total; a namespace no one used has upstream's row of zeros, the owner column included.
    const total = Object.fromEntries(SUMMARY_RESOURCES.map((name) => [name, used.reduce((sum, row) => sum + (row[name] as number), 0)]));
    const totalColumns = used.length ? [...SUMMARY_RESOURCES] : ["owner", ...SUMMARY_RESOURCES];
    files.push({ name: `${namespace}-full-agg.csv`, text: csv([{ owner: 0, ...total }], totalColumns) });
    if (users) files.push({ name: `${namespace}-users-agg-merged.csv`, text: mergedCsv(ownersOfNamespace, users) });
  }
  return files;
}

/**
 * upstream's merge-userdb-stats.py: the user database's users that have a row, in the database's order (pandas'
 * inner merge keeps the left table's), with the row's numbers per day.
 */
function mergedCsv(owners: ColumnTable, users: readonly UserDatabaseEntry[]): string {
  const perDay = Object.fromEntries(SUMMARY_RESOURCES.map((name) => [name, `${name} / day`]));
  const merged = from(users as object[], ["owner", "name", "email"])
    .semijoin(owners, "owner")
    .lookup(owners, "owner", ...SUMMARY_RESOURCES)
    .derive(escaped({ name: (row) => pandasText(row.name as string | null), email: (row) => pandasText(row.email as string | null) }))
    .rename({ owner: "user id", ...perDay });
  return csv(merged.objects(), ["user id", "name", "email", ...Object.values(perDay)]);
}
