import { describe, expect, it } from "vitest";
import { isProblem, type BatchRecord } from "../../../../loaders/sources/batch/records.js";
import type { IntervalRecord, JobRecord } from "../../../../loaders/model/records.js";
import { SACCT_FIELDS } from "../../../../loaders/sources/slurm/fields.js";
import { slurmSource } from "../../../../loaders/sources/slurm/source.js";
import { fixture, linesOf, parseLines, problemsOf, recordsOf, utc } from "./helpers.js";

/** A job of the golden files, as the parser must give it: alice's, of the account physics, unless said otherwise. */
function job(jobId: string, fields: Partial<JobRecord>): JobRecord {
  return {
    source: "slurm",
    cluster: "alpha",
    account: "physics",
    jobId,
    owner: "alice",
    name: "job",
    kind: null,
    title: null,
    dockerImage: null,
    datacenter: null,
    queue: "cpu",
    qos: "normal",
    group: "phys",
    nodes: 1,
    nodeNames: ["node01"],
    submitTime: utc("2024-03-01T08:00:00"),
    startTime: utc("2024-03-01T09:00:00"),
    endTime: utc("2024-03-01T10:00:00"),
    firstSeen: null,
    lastSeen: null,
    state: "COMPLETED",
    exitCode: "0:0",
    ...fields,
  };
}

/** The run of a job that started: from its start to `end` (its end, unless still running), with these resources. */
function ran(job: JobRecord, resources: { cores: number; gpus: number | null; memory: number | null }, end = job.endTime): BatchRecord {
  const interval: IntervalRecord = {
    source: "slurm",
    cluster: job.cluster,
    account: job.account,
    owner: job.owner,
    jobId: job.jobId,
    allocId: null,
    start: job.startTime!,
    end: end!,
    firstSnapshot: null,
    lastSnapshot: null,
    resources: { cpu_num: resources.cores, cpu_MHz: null, gpu_num: resources.gpus, memory_MB: resources.memory, disk_MB: null },
  };
  return { job, interval, run: `${job.jobId}@${submitText(job)}` };
}

/** The run of a job that never started: in the jobs, consuming nothing. */
const neverRan = (job: JobRecord): BatchRecord => ({ job, interval: null, run: `${job.jobId}@${submitText(job)}` });

const submitText = (job: JobRecord) => new Date(job.submitTime! / 1000).toISOString().slice(0, 19);

const GOLDEN_FILE = { path: "slurm/2024-03-01T12:00:00.log", cluster: "files", time: utc("2024-03-01T12:00:00") };

describe("slurmSource", () => {
  it("reads every file of slurm/ but hidden ones", () => {
    expect([slurmSource.source, slurmSource.folder]).toEqual(["slurm", "slurm"]);
    for (const name of ["2024-03-01T12:00:00.log", "dump.txt", "phillips.log", "sacct", "accounting"]) expect(slurmSource.matches(name), name).toBe(true);
    for (const name of [".dump.log", ".2024-03-01T12:00:00.log.swp", "."]) expect(slurmSource.matches(name), name).toBe(false);
  });

  it("exports the 26 fields of Open XDMoD's format, in its order, as sacct --format takes them", () => {
    expect(SACCT_FIELDS.join(",")).toBe(
      "jobid,jobidraw,cluster,partition,qos,account,group,gid,user,uid,submit,eligible,start,end,elapsed,exitcode,state,nnodes,ncpus,reqcpus,reqmem,reqtres,alloctres,timelimit,nodelist,jobname",
    );
  });
});

