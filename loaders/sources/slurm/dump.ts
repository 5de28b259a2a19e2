import { hostNames } from "../batch/hostlist.js";
import type { BatchFile, BatchReason, LineParser, LineResult } from "../batch/records.js";
import { headerLayout, XDMOD_LAYOUT, type Layout } from "./fields.js";
import { allocatedGpus, allocatedMemory, parseTres, requestedMemory } from "./tres.js";
import type { JobRecord, Problem } from "../../model/records.js";
import { parseRfc3339, type Micros } from "../../model/time.js";

/**
 * A Slurm dump: what `sacct --parsable2` printed (`|` between fields), one line per job or job step, with a header
 * naming its fields in any order, or without one in Open XDMoD's 26 fields (`SACCT_FIELDS`). Times are in UTC (the
 * dump names no zone: `TZ=UTC sacct`). Each allocation line is a run of a job; its steps are skipped. Dumps made with
 * `sacct --truncate` cannot be read right: their times are cut to the dump's window.
 */

/** What a record needs, each group by one of its names: a header without one makes every record a problem. */
const NEEDED: readonly (readonly string[])[] = [["jobidraw", "jobid"], ["account"], ["user", "uid"], ["start"], ["end"], ["ncpus", "alloccpus"]];

/** `123`, an array task `123_4`, a pending array's tasks `123_[5-9%2]`, a heterogeneous job's component `123+1`. */
const ALLOCATION_ID = /^\d+(?:_(?:\d+|\[[\d,%-]+\]))?(?:\+\d+)?$/;
/** A job step: an allocation's id, a dot and the step (`123.batch`, `123_4.0`, `123+0.extern`). */
const STEP_ID = /^\d+(?:_(?:\d+|\[[\d,%-]+\]))?(?:\+\d+)?\.\w+$/;
const RAW_ID = /^\d+$/;
/** What sacct prints for a time (its default `SLURM_TIME_FORMAT`, ISO 8601 without a zone). */
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/;
/** A state, and the uid that cancelled the job, if any: `CANCELLED by 1234`. */
const STATE = /^([A-Z][A-Z_]*)(?: by \d+)?$/;
const COUNT = /^\d+$/;

/** A line's field by its lowercase name: undefined when the dump has no such field. */
type Field = (name: string) => string | undefined;

/** A field's value, null when empty or absent: a job may be named `None`, so only times take `Unknown` and `None` for none. */
const present = (text: string | undefined) => (text === undefined || text === "" ? null : text);

/** What a layout lacks of the fields a record needs, or null when it has them all. */
function missingFields(layout: Layout): string | null {
  const missing = NEEDED.filter((names) => !names.some((name) => layout.index.has(name))).map((names) => names.join(" or "));
  return missing.length > 0 ? missing.join(", ") : null;
}

/**
 * The fields of a line laid out as its header says: the job name takes the `|` it holds when it is the last field and
 * the only free text; undefined when the count still differs.
 */
function fitFields(fields: string[], layout: Layout): string[] | undefined {
  if (layout.trailingDelimiter && fields.length > 1 && fields[fields.length - 1] === "") fields = fields.slice(0, -1);
  if (fields.length > layout.count && layout.nameHoldsRest) fields = [...fields.slice(0, layout.count - 1), fields.slice(layout.count - 1).join("|")];
  return fields.length === layout.count ? fields : undefined;
}

/**
 * A parser for one dump: each line is a run (an allocation: a job, an array task, a heterogeneous job's component),
 * a problem, or nothing (a blank line, a `#` comment, a header, a job step). It holds only the layout of the last
 * header read, so a dump streams; a header further down (dumps joined end to end) replaces it.
 */
export function dumpParser(file: BatchFile): LineParser {
  let layout = XDMOD_LAYOUT;
  let missing: string | null = null;
  return {
    line(text: string, number: number): LineResult {
      if (text.trim() === "" || text.startsWith("#")) return null;
      const split = text.split("|");
      const header = headerLayout(split);
      if (header) {
        layout = header;
        missing = missingFields(header);
        return null;
      }
      const problem = (reason: BatchReason, detail: string | null, account: string | null = null, job: string | null = null): Problem => ({
        file: file.path,
        line: number,
        account,
        job,
        reason,
        detail,
      });
      const fields = fitFields(split, layout);
      if (!fields) {
        const counts = `${split.length} fields, ${layout.count} expected`;
        return layout.fromHeader
          ? problem("a line whose field count differs from its header's", counts)
          : problem("a line without a header whose field count is not the 26 of Open XDMoD's format", counts);
      }
      const field: Field = (name) => {
        const index = layout.index.get(name);
        return index === undefined ? undefined : fields[index];
      };
      const id = field("jobid") ?? field("jobidraw");
      if (id?.includes(".") || field("jobidraw")?.includes("."))
        return STEP_ID.test(id ?? "") ? null : problem("a job id that is not a Slurm job id", idDetail(field));
      if (missing) return problem("a dump whose header lacks a field the records need", missing, null, id ?? null);
      return allocation(file, field, problem);
    },
  };
}

type ProblemOf = (reason: BatchReason, detail: string | null, account?: string | null, job?: string | null) => Problem;

