import type { ShapeReason } from "../../model/json-shape.js";
import type { IntervalRecord, JobRecord, Problem } from "../../model/records.js";
import { EARLIEST_TIME, formatInstant, type Micros } from "../../model/time.js";
import { hostNames } from "../batch/hostlist.js";
import type { BatchFile, BatchReason, BatchRecord } from "../batch/records.js";
import { decimalJobId } from "./job-id.js";
import { isRecord, parseJson, shown } from "./json-text.js";
import { resourceSetCounts, type ResourceSetCounts } from "./resource-set.js";

/**
 * One Flux job, as the job-list service gives it (JSON Lines, `flux jobs --from-stdin`), as `flux jobs --json` prints
 * it, or as flux-accounting's job archive keeps it (R and jobspec as JSON text), made a batch record: its account is
 * its bank, its run lasts from `t_run` (when the scheduler allocated its resources) to `t_inactive` (when Flux had
 * released them and cleaned up), or to the file's time while it runs.
 */

/** Flux's job states (RFC 21), the n-th being state 2^n in job-list's records. */
const STATES = ["NEW", "DEPEND", "PRIORITY", "SCHED", "RUN", "CLEANUP", "INACTIVE"] as const;
/** Flux's job results, the n-th being result 2^n in job-list's records. */
const RESULTS = ["COMPLETED", "FAILED", "CANCELED", "TIMEOUT"] as const;

/** The account of a job that names no bank: flux-accounting then charges the user's default bank, which the record does not name. */
const NO_BANK = "default";

const MICROS_PER_SECOND = 1_000_000;
const EARLIEST_SECONDS = EARLIEST_TIME / MICROS_PER_SECOND;

class Fault extends Error {
  constructor(
    readonly reason: BatchReason | ShapeReason,
    readonly detail: string | null = null,
  ) {
    super(reason);
  }
}

const fail = (reason: BatchReason | ShapeReason, detail: string | null = null): never => {
  throw new Fault(reason, detail);
};
const wrongType = (name: string, value: unknown): never => fail("a field of the wrong type", `${name}: ${shown(value)}`);

/** A field's value; a JSON null (a missing column of an exported table) is no value. */
const field = (record: Record<string, unknown>, name: string): unknown => record[name] ?? undefined;

function text(record: Record<string, unknown>, name: string, label = name): string | null {
  const value = field(record, name);
  if (value === undefined) return null;
  return typeof value === "string" ? value || null : wrongType(label, value);
}

function integer(record: Record<string, unknown>, name: string, minimum = -Infinity): number | null {
  const value = field(record, name);
  if (value === undefined) return null;
  return typeof value === "number" && Number.isSafeInteger(value) && value >= minimum ? value : wrongType(name, value);
}

const count = (record: Record<string, unknown>, name: string) => integer(record, name, 0);

/**
 * Seconds since 1970 as Flux writes them (a double, printed to its shortest exact decimal form) to the nearest
 * microsecond, from its decimal digits: integer arithmetic, so that `1579463919.4045851` is exactly `…919404585`.
 */
function secondsToMicros(seconds: number): Micros {
  const [whole = "", fraction = ""] = String(seconds).split(".");
  return Number(whole) * MICROS_PER_SECOND + Math.round(Number(fraction.slice(0, 7).padEnd(7, "0")) / 10);
}

/** A time; 0 is none, as Flux writes an unset time (`flux jobs` prints a missing `t_run` as `0.0`). */
function time(record: Record<string, unknown>, name: string): Micros | null {
  const value = field(record, name);
  if (value === undefined || value === 0) return null;
  if (typeof value !== "number") return wrongType(name, value);
  if (!(value >= EARLIEST_SECONDS && value * MICROS_PER_SECOND <= Number.MAX_SAFE_INTEGER)) fail("a time before 2000 or too large", `${name}: ${value}`);
  return secondsToMicros(value);
}

/** A state or result, as job-list's number (a power of 2) or `flux jobs --json`'s name. */
function named(record: Record<string, unknown>, name: string, names: readonly string[]): string | null {
  const value = field(record, name);
  if (value === undefined) return null;
  const found =
    typeof value === "number" ? names[Math.log2(value)] : typeof value === "string" ? names.find((known) => known === value) : wrongType(name, value);
  return found ?? fail("an unknown state or result", `${name}: ${shown(value)}`);
}

/** A field holding JSON, as an object or (flux-accounting's R and jobspec columns) as its text. */
function embedded(record: Record<string, unknown>, name: string): Record<string, unknown> | null {
  let value = field(record, name);
  if (value === undefined) return null;
  if (typeof value === "string") {
    const parsed = parseJson(value);
    if ("shape" in parsed) fail(parsed.shape, name);
    if ("error" in parsed) fail("an R or jobspec that is not valid JSON", `${name}: ${parsed.error}`);
    if ("value" in parsed) value = parsed.value;
  }
  return isRecord(value) ? value : wrongType(name, value);
}