describe("a dump without a header (Open XDMoD's 26 fields)", () => {
  const parsed = parseLines(linesOf(fixture("golden.log")), GOLDEN_FILE);
  const at = (line: number) => parsed[line - 1]!.result;
  const chemistry = { account: "chemistry", owner: "bob", group: "chem" };

  it("gives exactly these records, and nothing for the comment, the blank line and the job steps", () => {
    const nulls = parsed.filter(({ result }) => result === null).map(({ line }) => line);
    expect(nulls).toEqual([1, 3, 4, 6, 7, 9, 13]);
    expect(problemsOf(parsed)).toEqual([]);
    expect(recordsOf(parsed)).toHaveLength(15);
  });

  it("reads a job's times in UTC, its cores from NCPUS, its GPUs and memory from AllocTRES", () => {
    const train = job("1001", { queue: "gpu", name: "train", endTime: utc("2024-03-01T11:30:00") });
    expect(at(2)).toEqual(ran(train, { cores: 12, gpus: 2, memory: 31000 }));
    // `CANCELLED by <uid>` is CANCELLED; a size in G is 1024 MiB; a job listing no GPU in its AllocTRES has 0.
    const sim = job("1002", {
      ...chemistry,
      name: "sim",
      nodes: 2,
      nodeNames: ["node02", "node03"],
      submitTime: utc("2024-03-01T07:00:00"),
      startTime: utc("2024-03-01T07:10:00"),
      endTime: utc("2024-03-01T08:10:00"),
      state: "CANCELLED",
      exitCode: "0:15",
    });
    expect(at(5)).toEqual(ran(sim, { cores: 64, gpus: 0, memory: 64000 }));
  });

  it("counts an array task under its own JobIDRaw, and a pending array's tasks as one job that never started", () => {
    const task = job("2003", {
      name: "sweep",
      submitTime: utc("2024-03-01T06:00:00"),
      startTime: utc("2024-03-01T06:30:00"),
      endTime: utc("2024-03-01T07:00:00"),
    });
    // No memory in AllocTRES: ReqMem's 4000 MiB per CPU (`c`), times 4 cores.
    expect(at(8)).toEqual(ran(task, { cores: 4, gpus: 0, memory: 16000 }));
    expect(at(10)).toEqual(
      neverRan(job("2000", { name: "sweep", nodeNames: null, submitTime: utc("2024-03-01T06:00:00"), startTime: null, endTime: null, state: "PENDING" })),
    );
  });

  it("counts each component of a heterogeneous job", () => {
    const times = { submitTime: utc("2024-03-01T10:00:00"), startTime: utc("2024-03-01T10:05:00"), endTime: utc("2024-03-01T10:35:00") };
    // ReqMem 16 GiB per node (`n`), times the nodes.
    expect(at(11)).toEqual(ran(job("3000", { ...chemistry, ...times, name: "coupled", nodeNames: ["node04"] }), { cores: 2, gpus: 0, memory: 16384 }));
    expect(at(12)).toEqual(
      ran(job("3001", { ...chemistry, ...times, name: "coupled", nodes: 2, nodeNames: ["node05", "node06"] }), { cores: 8, gpus: 0, memory: 32768 }),
    );
  });

  it("runs a job still running until the time the dump is named after", () => {
    const long = job("4000", {
      queue: "gpu",
      name: "long",
      nodeNames: ["node07"],
      submitTime: utc("2024-03-01T11:00:00"),
      startTime: utc("2024-03-01T11:00:00"),
      endTime: null,
      state: "RUNNING",
    });
    // Typed GPUs alone (gres/gpu:tesla=2) count.
    expect(at(14)).toEqual(ran(long, { cores: 8, gpus: 2, memory: 30512 }, utc("2024-03-01T12:00:00")));
  });

  it("keeps jobs that never started (NodeList `None assigned`, Start Unknown) without consumption", () => {
    // Cancelled while pending: Slurm sets Start to the cancel time, but no node was assigned.
    const never = job("5000", {
      ...chemistry,
      name: "never",
      nodeNames: null,
      submitTime: utc("2024-03-01T04:00:00"),
      startTime: null,
      endTime: utc("2024-03-01T05:00:00"),
    });
    expect(at(15)).toEqual(neverRan({ ...never, state: "CANCELLED" }));
    const waiting = job("9000", {
      ...chemistry,
      name: "waiting",
      nodeNames: null,
      submitTime: utc("2024-03-01T11:59:00"),
      startTime: null,
      endTime: null,
      state: "PENDING",
    });
    expect(at(20)).toEqual(neverRan(waiting));
  });

  it("counts each run of a requeued job: same JobIDRaw, a new submit time", () => {
    const first = job("6000", {
      name: "retry",
      nodeNames: ["node08"],
      submitTime: utc("2024-03-01T01:00:00"),
      startTime: utc("2024-03-01T01:00:00"),
      endTime: utc("2024-03-01T02:00:00"),
    });
    const second = job("6000", {
      name: "retry",
      nodeNames: ["node08"],
      submitTime: utc("2024-03-01T02:00:05"),
      startTime: utc("2024-03-01T02:05:00"),
      endTime: utc("2024-03-01T03:00:00"),
    });
    expect(at(16)).toEqual(ran({ ...first, state: "REQUEUED" }, { cores: 2, gpus: 0, memory: 2000 }));
    expect(at(17)).toEqual(ran(second, { cores: 2, gpus: 0, memory: 2000 }));
    expect((at(16) as BatchRecord).run).not.toBe((at(17) as BatchRecord).run);
  });

  it("gives the job name, the last field, the `|` it holds", () => {
    expect(at(18)).toEqual(ran(job("7000", { name: "a|b|c", nodeNames: ["node09"] }), { cores: 1, gpus: 0, memory: 1000 }));
  });

  it("takes the file's cluster without Cluster, the UID without User, an unknown state word as it is", () => {
    const bare = job("8000", { cluster: "files", owner: "10001", nodeNames: ["node10"], name: null, queue: null, qos: null, state: "FOO", exitCode: null });
    // ReqMem 0 (`--mem=0`: all of a node's memory) says no amount: unknown.
    expect(at(19)).toEqual(ran(bare, { cores: 1, gpus: 0, memory: null }));
  });

  it("keeps text fields that read None or Unknown: only times take them for no value", () => {
    const named = linesOf(fixture("golden.log"))[1]!
      .replace("|gpu|normal|physics|", "|None|Unknown|physics|")
      .replace(/\|train$/, "|None");
    const [result] = recordsOf(parseLines([named], GOLDEN_FILE));
    expect([result?.job.name, result?.job.queue, result?.job.qos, result?.interval?.resources.cpu_num]).toEqual(["None", "None", "Unknown", 12]);
  });

  it("counts GPUs once when AllocTRES has both typed and untyped counts; an empty AllocTRES has none", () => {
    expect(at(21)).toEqual(ran(job("9100", { queue: "gpu", name: "typed", nodeNames: ["node11"] }), { cores: 4, gpus: 2, memory: 8192 }));
    expect(at(22)).toEqual(ran(job("9200", { name: "old-slurm", nodeNames: ["node12"] }), { cores: 2, gpus: 0, memory: 2000 }));
  });

  it("reports a job still running when the file's name gives no time, and changes nothing else", () => {
    const untimed = parseLines(linesOf(fixture("golden.log")), { path: "slurm/dump.log", cluster: "files", time: null });
    expect(problemsOf(untimed)).toEqual([
      {
        file: "slurm/dump.log",
        line: 14,
        account: "physics",
        job: "4000",
        reason: "a job still running in a file whose name gives no time (YYYY-MM-DDTHH:MM:SS.<ext>)",
        detail: null,
      },
    ]);
    expect(untimed.map(({ line, result }) => (line === 14 ? null : result))).toEqual(parsed.map(({ line, result }) => (line === 14 ? null : result)));
  });

  it("reports a job still running in a file named before it started", () => {
    const early = parseLines(linesOf(fixture("golden.log")), { path: "slurm/2024-03-01T10:59:59.log", cluster: "files", time: utc("2024-03-01T10:59:59") });
    expect(problemsOf(early).map(({ line, reason, detail }) => [line, reason, detail])).toEqual([
      [14, "a job still running in a file named before it started", "Start 2024-03-01T11:00:00"],
    ]);
  });
});

