import type { AccountRecord, IntervalRecord, JobRecord, Problem, SpanRecord } from "./records.js";
import { RESOURCES } from "./resources.js";
import type { Micros } from "./time.js";
import { STATUS_COUNTS, type NamespaceStatus } from "../sources/nomad/statuses.js";
import type { User } from "../sources/nomad/users.js";

export type ColumnType = "VARCHAR" | "INTEGER" | "DOUBLE" | "TIMESTAMPTZ";
export type CellValue = string | number | null;

interface Column<Row> {
  name: string;
  type: ColumnType;
  doc: string;
  /** Timestamps as Micros. */
  value: (row: Row) => CellValue;
}

export interface TableSchema<Row, Name extends string = string> {
  name: Name;
  doc: string;
  columns: Column<Row>[];
  orderBy: string[];
}

const column = <Row>(name: string, type: ColumnType, doc: string, value: (row: Row) => CellValue | Micros): Column<Row> => ({ name, type, doc, value });

const RESOURCE_DOCS: Record<(typeof RESOURCES)[number], string> = {
  cpu_num: "CPU cores (Nomad: cpu_MHz where the job declared 0 cores; Slurm: NCPUS; Grid Engine: slots; Flux: cores)",
  cpu_MHz: "CPU clock reserved, in MHz (Nomad only; null elsewhere)",
  gpu_num: "GPUs",
  memory_MB: "memory, in MiB (null where the source does not record it)",
  disk_MB: "disk, in MB (Nomad only; null elsewhere)",
};

export const intervalsTable: TableSchema<IntervalRecord, "intervals"> = {
  name: "intervals",
  doc: "What each job consumed, whatever the scheduler: one row per run of a job with the same resources all along (Nomad: a maximal run of consecutive snapshot segments with the same allocation start and resources; batch schedulers: a job's run from its start to its end).",
  columns: [
    column("source", "VARCHAR", "the kind of input: nomad, slurm, sge or flux", (r) => r.source),
    column("cluster", "VARCHAR", "the cluster (Nomad: nomad; Slurm: Cluster; Grid Engine: the cell or the file's folder; Flux: the folder)", (r) => r.cluster),
    column(
      "account",
      "VARCHAR",
      "where usage is charged: the Nomad namespace, the Slurm account, the Grid Engine project (else the group), the Flux bank",
      (r) => r.account,
    ),
    column("job_id", "VARCHAR", "job id (Slurm: JobIDRaw; Grid Engine: job number and task)", (r) => r.jobId),
    column("owner", "VARCHAR", "the user: Nomad's owner id, the Unix user name", (r) => r.owner),
    column("alloc_id", "VARCHAR", "Nomad's allocation id when the run began (null if unknown or not Nomad)", (r) => r.allocId),
    column("start_time", "TIMESTAMPTZ", "start of the consumption (UTC, µs); Nomad: max(previous snapshot, alloc_start)", (r) => r.start),
    column("end_time", "TIMESTAMPTZ", "end of the consumption (UTC, µs); Nomad: last snapshot while running, else min(snapshot, alloc_end)", (r) => r.end),
    column("first_snapshot", "TIMESTAMPTZ", "first Nomad snapshot that saw this run (null for batch records)", (r) => r.firstSnapshot),
    column(
      "last_snapshot",
      "TIMESTAMPTZ",
      "last Nomad snapshot that saw this run: every snapshot between them saw it (null for batch records)",
      (r) => r.lastSnapshot,
    ),
    ...RESOURCES.map((name) => column<IntervalRecord>(name, "DOUBLE", RESOURCE_DOCS[name], (r) => r.resources[name])),
  ],
  orderBy: ["source", "cluster", "account", "job_id", "start_time", "first_snapshot"],
};

export const snapshotsTable: TableSchema<NamespaceStatus, "snapshots"> = {
  name: "snapshots",
  doc: "Nomad only: one row per snapshot used and per namespace of the archive, with the jobs listed in each status (zeros where the snapshot lacks the namespace).",
  columns: [
    column("time", "TIMESTAMPTZ", "when the snapshot was taken (UTC), from its file name", (r) => r.time),
    column("file", "VARCHAR", "snapshot file, relative to the archive", (r) => r.file),
    column("account", "VARCHAR", "Nomad namespace", (r) => r.namespace),
    ...STATUS_COUNTS.map((name) =>
      column<NamespaceStatus>(
        name,
        "INTEGER",
        name === "other"
          ? "jobs in any other status"
          : name === "skipped"
            ? "jobs left out of the accounting (invalid or malformed); see problems"
            : `jobs with status ${name}`,
        (r) => r.counts[name],
      ),
    ),
  ],
  orderBy: ["time", "account"],
};

export const problemsTable: TableSchema<Problem, "problems"> = {
  name: "problems",
  doc: "Every file, line or job skipped, and why. Numbers are what they would be without them.",
  columns: [
    column("file", "VARCHAR", "file, relative to the archive", (r) => r.file),
    column("line", "INTEGER", "line of the record in a line-based file (a dump, an accounting file), from 1; null otherwise", (r) => r.line),
    column("account", "VARCHAR", "account of the job (null for a whole file)", (r) => r.account),
    column("job", "VARCHAR", "job id (null for a whole file or a job with no usable id)", (r) => r.job),
    column("reason", "VARCHAR", "why it was skipped: a fixed text per kind of fault, holding nothing read from the archive", (r) => r.reason),
    column(
      "detail",
      "VARCHAR",
      "what was found (private builds only): the value, the JSON parser's message quoting the file, the other file; null when the reason says it all",
      (r) => r.detail,
    ),
  ],
  orderBy: [],
};

