import type { ArchiveTables } from "../sources/nomad/fold.js";
import type { Interval } from "../sources/nomad/intervals.js";
import { RESOURCES } from "./resources.js";
import type { JobSummary } from "../sources/nomad/jobs.js";
import type { Problem } from "../sources/nomad/snapshot.js";
import { STATUS_COUNTS, type NamespaceStatus } from "../sources/nomad/statuses.js";
import type { Micros } from "./time.js";
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

export interface TableSchema<Row, Name extends string = keyof ArchiveTables> {
  name: Name;
  doc: string;
  columns: Column<Row>[];
  orderBy: string[];
}

const column = <Row>(name: string, type: ColumnType, doc: string, value: (row: Row) => CellValue | Micros): Column<Row> => ({ name, type, doc, value });

export const intervalsTable: TableSchema<Interval> = {
  name: "intervals",
  doc: "What each job consumed: one row per maximal run of a job's consecutive segments with the same allocation start and resources.",
  columns: [
    column("namespace", "VARCHAR", "Nomad namespace (virtual organisation)", (r) => r.namespace),
    column("job_id", "VARCHAR", "Nomad job id", (r) => r.jobId),
    column("owner", "VARCHAR", "owner id of the job", (r) => r.owner),
    column("alloc_id", "VARCHAR", "allocation id when the run began (null if unknown)", (r) => r.allocId),
    column("start_time", "TIMESTAMPTZ", "start of the consumption (UTC, µs): max(previous snapshot, alloc_start)", (r) => r.start),
    column("end_time", "TIMESTAMPTZ", "end of the consumption (UTC, µs): last snapshot while running, else min(snapshot, alloc_end)", (r) => r.end),
    column("first_snapshot", "TIMESTAMPTZ", "first snapshot that saw this run", (r) => r.firstSnapshot),
    column("last_snapshot", "TIMESTAMPTZ", "last snapshot that saw this run (every snapshot between them saw it)", (r) => r.lastSnapshot),
    ...RESOURCES.map((name) =>
      column<Interval>(
        name,
        "DOUBLE",
        name === "cpu_num" ? "CPU cores counted (cpu_MHz where the job declared 0 cores)" : `${name} allocated`,
        (r) => r.resources[name],
      ),
    ),
  ],
  orderBy: ["namespace", "job_id", "start_time", "first_snapshot"],
};

export const snapshotsTable: TableSchema<NamespaceStatus> = {
  name: "snapshots",
  doc: "One row per snapshot used and per namespace of the archive: jobs listed in each status (zeros where the snapshot lacks the namespace).",
  columns: [
    column("time", "TIMESTAMPTZ", "when the snapshot was taken (UTC), from its file name", (r) => r.time),
    column("file", "VARCHAR", "snapshot file, relative to the archive", (r) => r.file),
    column("namespace", "VARCHAR", "Nomad namespace", (r) => r.namespace),
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
  orderBy: ["time", "namespace"],
};

export const problemsTable: TableSchema<Problem> = {
  name: "problems",
  doc: "Every file or job skipped, and why. Numbers are what they would be without them.",
  columns: [
    column("file", "VARCHAR", "file, relative to the archive", (r) => r.file),
    column("namespace", "VARCHAR", "namespace of the job (null for a whole file)", (r) => r.namespace),
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

export const jobsTable: TableSchema<JobSummary> = {
  name: "jobs",
  doc: "Every job seen, whatever its status; its latest sighting describes it.",
  columns: [
    column("namespace", "VARCHAR", "Nomad namespace", (r) => r.namespace),
    column("job_id", "VARCHAR", "Nomad job id", (r) => r.jobId),
    column("kind", "VARCHAR", "module, tool or batch (from the job name), else other", (r) => r.kind),
    column("owner", "VARCHAR", "owner id", (r) => r.owner),
    column("title", "VARCHAR", "title the user gave the job (private builds only)", (r) => r.title),
    column("docker_image", "VARCHAR", "docker image", (r) => r.dockerImage),
    column("datacenter", "VARCHAR", "datacenter of the latest allocation", (r) => r.datacenter),
    column("submit_time", "TIMESTAMPTZ", "when the job was submitted", (r) => r.submitTime),
    column("first_start", "TIMESTAMPTZ", "earliest alloc_start seen", (r) => r.firstStart),
    column("last_end", "TIMESTAMPTZ", "latest alloc_end seen (null if never seen ended)", (r) => r.lastEnd),
    column("first_seen", "TIMESTAMPTZ", "first snapshot listing the job", (r) => r.firstSeen),
    column("last_seen", "TIMESTAMPTZ", "last snapshot listing the job", (r) => r.lastSeen),
    column("last_status", "VARCHAR", "status in the last snapshot listing the job", (r) => r.lastStatus),
  ],
  orderBy: ["namespace", "job_id"],
};

export const usersTable: TableSchema<User> = {
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

export const TABLES = [intervalsTable, snapshotsTable, problemsTable, jobsTable, usersTable] as const;
