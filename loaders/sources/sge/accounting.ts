import type { SgeReason } from "./reasons.js";

/**
 * A line of a Grid Engine accounting file (accounting(5)), split into the fields the adapter reads, as written.
 *
 * Every writer shares the first 39 fields (qname … io), then the category, then iow, pe_taskid and maxvmem: SGE 6.0
 * stops there (43 fields); SGE 6.2 and Son of Grid Engine 8.1 add arid and ar_submission_time (45); Univa GE 8.0/8.1
 * job_class (46); Univa GE 8.2 qdel_info, maxrss, maxpss, submit_host, cwd and submit_cmd (52), 8.3 wallclock (53),
 * 8.4 ioops (54), later Univa and Altair releases more (74 and up).
 */
export interface AccountingLine {
  qname: string;
  /** The host the job (a parallel job's master task) ran on. */
  hostname: string;
  group: string;
  owner: string;
  jobName: string;
  jobNumber: string;
  submissionTime: string;
  startTime: string;
  endTime: string;
  failed: string;
  exitStatus: string;
  project: string;
  grantedPe: string;
  slots: string;
  taskNumber: string;
  /** The job's pseudo options (`-l h_rt=24:00:00 -pe smp 4`): the one field that may hold colons. */
  category: string;
  /** `NONE` for a job's own line; `<n>.<host>` for a task a parallel job started with `qrsh -inherit`. */
  peTaskId: string;
}

/** A line that cannot be split into a known layout, and what was found. */
interface LayoutFault {
  reason: SgeReason;
  detail: string;
}

/** The category's position: the fields before it are the same in every layout. */
const CATEGORY = 39;
/** Fields after maxvmem in the layouts with fixed fields only: SGE 6.0, SGE 6.2 / SoGE 8.1, Univa 8.0/8.1. */
const FIXED_TAILS = new Set([0, 2, 3]);
/** Fields after maxvmem in Univa 8.2 and later, whose cwd and submit_cmd may hold colons: at least 9. */
const UNIVA_TAIL = 9;
/** After maxvmem: arid and ar_submission_time, whole numbers; in Univa 8.2 and later, maxrss and maxpss, numbers. */
const ARID = 0;
const MAXRSS = 4;

/** A number as `%f` or `%d` print it (iow, maxvmem), `nan` and `inf` included. */
const PRINTED_NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+|nan|inf)$/i;
const PE_TASK_ID = /^(?:NONE|none|\d+\.\S+)$/;
const WHOLE = /^\d+$/;

/**
 * The fields of a record line. The category may hold colons (`-l h_rt=24:00:00`, which accounting(5) does not
 * escape): it ends where iow, pe_taskid and maxvmem first follow it, a number, `NONE` or `<n>.<host>`, and a number;
 * after them come as many fields as a known layout has, numbers where it has numbers (arid…, maxrss, maxpss), or the
 * line is not a record (two records run together when a write was cut).
 */
export function splitAccountingLine(text: string): AccountingLine | LayoutFault {
  const fields = text.split(":");
  if (fields.length < CATEGORY + 4) {
    return { reason: "a line with fewer fields than any Grid Engine accounting layout", detail: `${fields.length} fields` };
  }
  const numbers = (from: number, pattern: RegExp) => pattern.test(fields[from]!) && pattern.test(fields[from + 1]!);
  let iow = CATEGORY + 1;
  while (iow + 3 <= fields.length && !(PRINTED_NUMBER.test(fields[iow]!) && PE_TASK_ID.test(fields[iow + 1]!) && PRINTED_NUMBER.test(fields[iow + 2]!))) iow++;
  const tail = fields.length - iow - 3;
  const known =
    tail >= 0 &&
    (FIXED_TAILS.has(tail) || tail >= UNIVA_TAIL) &&
    (tail < 2 || numbers(iow + 3 + ARID, WHOLE)) &&
    (tail < UNIVA_TAIL || numbers(iow + 3 + MAXRSS, PRINTED_NUMBER));
  if (!known) return { reason: "a line whose fields after the category match no Grid Engine accounting layout", detail: `${fields.length} fields` };
  const at = (index: number) => fields[index]!;
  return {
    qname: at(0),
    hostname: at(1),
    group: at(2),
    owner: at(3),
    jobName: at(4),
    jobNumber: at(5),
    submissionTime: at(8),
    startTime: at(9),
    endTime: at(10),
    failed: at(11),
    exitStatus: at(12),
    project: at(31),
    grantedPe: at(33),
    slots: at(34),
    taskNumber: at(35),
    category: fields.slice(CATEGORY, iow).join(":"),
    peTaskId: at(iow + 1),
  };
}

/**
 * The hard resource requests of a category, `-l name=value,…` (a name alone has the value ""); not those after
 * `-soft` (until `-hard`), which the scheduler may not have granted. A name requested twice keeps its last value.
 */
export function hardRequests(category: string): Map<string, string> {
  const requests = new Map<string, string>();
  const tokens = category.split(/\s+/);
  let soft = false;
  for (const [index, token] of tokens.entries()) {
    if (token === "-soft") soft = true;
    else if (token === "-hard") soft = false;
    else if (token === "-l" && !soft) {
      for (const request of (tokens[index + 1] ?? "").split(",")) {
        const equals = request.indexOf("=");
        if (request !== "") requests.set(equals < 0 ? request : request.slice(0, equals), equals < 0 ? "" : request.slice(equals + 1));
      }
    }
  }
  return requests;
}

/** sge_types(5)'s memory multipliers: lower case powers of 1000, upper case powers of 1024, none for bytes. */
const MULTIPLIERS: Record<string, number> = { "": 1, k: 1e3, K: 2 ** 10, m: 1e6, M: 2 ** 20, g: 1e9, G: 2 ** 30, t: 1e12, T: 2 ** 40 };
const MEMORY = /^(\d+(?:\.\d*)?|\.\d+)([kKmMgGtT]?)$/;

/** A memory specifier (`512M`, `1.000G`, `5000000000`) in MiB; null for `INFINITY` or anything else it is not. */
export function memoryMiB(specifier: string): number | null {
  const match = MEMORY.exec(specifier);
  return match ? (Number(match[1]) * MULTIPLIERS[match[2]!]!) / 2 ** 20 : null;
}