describe("broken lines", () => {
  const parsed = parseLines(linesOf(fixture("broken.log")), { path: "slurm/broken.log" });

  it("are each a problem naming the file, the line and the reason, with what was found", () => {
    const rows = problemsOf(parsed).map(({ file, line, account, job, reason, detail }) => [file, line, account, job, reason, detail]);
    const headerless = "a line without a header whose field count is not the 26 of Open XDMoD's format";
    const time = "a time that is not YYYY-MM-DDTHH:MM:SS";
    const count = "a count of CPUs or nodes that is not a whole number";
    const tres = "an AllocTRES that is not a list of name=count";
    expect(rows.map(([, ...row]) => row)).toEqual([
      [2, null, null, headerless, "3 fields, 26 expected"],
      [3, null, null, headerless, "25 fields, 26 expected"],
      [4, null, null, headerless, "1 fields, 26 expected"],
      [5, "physics", "11", time, "Start 2024-13-01T00:00:00"],
      [6, "physics", "12", time, "Start 2024-02-30T09:00:00"],
      [7, "physics", "13", time, "End yesterday"],
      [8, "physics", "14", time, "Submit 2024-03-01 08:00:00"],
      [9, "physics", "15", "a job that ends before it starts", "Start 2024-03-01T10:00:00, End 2024-03-01T09:59:59"],
      [10, null, null, "a job id that is not a Slurm job id", "JobID abc, JobIDRaw 16"],
      [11, null, null, "a job id that is not a Slurm job id", "JobID 17, JobIDRaw 17x"],
      [12, null, "18", "a job without an account", null],
      [13, "physics", "19", "a job without a user", null],
      [14, "physics", "20", count, "NCPUS twelve"],
      [16, "physics", "21", count, "NNodes -1"],
      [17, "physics", "22", tres, "AllocTRES cpu=4,gres/gpu=two"],
      [18, "physics", "23", tres, "AllocTRES garbage"],
      [19, "physics", "24", tres, "AllocTRES cpu=1,mem=4X"],
      [20, "physics", "25", "a ReqMem that is not a memory size", "ReqMem 100Mcd"],
      [21, "physics", "26", "a state that is not a Slurm job state word", "State completed"],
      [22, null, null, "a job id that is not a Slurm job id", "JobID 1.2.3, JobIDRaw 1.2.3"],
      [23, null, null, headerless, "14 fields, 26 expected"],
    ]);
    expect(new Set(rows.map(([file]) => file))).toEqual(new Set(["slurm/broken.log"]));
  });

  it("leave the good line among them as it is alone", () => {
    const good = recordsOf(parsed);
    expect(good).toEqual(recordsOf(parseLines([linesOf(fixture("broken.log"))[14]!])));
    expect(good.map(({ job }) => [job.jobId, job.name])).toEqual([["100", "good"]]);
  });

  it("give a problem for a last line cut short, which the ingest drops for a file being written", () => {
    const lines = linesOf(fixture("golden.log"));
    const cut = lines[1]!.slice(0, lines[1]!.indexOf("|COMPLETED"));
    expect(problemsOf(parseLines([cut])).map(({ reason, detail }) => [reason, detail])).toEqual([
      ["a line without a header whose field count is not the 26 of Open XDMoD's format", "16 fields, 26 expected"],
    ]);
  });

  it("never throw, whatever the text", () => {
    const garbage = ["|", "||||", "\u0000\u0001", "{", '  "jobs": [', "JobID|", "|JobID", "💥|".repeat(30), "1|".repeat(25) + "1", " ".repeat(3)];
    expect(() => parseLines(garbage)).not.toThrow();
    expect(recordsOf(parseLines(garbage))).toEqual([]);
  });
});

