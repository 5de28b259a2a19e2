import type { IntervalRecord, JobRecord, Problem } from "../../model/records.js";
import { EARLIEST_TIME, type Micros } from "../../model/time.js";
import type { BatchFile, BatchReason, BatchSource, LineResult } from "../batch/records.js";
import { hardRequests, memoryMiB, splitAccountingLine, type AccountingLine } from "./accounting.js";

const WHOLE = /^\d+$/;
const SIGNED = /^-?\d+$/;
/** A time at least this large is in milliseconds (Univa GE 8.2 and later): as seconds it would be after the year 5000. */
const MILLISECONDS_FROM = 1e11;
/** `failed` codes of a job that ran until a signal ended it: 100 "assumedly after job" (qdel, a limit), 37 "qmaster enforced h_rt, h_cpu, or h_vmem limit". */
const KILLED = new Set([37, 100]);

const isNone = (value: string) => value === "NONE" || value === "none" || value === "";

function lineProblem(file: BatchFile, line: number, account: string | null, job: string | null, reason: BatchReason, detail: string | null): Problem {
  return { file: file.path, line, account, job, reason, detail };
}

/** submission_time, start_time and end_time as instants, null where 0 (not set); undefined when one is not a time. */
function instants(fields: AccountingLine): [submission: Micros | null, start: Micros | null, end: Micros | null] | undefined {
  const texts = [fields.submissionTime, fields.startTime, fields.endTime];
  if (!texts.every((text) => WHOLE.test(text) && text.length <= 15)) return undefined;
  const values = texts.map(Number);
  const unit = Math.max(...values) >= MILLISECONDS_FROM ? 1_000 : 1_000_000;
  const times = values.map((value) => (value === 0 ? null : value * unit));
  return times.every((time) => time === null || time >= EARLIEST_TIME) ? (times as [Micros | null, Micros | null, Micros | null]) : undefined;
}

/**
 * What became of a run: `not started` (no start_time: it failed before its job script, and Grid Engine may try it
 * again), `running` (started, no end_time), `killed` (a signal ended it: `failed` 100 or 37), `failed` (another
 * `failed` code, or a nonzero exit_status), `completed`.
 */
function runState(start: Micros | null, end: Micros | null, failed: number, exitStatus: number): string {
  if (start === null) return "not started";
  if (end === null) return "running";
  if (KILLED.has(failed)) return "killed";
  return failed !== 0 || exitStatus !== 0 ? "failed" : "completed";
}