export const jobsTable: TableSchema<JobRecord, "jobs"> = {
  name: "jobs",
  doc: "Every job seen, whatever it consumed; Nomad: its latest sighting describes it. Null where the source has no such field.",
  columns: [
    column("source", "VARCHAR", "the kind of input: nomad, slurm, sge or flux", (r) => r.source),
    column("cluster", "VARCHAR", "the cluster", (r) => r.cluster),
    column("account", "VARCHAR", "where usage is charged (as in intervals)", (r) => r.account),
    column("job_id", "VARCHAR", "job id", (r) => r.jobId),
    column("owner", "VARCHAR", "the user", (r) => r.owner),
    column("name", "VARCHAR", "the job's name (Slurm, Grid Engine, Flux)", (r) => r.name),
    column("kind", "VARCHAR", "Nomad: module, tool or batch (from the job name), else other", (r) => r.kind),
    column("title", "VARCHAR", "title the user gave the job (Nomad; private builds only)", (r) => r.title),
    column("docker_image", "VARCHAR", "docker image (Nomad)", (r) => r.dockerImage),
    column("datacenter", "VARCHAR", "datacenter of the latest allocation (Nomad)", (r) => r.datacenter),
    column("queue", "VARCHAR", "queue or partition", (r) => r.queue),
    column("qos", "VARCHAR", "quality of service (Slurm)", (r) => r.qos),
    column("unix_group", "VARCHAR", "the Unix group it ran as (Slurm, Grid Engine)", (r) => r.group),
    column("nodes", "INTEGER", "nodes the job ran on", (r) => r.nodes),
    column(
      "node_names",
      "VARCHAR",
      "the hosts it ran on, comma-separated, each once (Slurm's NodeList, Flux's nodelist, expanded); Grid Engine: its master host; null for Nomad",
      (r) => r.nodeNames?.join(",") ?? null,
    ),
    column("submit_time", "TIMESTAMPTZ", "when the job was submitted", (r) => r.submitTime),
    column("start_time", "TIMESTAMPTZ", "when it started (Nomad: the earliest alloc_start seen)", (r) => r.startTime),
    column("end_time", "TIMESTAMPTZ", "when it ended (Nomad: the latest alloc_end seen); null if never seen ended", (r) => r.endTime),
    column("first_seen", "TIMESTAMPTZ", "first Nomad snapshot listing the job (null for batch records)", (r) => r.firstSeen),
    column("last_seen", "TIMESTAMPTZ", "last Nomad snapshot listing the job (null for batch records)", (r) => r.lastSeen),
    column("state", "VARCHAR", "the job's last status or state (Nomad: in the last snapshot listing it)", (r) => r.state),
    column("exit_code", "VARCHAR", "exit code as the scheduler writes it (null for Nomad)", (r) => r.exitCode),
  ],
  orderBy: ["source", "cluster", "account", "job_id"],
};

export const accountsTable: TableSchema<AccountRecord, "accounts"> = {
  name: "accounts",
  doc: "Every account the archive knows, used or not: reports list each, with zeros when it used nothing.",
  columns: [
    column("source", "VARCHAR", "the kind of input", (r) => r.source),
    column("cluster", "VARCHAR", "the cluster", (r) => r.cluster),
    column("account", "VARCHAR", "the account (a Nomad namespace…)", (r) => r.account),
  ],
  orderBy: ["source", "cluster", "account"],
};

export const spansTable: TableSchema<SpanRecord, "spans"> = {
  name: "spans",
  doc: "What each source's records of each cluster cover: a period with no days given runs from the first of them to the day of the last.",
  columns: [
    column("source", "VARCHAR", "the kind of input", (r) => r.source),
    column("cluster", "VARCHAR", "the cluster", (r) => r.cluster),
    column("first_time", "TIMESTAMPTZ", "Nomad: the first snapshot; batch records: their first start", (r) => r.first),
    column("last_time", "TIMESTAMPTZ", "Nomad: the last snapshot; batch records: the time of their last dump, else their last end", (r) => r.last),
  ],
  orderBy: ["source", "cluster"],
};

export const usersTable: TableSchema<User, "users"> = {
  name: "users",
  doc: "Every owner of a job seen, with a keyed pseudonym; name and email only in a private build.",
  columns: [
    column("owner", "VARCHAR", "owner id", (r) => r.owner),
    column("pseudonym", "VARCHAR", "HMAC-SHA-256 of the owner id under the pseudonym key", (r) => r.pseudonym),
    column("name", "VARCHAR", "name from the user database (private builds only)", (r) => r.name),
    column("email", "VARCHAR", "email from the user database (private builds only)", (r) => r.email),
  ],
  orderBy: ["owner"],
};

/** The documented tables, as `accounting ingest --out` writes them. */
export const TABLES = [intervalsTable, snapshotsTable, problemsTable, jobsTable, accountsTable, spansTable, usersTable] as const;
