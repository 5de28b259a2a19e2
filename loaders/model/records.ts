import type { ShapeReason } from "./json-shape.js";
import type { Resource } from "./resources.js";
import type { Micros } from "./time.js";
import type { ListingReason } from "../sources/nomad/archive.js";
import type { JobReason } from "../sources/nomad/job.js";
import type { SegmentReason } from "../sources/nomad/intervals.js";
import type { SnapshotReason } from "../sources/nomad/snapshot.js";
import type { UserDatabaseReason } from "../sources/nomad/users.js";
import type { BatchReason } from "../sources/batch/records.js";

/**
 * The common model of every scheduler: what each adapter of `sources/` turns its records into, and what the tables,
 * the reports and the pages are made of. The account is where usage is charged: the Nomad namespace, the Slurm
 * account, the Grid Engine project (else the Unix group), the Flux bank.
 */

/** The kinds of input an archive holds, each read by its adapter in `sources/`. */
export type Source = "nomad" | "slurm" | "sge" | "flux";

/** What an interval held of each resource; null where its source does not record it (never 0 for unknown). */
type Amounts = Record<Resource, number | null>;

/** What one job consumed over [start, end]: its resources held all along. */
export interface IntervalRecord {
  source: Source;
  cluster: string;
  account: string;
  /** The user: an owner id, a Unix user name. */
  owner: string;
  jobId: string;
  /** Nomad's allocation when the run began; null elsewhere or when unknown. */
  allocId: string | null;
  start: Micros;
  end: Micros;
  /** The first and last Nomad snapshot that saw the run; null for batch records, which are not seen by snapshots. */
  firstSnapshot: Micros | null;
  lastSnapshot: Micros | null;
  resources: Amounts;
}

/** One job, whatever it consumed: what describes it in reports and breakdowns. Null where the source has no such field. */
export interface JobRecord {
  source: Source;
  cluster: string;
  account: string;
  jobId: string;
  owner: string;
  /** The job's name (Slurm's JobName, Grid Engine's job name); a Nomad job's kind is in `kind`. */
  name: string | null;
  /** Nomad: module, tool or batch (from the job name), else other. */
  kind: string | null;
  /** Free text the user gave the job: personal data, for private builds only. */
  title: string | null;
  dockerImage: string | null;
  datacenter: string | null;
  queue: string | null;
  qos: string | null;
  /** The Unix group it ran as (Slurm, Grid Engine). */
  group: string | null;
  nodes: number | null;
  /**
   * The hosts it ran on, each once, in the scheduler's order (Slurm's NodeList and Flux's nodelist expanded); Grid
   * Engine: its master host only. Null where the records do not name them (Nomad, a job that never ran).
   */
  nodeNames: string[] | null;
  submitTime: Micros | null;
  startTime: Micros | null;
  endTime: Micros | null;
  /** The first and last Nomad snapshot listing the job; null for batch records. */
  firstSeen: Micros | null;
  lastSeen: Micros | null;
  /** The last status or state the records gave it. */
  state: string | null;
  exitCode: string | null;
}

/** An account an archive knows, used or not: reports list it, with zeros when it used nothing. */
export interface AccountRecord {
  source: Source;
  cluster: string;
  account: string;
}

/**
 * What a source's records of one cluster cover: from the first time they observe to the last. Nomad: the first and
 * last snapshot; batch records: their first start to the time of their last dump (else their last end).
 */
export interface SpanRecord {
  source: Source;
  cluster: string;
  first: Micros;
  last: Micros;
}

/**
 * Why a file, line or job was skipped: one of a fixed set of texts, each naming a kind of fault. None holds anything
 * read from the archive (a value, a name, a path, a file's content): that goes in the problem's private detail.
 */
export type ProblemReason = ShapeReason | ListingReason | SnapshotReason | JobReason | SegmentReason | UserDatabaseReason | BatchReason;

/** Something in the archive that was skipped, and why. */
export interface Problem {
  /** Path relative to the archive root, with `/` separators. */
  file: string;
  /** The line of a record in a line-based file (a dump, an accounting file), from 1; null otherwise. */
  line: number | null;
  /** The account of the job (a Nomad namespace…), null for a whole file. */
  account: string | null;
  job: string | null;
  /** Public: the same text for every file or job skipped for the same kind of fault. */
  reason: ProblemReason;
  /**
   * Private: what was found (a value, the JSON parser's message quoting the file, another file's path), for the
   * archive's administrator; null when the reason says it all.
   */
  detail: string | null;
}

/** A whole file (or folder) skipped, why, and what was found. */
export function fileProblem(file: string, reason: ProblemReason, detail: string | null = null): Problem {
  return { file, line: null, account: null, job: null, reason, detail };
}