/** The record of one line of an accounting file, a problem, or null for a header, a blank line or a parallel task's line. */
function accountingLineResult(file: BatchFile, text: string, number: number): LineResult {
  // qacct skips lines of one character or less; `#` starts the header SoGE and Univa write.
  if (text.trim().length <= 1 || text.startsWith("#")) return null;
  const fields = splitAccountingLine(text);
  if ("reason" in fields) return lineProblem(file, number, null, null, fields.reason, fields.detail);
  // A task a parallel job started with `qrsh -inherit` (accounting_summary FALSE): its line repeats the job's slots,
  // and its run lies within the run of the job's own line, written after it; it holds nothing that line does not.
  if (!isNone(fields.peTaskId)) return null;
  const account = isNone(fields.project) ? fields.group : fields.project;
  if (!WHOLE.test(fields.jobNumber) || !WHOLE.test(fields.taskNumber)) {
    const detail = `job_number ${JSON.stringify(fields.jobNumber)}, task_number ${JSON.stringify(fields.taskNumber)}`;
    return lineProblem(file, number, account, null, "a job number or array task number that is not a whole number", detail);
  }
  const task = Number(fields.taskNumber);
  // Grid Engine writes task 0 for a job that is not an array job, its index (from 1) for an array task.
  const jobId = task === 0 ? String(Number(fields.jobNumber)) : `${Number(fields.jobNumber)}.${task}`;
  const problem = (reason: BatchReason, detail: string) => lineProblem(file, number, account, jobId, reason, detail);
  if (!WHOLE.test(fields.slots)) return problem("a slot count that is not a whole number", JSON.stringify(fields.slots));
  if (!SIGNED.test(fields.failed) || !SIGNED.test(fields.exitStatus)) {
    return problem(
      "a failure code or exit status that is not a whole number",
      `failed ${JSON.stringify(fields.failed)}, exit_status ${JSON.stringify(fields.exitStatus)}`,
    );
  }
  const times = instants(fields);
  const timesText = `submission_time ${fields.submissionTime}, start_time ${fields.startTime}, end_time ${fields.endTime}`;
  if (times === undefined) return problem("a time that is not a whole number of seconds or milliseconds since 2000", timesText);
  const [submitTime, startTime, endTime] = times;
  let end = endTime;
  if (startTime !== null && endTime === null) {
    if (file.time === null) return problem("a job still running in a file whose name gives no time (YYYY-MM-DDTHH:MM:SS.<ext>)", timesText);
    end = file.time;
  }
  if (startTime !== null && end !== null && end < startTime)
    return problem("a job that ends before it starts", endTime === null ? `start_time ${fields.startTime}, file time ${file.time}` : timesText);

  const slots = Number(fields.slots);
  const requests = hardRequests(fields.category);
  const numProc = requests.get("num_proc");
  const gpu = requests.get("gpu");
  const memory = requests.get("m_mem_free") ?? requests.get("mem_free") ?? requests.get("h_vmem");
  const memoryPerSlot = memory === undefined ? null : memoryMiB(memory);
  const job: JobRecord = {
    source: "sge",
    cluster: file.cluster,
    account,
    jobId,
    owner: fields.owner,
    name: fields.jobName,
    kind: null,
    title: null,
    dockerImage: null,
    datacenter: null,
    queue: fields.qname,
    qos: null,
    group: fields.group,
    // The line names one host; a parallel job's other hosts are not in it.
    nodes: startTime !== null && (isNone(fields.grantedPe) || slots === 1) ? 1 : null,
    nodeNames: startTime === null || isNone(fields.hostname) ? null : [fields.hostname],
    submitTime,
    startTime,
    endTime,
    firstSeen: null,
    lastSeen: null,
    state: runState(startTime, endTime, Number(fields.failed), Number(fields.exitStatus)),
    exitCode: startTime === null ? null : fields.exitStatus,
  };
  const interval: IntervalRecord | null =
    startTime === null || end === null
      ? null
      : {
          source: "sge",
          cluster: file.cluster,
          account,
          owner: fields.owner,
          jobId,
          allocId: null,
          start: startTime,
          end,
          firstSnapshot: null,
          lastSnapshot: null,
          resources: {
            cpu_num: Math.max(slots, numProc !== undefined && WHOLE.test(numProc) ? Number(numProc) : 0),
            cpu_MHz: null,
            // `-l gpu=N` counts the job's GPUs (a JOB consumable, as Open XDMoD reads it); none requested: none held.
            gpu_num: gpu === undefined ? 0 : WHOLE.test(gpu) ? Number(gpu) : null,
            // Memory requests are per slot.
            memory_MB: memoryPerSlot === null ? null : memoryPerSlot * slots,
            disk_MB: null,
          },
        };
  // A run is its job, array task, submission and start: the same line in a rotated copy is the same run; a job
  // Grid Engine started again (rescheduled) is another run of it.
  return { job, interval, run: `${jobId}@${submitTime ?? 0}@${startTime ?? 0}` };
}

/**
 * Grid Engine accounting files (`<archive>/sge/**\/accounting*`, accounting(5)) of SGE 6.x, Son of Grid Engine 8.1
 * and Univa/Altair GE 8.2 and later (times in milliseconds). A line is a run of a job or of an array task (job id
 * `123` or `123.4`) on `slots` cores (more if it requested `num_proc`), with the GPUs of its `-l gpu=N` and the
 * memory of its `-l m_mem_free`, `mem_free` or `h_vmem` per slot; charged to its project, else its Unix group. The
 * cluster is the file's folder below `sge/`.
 */
export const sgeSource: BatchSource = {
  source: "sge",
  folder: "sge",
  // `accounting` and its rotated copies (`accounting.1`, `accounting-20240501`; gzipped ones too: the ingest
  // decompresses them).
  matches: (name) => name.startsWith("accounting"),
  parser: (file) => ({ line: (text, number) => accountingLineResult(file, text, number) }),
};