/**
 * The hosts the job ran on: `flux jobs`' nodelist (a host list, a host once per broker rank), else its R's
 * `execution.nodelist`; null when neither names them or a list cannot be read (the job counts all the same).
 */
function nodeNames(record: Record<string, unknown>): string[] | null {
  const listed = text(record, "nodelist");
  const execution = listed === null ? embedded(record, "R")?.execution : undefined;
  const lists = listed !== null ? [listed] : isRecord(execution) && Array.isArray(execution.nodelist) ? execution.nodelist : [];
  return hostNames(lists.filter((list): list is string => typeof list === "string").join(","));
}

/** The bank of the job: job-list's `bank`, else the jobspec's `attributes.system.bank` (flux-accounting's records). */
function bankOf(record: Record<string, unknown>): string {
  const jobspec = embedded(record, "jobspec");
  const attributes = jobspec && isRecord(jobspec.attributes) ? jobspec.attributes : {};
  const system = isRecord(attributes.system) ? attributes.system : {};
  const specified = text(system, "bank", "jobspec.attributes.system.bank");
  return text(record, "bank") ?? specified ?? NO_BANK;
}

function resourceSet(record: Record<string, unknown>): ResourceSetCounts | null {
  const R = embedded(record, "R");
  return R && (resourceSetCounts(R) ?? fail("an R that is not an RFC 20 resource set", shown(R)));
}

/**
 * The exit code as `flux jobs` computes `returncode`: the record's own, else from the wait status (the exit status, or
 * minus the signal that killed the job shell), else -128 for a job canceled before it ran and 1 for one that failed
 * before it ran; null while the job is active.
 */
function exitCode(returncode: number | null, waitstatus: number | null, result: string | null): string | null {
  if (returncode !== null) return String(returncode);
  if (waitstatus !== null) {
    const signal = waitstatus & 0x7f;
    return signal === 0 ? String((waitstatus >> 8) & 0xff) : signal === 0x7f ? null : String(-signal);
  }
  return result === "CANCELED" ? "-128" : result === "FAILED" ? "1" : null;
}

/** The run of one job of a Flux file, or why it is skipped. */
export function fluxJob(record: Record<string, unknown>, file: BatchFile, line: number): BatchRecord | Problem {
  let jobId: string | null = null;
  let account: string | null = null;
  try {
    const id = field(record, "id") ?? field(record, "jobid");
    jobId = decimalJobId(id) ?? fail("a job record without a valid job id", shown(id));
    account = bankOf(record);
    const username = text(record, "username");
    const userid = count(record, "userid");
    const owner = username ?? (userid === null ? fail("a job record without its user (username or userid)") : String(userid));
    const [submitted, started, inactive] = [time(record, "t_submit"), time(record, "t_run"), time(record, "t_inactive")];
    const state = named(record, "state", STATES);
    const result = named(record, "result", RESULTS);
    const counts = resourceSet(record);
    const nodes = count(record, "nnodes") ?? counts?.nodes ?? null;
    const cores = count(record, "ncores") ?? counts?.cores ?? null;
    const gpus = count(record, "ngpus") ?? counts?.gpus ?? null;
    const returned = exitCode(integer(record, "returncode"), count(record, "waitstatus"), result);
    const job: JobRecord = {
      source: "flux",
      cluster: file.cluster,
      account,
      jobId,
      owner,
      name: text(record, "name"),
      kind: null,
      title: null,
      dockerImage: null,
      datacenter: null,
      queue: text(record, "queue"),
      qos: null,
      group: null,
      nodes,
      nodeNames: started === null ? null : nodeNames(record),
      submitTime: submitted,
      startTime: started,
      endTime: inactive,
      firstSeen: null,
      lastSeen: null,
      state: result ?? state,
      exitCode: returned,
    };
    let interval: IntervalRecord | null = null;
    if (started !== null) {
      const end =
        inactive ??
        (state === "INACTIVE" ? fail("an inactive job without its end (t_inactive)") : null) ??
        file.time ??
        fail("a job still running in a file whose name gives no time (YYYY-MM-DDTHH:MM:SS.<ext>)");
      if (end < started) fail("a job that ends before it starts", `start ${formatInstant(started)}, end ${formatInstant(end)}`);
      interval = {
        source: "flux",
        cluster: file.cluster,
        account,
        owner,
        jobId,
        allocId: null,
        start: started,
        end,
        firstSnapshot: null,
        lastSnapshot: null,
        resources: { cpu_num: cores, cpu_MHz: null, gpu_num: gpus, memory_MB: null, disk_MB: null },
      };
    }
    return { job, interval, run: jobId };
  } catch (error) {
    if (!(error instanceof Fault)) throw error;
    return { file: file.path, line, account, job: jobId, reason: error.reason, detail: error.detail };
  }
}