describe("a dump with a header", () => {
  it("reads the fields in the header's order, whatever their case", () => {
    const parsed = parseLines(linesOf(fixture("header.log")));
    expect(parsed[0]!.result).toBeNull();
    expect(parsed[2]!.result).toBeNull();
    // Without Cluster, QOS, ExitCode: the file's cluster, and nulls.
    const train = job("1001", { cluster: "files", queue: "gpu", qos: null, group: null, exitCode: null, name: "train", endTime: utc("2024-03-01T11:30:00") });
    expect(parsed[1]!.result).toEqual(ran(train, { cores: 12, gpus: 2, memory: 31000 }));
    // The job name is not the last field: a `|` in it shifts the others, and the line is a problem.
    expect(problemsOf(parsed).map(({ line, reason, detail }) => [line, reason, detail])).toEqual([
      [4, "a line whose field count differs from its header's", "16 fields, 15 expected"],
    ]);
    const lower = parseLines([linesOf(fixture("header.log"))[0]!.toLowerCase(), linesOf(fixture("header.log"))[1]!]);
    expect(lower[1]!.result).toEqual(parsed[1]!.result);
  });

  it("counts a job suspended a while for its Elapsed (ElapsedRaw) only, from its start, as sacct's CPUTimeRaw does", () => {
    const header = "JobIDRaw|Account|User|Submit|Start|End|Elapsed|ElapsedRaw|NCPUS|State";
    const parsed = parseLines([
      header,
      "7|physics|alice|2024-03-01T08:00:00|2024-03-01T09:00:00|2024-03-01T10:00:00|00:40:00|2400|2|COMPLETED",
      "8|physics|alice|2024-03-01T08:00:00|2024-03-01T09:00:00|2024-03-01T10:00:00|1-00:00:00||2|COMPLETED",
      "9|physics|alice|2024-03-01T08:00:00|2024-03-01T09:00:00|2024-03-01T10:00:00|00:20:00|junk|2|COMPLETED",
      "10|physics|alice|2024-03-01T08:00:00|2024-03-01T09:00:00|2024-03-01T10:00:00|junk||2|COMPLETED",
    ]);
    const ends = parsed.slice(1).map(({ result }) => (result as BatchRecord).interval?.end);
    // ElapsedRaw first; Elapsed else; never longer than End − Start; neither readable: End.
    expect(ends).toEqual([utc("2024-03-01T09:40:00"), utc("2024-03-01T10:00:00"), utc("2024-03-01T09:20:00"), utc("2024-03-01T10:00:00")]);
  });

  it("does not guess whose `|` a line has more when the job name is not the only free text", () => {
    const header = "JobID|Account|User|Submit|Start|End|NCPUS|Constraints|JobName";
    const line = "1|physics|alice|2024-03-01T08:00:00|2024-03-01T09:00:00|2024-03-01T10:00:00|4|intel|amd|train";
    expect(problemsOf(parseLines([header, line])).map(({ reason, detail }) => [reason, detail])).toEqual([
      ["a line whose field count differs from its header's", "10 fields, 9 expected"],
    ]);
  });

  it("reads sacct --parsable, whose lines end with a `|` more", () => {
    const parsed = parseLines(linesOf(fixture("parsable.log")));
    const train = job("1001", { queue: null, qos: null, group: null, nodeNames: null, exitCode: null, name: "a|b", endTime: utc("2024-03-01T11:30:00") });
    expect(parsed.map(({ result }) => result)).toEqual([
      null,
      ran(train, { cores: 12, gpus: 2, memory: 31000 }),
      null,
      // Without its last `|` (a line being written), the name is read all the same.
      ran({ ...train, jobId: "1002", name: "no trailing delimiter" }, { cores: 12, gpus: 0, memory: 31000 }),
    ]);
  });

  it("lacking a field the records need, makes each record a problem (job steps still skipped)", () => {
    const parsed = parseLines(linesOf(fixture("missing-fields.log")), { path: "slurm/missing.log" });
    expect(parsed.map(({ result }) => result)).toEqual([
      null,
      {
        file: "slurm/missing.log",
        line: 2,
        account: null,
        job: "1001",
        reason: "a dump whose header lacks a field the records need",
        detail: "account, ncpus or alloccpus",
      },
      null,
    ]);
  });

  it("alone, or an empty file, gives nothing", () => {
    expect(parseLines(linesOf(fixture("header-only.log"))).map(({ result }) => result)).toEqual([null]);
    expect(parseLines(linesOf("")).map(({ result }) => result)).toEqual([null]);
  });

  it("further down a dump (dumps joined end to end) lays out the lines after it", () => {
    const parsed = parseLines(linesOf(fixture("concatenated.log")));
    expect(parsed.map(({ result }) => result && !isProblem(result) && [result.job.jobId, result.job.account, result.interval?.resources.cpu_num])).toEqual([
      null,
      ["1001", "physics", 12],
      null,
      null,
      ["1002", "chemistry", 64],
    ]);
  });
});