/** The ids a line gives, for a problem's detail: `JobID 123_4, JobIDRaw 127`. */
const idDetail = (field: Field) =>
  [
    ["JobID", field("jobid")],
    ["JobIDRaw", field("jobidraw")],
  ]
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name} ${value}`)
    .join(", ");

/** A time of the dump, in UTC: null when it has none (`Unknown`, `None`, empty), undefined when it is not a time. */
function sacctTime(text: string | undefined): Micros | null | undefined {
  const value = present(text);
  if (value === null || value === "Unknown" || value === "None") return null;
  return TIME.test(value) ? parseRfc3339(`${value}Z`) : undefined;
}

/** Slurm's `ElapsedRaw` (seconds) or `Elapsed` (`[D-]HH:MM:SS`, `MM:SS`) in µs; null when absent or not a duration. */
function elapsedMicros(raw: string | undefined, text: string | undefined): Micros | null {
  if (raw !== undefined && COUNT.test(raw)) return Number(raw) * 1_000_000;
  const match = text === undefined ? null : /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(text);
  if (!match) return null;
  const [, days = "0", hours = "0", minutes = "0", seconds = "0"] = match;
  return (((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1_000_000;
}

/** The run an allocation line describes, or why it cannot be used. The layout has every field `NEEDED`. */
function allocation(file: BatchFile, field: Field, problem: ProblemOf): LineResult {
  const displayId = field("jobid") ?? field("jobidraw")!;
  const rawId = field("jobidraw");
  if (!ALLOCATION_ID.test(displayId) || (rawId !== undefined && !RAW_ID.test(rawId))) return problem("a job id that is not a Slurm job id", idDetail(field));
  // JobIDRaw: an array task's own id (`123_4` is job 127), the same in every dump.
  const jobId = rawId ?? displayId;
  const account = field("account")!;
  if (account === "") return problem("a job without an account", null, null, jobId);
  const fail = (reason: BatchReason, detail: string | null) => problem(reason, detail, account, jobId);
  const owner = present(field("user")) ?? present(field("uid"));
  if (owner === null) return fail("a job without a user", null);

  const times: Record<"Submit" | "Start" | "End", Micros | null> = { Submit: null, Start: null, End: null };
  for (const name of ["Submit", "Start", "End"] as const) {
    const time = sacctTime(field(name.toLowerCase()));
    if (time === undefined) return fail("a time that is not YYYY-MM-DDTHH:MM:SS", `${name} ${field(name.toLowerCase())}`);
    times[name] = time;
  }
  const stateText = present(field("state"));
  const state = stateText === null ? null : STATE.exec(stateText)?.[1];
  if (state === undefined) return fail("a state that is not a Slurm job state word", `State ${stateText}`);
  const nodesText = present(field("nnodes")) ?? present(field("allocnodes"));
  if (nodesText !== null && !COUNT.test(nodesText)) return fail("a count of CPUs or nodes that is not a whole number", `NNodes ${nodesText}`);
  const nodes = nodesText === null ? null : Number(nodesText);

  const cluster = present(field("cluster")) ?? file.cluster;
  // Slurm writes a new record with a new submit time when it requeues a job (sacct --duplicates lists each).
  const run = `${jobId}@${field("submit") ?? ""}`;
  const neverStarted = times.Start === null || field("nodelist") === "None assigned" || state === "PENDING";
  const job: JobRecord = {
    source: "slurm",
    cluster,
    account,
    jobId,
    owner,
    name: present(field("jobname")),
    kind: null,
    title: null,
    dockerImage: null,
    datacenter: null,
    queue: present(field("partition")),
    qos: present(field("qos")),
    group: present(field("group")) ?? present(field("gid")),
    nodes,
    nodeNames: neverStarted ? null : hostNames(present(field("nodelist"))),
    submitTime: times.Submit,
    startTime: neverStarted ? null : times.Start,
    endTime: times.End,
    firstSeen: null,
    lastSeen: null,
    state,
    exitCode: present(field("exitcode")),
  };
  if (neverStarted) return { job, interval: null, run };

  const start = times.Start!;
  let end = times.End;
  if (end === null) {
    // Still running when the dump was taken: until then.
    if (file.time === null) return fail("a job still running in a file whose name gives no time (YYYY-MM-DDTHH:MM:SS.<ext>)", null);
    if (file.time < start) return fail("a job still running in a file named before it started", `Start ${field("start")}`);
    end = file.time;
  } else if (end < start) return fail("a job that ends before it starts", `Start ${field("start")}, End ${field("end")}`);
  else {
    // A job suspended a while holds its allocation only while it runs: Slurm's Elapsed (and CPUTimeRaw, Elapsed ×
    // NCPUS) leave the suspension out. When it is shorter than End − Start, the run lasts Elapsed from its start.
    const elapsed = elapsedMicros(field("elapsedraw"), field("elapsed"));
    if (elapsed !== null && start + elapsed < end) end = start + elapsed;
  }

  const coresText = field("ncpus") ?? field("alloccpus")!;
  if (!COUNT.test(coresText)) return fail("a count of CPUs or nodes that is not a whole number", `NCPUS ${coresText}`);
  const cores = Number(coresText);
  const tresText = field("alloctres");
  const tres = tresText === undefined ? undefined : parseTres(tresText);
  const gpus = tres && allocatedGpus(tres);
  const allocated = tres && allocatedMemory(tres);
  if (tresText !== undefined && (gpus === undefined || allocated === undefined))
    return fail("an AllocTRES that is not a list of name=count", `AllocTRES ${tresText}`);
  const reqMem = present(field("reqmem"));
  const requested = allocated ?? (reqMem === null ? null : requestedMemory(reqMem, cores, nodes));
  if (requested === undefined) return fail("a ReqMem that is not a memory size", `ReqMem ${reqMem}`);

  return {
    job,
    interval: {
      source: "slurm",
      cluster,
      account,
      owner,
      jobId,
      allocId: null,
      start,
      end,
      firstSnapshot: null,
      lastSnapshot: null,
      resources: { cpu_num: cores, cpu_MHz: null, gpu_num: gpus ?? null, memory_MB: requested, disk_MB: null },
    },
    run,
  };
}
