import { EARLIEST_TIME, formatInstant, GO_ZERO_TIME, MICROS_PER_DAY, parseRfc3339, parseSubmitTime, type Micros } from "../../model/time.js";
import { RESOURCES, type Resource, type Resources } from "../../model/resources.js";

/** Far beyond what one job can hold (a whole cluster of today's largest nodes): more is a broken record. */
const MAX_RESOURCES: Resources = { cpu_num: 100_000, cpu_MHz: 1e9, gpu_num: 10_000, memory_MB: 1e10, disk_MB: 1e12 };

const JOB_KINDS = ["module", "tool", "batch"] as const;
export type JobKind = (typeof JOB_KINDS)[number] | "other";

/** One job as one snapshot saw it, validated. */
export interface Job {
  id: string;
  name: string;
  kind: JobKind;
  status: string;
  owner: string;
  /** Free text typed by the user: personal data, for private builds only. */
  title: string | null;
  dockerImage: string | null;
  datacenter: string | null;
  allocId: string | null;
  submitTime: Micros | null;
  /** Main task `StartedAt`; null when the job never started. */
  allocStart: Micros | null;
  /** Main task `FinishedAt`; null while running (Go zero time) or when absent. */
  allocEnd: Micros | null;
  resources: Resources;
}

/** Fields every job must have, as non-empty strings. */
type RequiredField = "name" | "status" | "job_ID" | "owner";
/** Times a job may have: Go's zero time, empty or absent when unknown. */
type TimeField = "alloc_start" | "alloc_end" | "submit_time";
type OptionalField = "title" | "docker_image" | "datacenter" | "alloc_ID" | TimeField;

/**
 * Why a job is rejected: a fixed text per kind of fault, naming the field but never what it holds (that is the
 * problem's detail), so that it can be published.
 */
export type JobReason =
  | "job is not an object"
  | `${RequiredField} is not a non-empty string`
  | `${OptionalField} is not a string`
  | `${TimeField} is not a valid time`
  | `${TimeField} is before 2000`
  | `${TimeField} is after the snapshot that lists the job`
  | "resources is not an object"
  | `resources.${Resource} is not a non-negative number`
  | `resources.${Resource} is more than one job can hold`
  | "dead, with alloc_end before alloc_start";

/** A valid job, or why it is rejected and, privately, what the record held (null when the reason says it all). */
type JobReading = { job: Job } | { jobId: string | null; reason: JobReason; detail: string | null };

class InvalidJob extends Error {
  constructor(
    readonly reason: JobReason,
    readonly detail: string | null,
  ) {
    super(reason);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function requiredString(job: Record<string, unknown>, field: RequiredField): string {
  const value = job[field];
  if (typeof value !== "string" || value === "") throw new InvalidJob(`${field} is not a non-empty string`, describe(value));
  return value;
}

function optionalString(job: Record<string, unknown>, field: OptionalField): string | null {
  const value = job[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw new InvalidJob(`${field} is not a string`, describe(value));
  return value;
}

/** A time that is Go's zero time or absent is null; one before 2000 or after the snapshot that lists the job is wrong. */
function optionalTime(job: Record<string, unknown>, field: TimeField, parse: (text: string) => Micros | undefined, seenAt: Micros): Micros | null {
  const text = optionalString(job, field);
  if (text === null || text === "" || text === GO_ZERO_TIME) return null;
  const time = parse(text);
  if (time === undefined) throw new InvalidJob(`${field} is not a valid time`, describe(text));
  if (time < EARLIEST_TIME) throw new InvalidJob(`${field} is before 2000`, describe(text));
  if (time > seenAt + MICROS_PER_DAY)
    throw new InvalidJob(`${field} is after the snapshot that lists the job`, `${describe(text)}, snapshot of ${formatInstant(seenAt)}`);
  return time;
}

function readResources(value: unknown): Resources {
  if (!isRecord(value)) throw new InvalidJob("resources is not an object", describe(value));
  const resources = {} as Resources;
  for (const name of RESOURCES) {
    const amount = value[name];
    if (typeof amount !== "number" || !Number.isFinite(amount) || amount < 0) {
      throw new InvalidJob(`resources.${name} is not a non-negative number`, describe(amount));
    }
    if (amount > MAX_RESOURCES[name]) throw new InvalidJob(`resources.${name} is more than one job can hold`, `${amount}, more than ${MAX_RESOURCES[name]}`);
    resources[name] = amount;
  }
  return resources;
}

/** What a field held, for a problem's detail: its type, and a string's first 40 characters or a number. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === "number") return String(value);
  return typeof value === "undefined" ? "missing" : `a ${typeof value}`;
}

function jobKind(name: string): JobKind {
  const prefix = name.slice(0, name.indexOf("-"));
  return (JOB_KINDS as readonly string[]).includes(prefix) ? (prefix as JobKind) : "other";
}

/**
 * Validates one element of a namespace's job array, listed by the snapshot taken at `seenAt`; a job with a field
 * of the wrong type or an impossible time is rejected whole.
 */
export function readJob(value: unknown, seenAt: Micros): JobReading {
  if (!isRecord(value)) return { jobId: null, reason: "job is not an object", detail: describe(value) };
  const jobId = typeof value.job_ID === "string" && value.job_ID !== "" ? value.job_ID : null;
  try {
    const name = requiredString(value, "name");
    const status = requiredString(value, "status");
    const allocStart = optionalTime(value, "alloc_start", parseRfc3339, seenAt);
    const allocEnd = optionalTime(value, "alloc_end", parseRfc3339, seenAt);
    if (status === "dead" && allocStart !== null && allocEnd !== null && allocEnd < allocStart) {
      throw new InvalidJob("dead, with alloc_end before alloc_start", `alloc_start ${formatInstant(allocStart)}, alloc_end ${formatInstant(allocEnd)}`);
    }
    return {
      job: {
        id: requiredString(value, "job_ID"),
        name,
        kind: jobKind(name),
        status,
        owner: requiredString(value, "owner"),
        title: optionalString(value, "title"),
        dockerImage: optionalString(value, "docker_image"),
        datacenter: optionalString(value, "datacenter"),
        allocId: optionalString(value, "alloc_ID"),
        submitTime: optionalTime(value, "submit_time", parseSubmitTime, seenAt),
        allocStart,
        allocEnd,
        resources: readResources(value.resources),
      },
    };
  } catch (error) {
    if (error instanceof InvalidJob) return { jobId, reason: error.reason, detail: error.detail };
    throw error;
  }
}
