import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../../../loaders/queries/report.js";
import { temporaryFolder } from "../../../helpers/archive.js";
import { runCli } from "../../../helpers/cli.js";
import { startGridEngine, type GridEngine } from "../../../helpers/gridengine.js";
import { ROOT } from "../../../helpers/project.js";
import { archiveTables, type Row, type Tables } from "../../../helpers/tables.js";

/*
 * The Grid Engine adapter against Grid Engine itself. Jobs of every kind run on a real Grid Engine 8.1.9 (Debian's,
 * started by test/helpers/gridengine.ts); their lines of the accounting file are copied into an archive, and what
 * `accounting report` and the tables make of them is compared with what qacct sums from the same file. The same
 * comparison runs on the file and qacct outputs recorded from such a run (test/fixtures/sge/live/), everywhere.
 * `SGE_RECORD_FIXTURES=1` records the live run's there.
 */

const FIXTURES = join(ROOT, "test/fixtures/sge/live");

/** The qacct queries compared, each with the options it is run with (`qacct -f <file> <options>`). */
const QUERIES = [["-o"], ["-m", "-o"], ["-P"], ["-m", "-P"], ["-m", "-slots", "-o"], ["-m", "-slots", "-g", "-P"], ["-m", "-j"]] as const;
type Query = (typeof QUERIES)[number];
const queryFile = (query: Query) => `qacct${query.join("")}.txt`;

/** An accounting file (its header and the lines of the jobs below), and what qacct printed for each query on it. */
interface Recording {
  accounting: string;
  qacct: Map<Query, string>;
}

/**
 * The jobs run, by name: owner, qsub options, command (`-b y`: a shell runs it as one line), lines expected in the
 * accounting file. `tight` starts a task per slot with `qrsh -inherit` in a PE with `accounting_summary FALSE`;
 * `numproc` asks for a host of the exec host's processor count (`{processors}`) and gets one slot of it; `killed`
 * is deleted while it runs, `held` while it waits (it never starts), `nowhere` fails before it starts. `timeout`
 * runs past its `-l h_rt` and Grid Engine kills it; `rescheduled` exits 99 on its first run, which Grid Engine takes
 * for "run me again": it is rescheduled, and its second run (which finds the `{marker}` file the first left) ends well.
 */
const JOBS = {
  smp: { user: "gealice", options: ["-P", "physics", "-pe", "smp", "2"], command: ["/bin/sleep", "4"], lines: 1 },
  array: { user: "gealice", options: ["-P", "physics", "-t", "1-3"], command: ["/bin/sleep", "2"], lines: 3 },
  tight: {
    user: "gebob",
    options: ["-P", "physics", "-pe", "mpi", "2"],
    command: ["/bin/sh", "-c", "'for i in $(seq $NSLOTS); do qrsh -inherit $(hostname) /bin/sleep 3 & done; wait'"],
    lines: 3,
  },
  memory: { user: "gecarol", options: ["-P", "chemistry", "-l", "h_vmem=512M"], command: ["/bin/sleep", "3"], lines: 1 },
  gpu: { user: "gecarol", options: ["-P", "chemistry", "-l", "gpu=1"], command: ["/bin/sleep", "3"], lines: 1 },
  gpus: { user: "gebob", options: ["-P", "chemistry", "-pe", "smp", "2", "-l", "gpu=1,h_vmem=256M"], command: ["/bin/sleep", "3"], lines: 1 },
  numproc: { user: "gebob", options: ["-P", "physics", "-l", "num_proc={processors}"], command: ["/bin/sleep", "3"], lines: 1 },
  exit3: { user: "gebob", options: [], command: ["/bin/sh", "-c", "'sleep 2; exit 3'"], lines: 1 },
  noproject: { user: "gecarol", options: [], command: ["/bin/sleep", "2"], lines: 1 },
  killed: { user: "gebob", options: ["-P", "chemistry"], command: ["/bin/sleep", "300"], lines: 1 },
  held: { user: "gealice", options: ["-P", "physics", "-h"], command: ["/bin/sleep", "1"], lines: 0 },
  nowhere: { user: "gealice", options: ["-P", "physics", "-wd", "/nonexistent"], command: ["/bin/true"], lines: 1 },
  timeout: { user: "gealice", options: ["-P", "physics", "-pe", "smp", "2", "-l", "h_rt=0:0:4"], command: ["/bin/sleep", "300"], lines: 1 },
  rescheduled: {
    user: "gebob",
    options: ["-P", "chemistry"],
    command: ["/bin/sh", "-c", "'if [ -e {marker} ]; then sleep 2; else touch {marker}; sleep 3; exit 99; fi'"],
    lines: 2,
  },
};
type JobName = keyof typeof JOBS;

/** accounting(5) of SGE 6.2 and Son of Grid Engine 8.1: 45 fields; these tests' categories hold no colon. */
const FIELD = {
  group: 2,
  owner: 3,
  jobName: 4,
  jobNumber: 5,
  submission: 8,
  start: 9,
  end: 10,
  failed: 11,
  exitStatus: 12,
  wallclock: 13,
  project: 31,
  slots: 34,
  category: 39,
  peTaskId: 41,
};

/** The record lines of an accounting file (not its `#` header), each split into its 45 fields. */
function recordLines(accounting: string): string[][] {
  const lines = accounting.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
  const fields = lines.map((line) => line.split(":"));
  for (const line of fields) expect(line).toHaveLength(45);
  return fields;
}

/** The rows of a qacct summary table (`-o`, `-P`, `-slots -g -P`…): each value under its column's name. */
function qacctTable(text: string): Record<string, string>[] {
  const [header = "", , ...rows] = text.trim().split("\n");
  const names = header.trim().split(/\s+/);
  return rows.map((row) =>
    Object.fromEntries(
      row
        .trim()
        .split(/\s+/)
        .map((value, i) => [names[i], value]),
    ),
  );
}

/** The records `qacct -j` prints, each field by name (`ru_wallclock 5s`: `5s`); not the total it ends with. */
function qacctJobs(text: string): Record<string, string>[] {
  const blocks = text
    .split(/^Total System Usage$/m)[0]!
    .split(/^=+$/m)
    .filter((block) => block.trim() !== "");
  return blocks.map((block) =>
    Object.fromEntries(
      block
        .trim()
        .split("\n")
        .map((line) => {
          const [, name = "", value = ""] = /^(\S+)\s*(.*?)\s*$/.exec(line) ?? [];
          return [name, value];
        }),
    ),
  );
}

/** Where Grid Engine usage is charged: the project, else (project NONE) the Unix group. */
const accountOf = (project: string, group: string) => (project === "NONE" ? group : project);

const sumBy = <T>(items: T[], key: (item: T) => string, value: (item: T) => number): Record<string, number> => {
  const sums: Record<string, number> = {};
  for (const item of items) sums[key(item)] = (sums[key(item)] ?? 0) + value(item);
  return sums;
};

/** A value of a `-l name=value` request in a category, as a number (memory in MiB: `512M`), or 0 when absent. */
function request(category: string, name: string): number {
  const match = new RegExp(`(?:^|[\\s,])${name}=(\\d+)([KMG]?)(?=[\\s,]|$)`).exec(category);
  if (!match) return 0;
  return Number(match[1]) * ({ "": 1, K: 1 / 1024, M: 1, G: 1024 }[match[2]!] ?? NaN);
}

const UTC_DAY = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

/** `accounting report` of the archive's days, in JSON: its exit status, the report, and what it said on stderr. */
async function cliReport(archive: string, from: string, to: string): Promise<{ code: number; report: Report; stderr: string }> {
  const args = ["report", "--archive", archive, "--from", from, "--to", to, "--format", "json", "--no-cache", "--problems", "all"];
  const { code, stdout, stderr } = await runCli(args);
  return { code, report: (code === 0 ? JSON.parse(stdout) : undefined) as Report, stderr };
}

/** An archive holding `files`, each `[path under sge/, content]`. */
function archiveOf(files: [string, string][]): string {
  const archive = temporaryFolder("sge-live-");
  for (const [path, content] of files) {
    mkdirSync(join(archive, "sge", path, ".."), { recursive: true });
    writeFileSync(join(archive, "sge", path), content);
  }
  return archive;
}

/**
 * The comparisons, on a recording made live or read from the fixtures; `live`: the recording holds this file's JOBS
 * (the fixtures were recorded before the timed-out and rescheduled jobs were added).
 */
function compare(recording: () => Recording, live = false): void {
  let lines: string[][];
  let masters: Record<string, string>[];
  let report: Report;
  let tables: Tables;
  let stderr: string;
  let archive: string;
  const table = (query: Query) => qacctTable(recording().qacct.get(query)!);
  const byName = (name: JobName) => lines.filter((line) => line[FIELD.jobName] === name);
  /**
   * What the rule adds to qacct's slots × wallclock, in core-seconds: a job's cores are the larger of its
   * slots and a requested num_proc (as Open XDMoD counts them), where Grid Engine only picks a host by num_proc.
   */
  const numProcExcess = (key: (line: string[]) => string) =>
    sumBy(
      lines.filter((line) => line[FIELD.peTaskId] === "NONE" && Number(line[FIELD.start]) > 0),
      key,
      (line) => Math.max(0, request(line[FIELD.category]!, "num_proc") - Number(line[FIELD.slots])) * (Number(line[FIELD.end]) - Number(line[FIELD.start])),
    );

  beforeAll(async () => {
    const { accounting, qacct } = recording();
    lines = recordLines(accounting);
    masters = qacctJobs(qacct.get(QUERIES[6])!);
    const starts = lines.map((line) => Number(line[FIELD.start])).filter((start) => start > 0);
    const ends = lines.map((line) => Number(line[FIELD.end]));
    archive = archiveOf([["accounting", accounting]]);
    let code: number;
    ({ code, report, stderr } = await cliReport(archive, UTC_DAY(Math.min(...starts)), UTC_DAY(Math.max(...ends))));
    expect(code, stderr).toBe(0);
    tables = await archiveTables(archive);
  }, 60_000);

  it("has a line per task of a tightly integrated job (accounting_summary FALSE), each with the job's total slots", () => {
    const tight = byName("tight");
    const [master, ...tasks] = [...tight].sort((a, b) => (a[FIELD.peTaskId] === "NONE" ? -1 : b[FIELD.peTaskId] === "NONE" ? 1 : 0));
    expect(tight).toHaveLength(3);
    expect(master![FIELD.peTaskId]).toBe("NONE");
    for (const task of tasks) expect(task[FIELD.peTaskId]).toMatch(/^\d+\.\S+$/);
    // The job's 2 slots on every line, its tasks' included: not the slots of the task, nor of its host.
    expect(tight.map((line) => line[FIELD.slots])).toEqual(["2", "2", "2"]);
    // The job's own line spans its tasks' runs.
    for (const task of tasks) {
      expect(Number(task[FIELD.start])).toBeGreaterThanOrEqual(Number(master![FIELD.start]));
      expect(Number(task[FIELD.end])).toBeLessThanOrEqual(Number(master![FIELD.end]));
    }
  });

  it("charges a job that asks for -l num_proc the larger of its slots and num_proc, as the issue and Open XDMoD count cores", () => {
    const [line] = byName("numproc");
    expect(line![FIELD.slots]).toBe("1");
    const processors = request(line![FIELD.category]!, "num_proc");
    expect(tables.intervals.find((interval) => interval.job_id === line![FIELD.jobNumber])?.cpu_num).toBe(Math.max(1, processors));
  });

  it("is read without a problem, and its report says nothing on stderr", () => {
    expect(tables.problems).toEqual([]);
    expect(stderr).toBe("");
  });

  it("counts per account the CPU-hours qacct gives as slots × wallclock of each job's own line (qacct -m -slots -g -P), num_proc aside", () => {
    const qacctSeconds = sumBy(
      table(QUERIES[5]),
      (row) => accountOf(row.PROJECT!, row.GROUP!),
      (row) => Number(row.SLOTS) * Number(row.WALLCLOCK),
    );
    const excess = numProcExcess((line) => accountOf(line[FIELD.project]!, line[FIELD.group]!));
    const seconds = Object.fromEntries(Object.entries(qacctSeconds).map(([account, value]) => [account, value + (excess[account] ?? 0)]));
    expect(Object.keys(report.namespaces).sort()).toEqual(Object.keys(seconds).sort());
    for (const [account, value] of Object.entries(seconds)) expect(report.namespaces[account]!.cpu_num_hours, account).toBeCloseTo(value / 3600, 12);
    expect(report.total.cpu_num_hours).toBeCloseTo(Object.values(seconds).reduce((a, b) => a + b) / 3600, 12);
  });

  it("counts per account the jobs, users, GPU- and memory-hours of the jobs qacct -m -j lists as started", () => {
    const started = masters.filter((job) => job.start_time !== "-/-");
    const account = (job: Record<string, string>) => accountOf(job.project!, job.group!);
    const wallclock = (job: Record<string, string>) => Number(job.ru_wallclock!.replace(/s$/, ""));
    // gpu is a per-job consumable here: -l gpu=1 is one GPU whatever the slots; h_vmem is per slot.
    const gpuSeconds = sumBy(started, account, (job) => request(job.category!, "gpu") * wallclock(job));
    const memorySeconds = sumBy(started, account, (job) => request(job.category!, "h_vmem") * Number(job.slots) * wallclock(job));
    for (const [name, usage] of Object.entries(report.namespaces)) {
      const mine = started.filter((job) => account(job) === name);
      expect(usage.jobs, name).toBe(new Set(mine.map((job) => `${job.jobnumber}.${job.taskid}`)).size);
      expect(usage.users, name).toBe(new Set(mine.map((job) => job.owner)).size);
      expect(usage.gpu_num_hours, name).toBeCloseTo((gpuSeconds[name] ?? 0) / 3600, 12);
      expect(usage.memory_MB_hours, name).toBeCloseTo((memorySeconds[name] ?? 0) / 3600, 12);
    }
    expect(report.namespaces.chemistry!.gpu_num_hours).toBeGreaterThan(0);
    expect(report.namespaces.chemistry!.memory_MB_hours).toBeGreaterThan(0);
  });

  it("gives each owner the wallclock and CPU time of qacct -m -o and -m -slots -o, num_proc aside", () => {
    const seconds = (row: Row) => (Number(row.end_time) - Number(row.start_time)) / 1e6;
    const wallclock = sumBy(tables.intervals, (row) => String(row.owner), seconds);
    const cpu = sumBy(
      tables.intervals,
      (row) => String(row.owner),
      (row) => Number(row.cpu_num) * seconds(row),
    );
    const qacctWallclock = sumBy(
      table(QUERIES[1]),
      (row) => row.OWNER!,
      (row) => Number(row.WALLCLOCK),
    );
    const qacctCpu = sumBy(
      table(QUERIES[4]),
      (row) => row.OWNER!,
      (row) => Number(row.SLOTS) * Number(row.WALLCLOCK),
    );
    const excess = numProcExcess((line) => line[FIELD.owner]!);
    expect(wallclock).toEqual(qacctWallclock);
    expect(cpu).toEqual(Object.fromEntries(Object.entries(qacctCpu).map(([owner, value]) => [owner, value + (excess[owner] ?? 0)])));
  });

  it("gives each project the wallclock of qacct -m -P", () => {
    const seconds = (row: Row) => (Number(row.end_time) - Number(row.start_time)) / 1e6;
    const qacctWallclock = sumBy(
      table(QUERIES[3]).filter((row) => row.PROJECT !== "NONE"),
      (row) => row.PROJECT!,
      (row) => Number(row.WALLCLOCK),
    );
    const projects = new Set(lines.filter((line) => line[FIELD.project] !== "NONE").map((line) => line[FIELD.project]!));
    const wallclock = sumBy(
      tables.intervals.filter((row) => projects.has(String(row.account))),
      (row) => String(row.account),
      seconds,
    );
    expect(Object.keys(qacctWallclock).sort()).toEqual([...projects].sort());
    expect(wallclock).toEqual(qacctWallclock);
  });

  if (live) {
    /** The record qacct -m -j prints of a run: its job's by name, in the order they ended. */
    const qacctRuns = (name: JobName) => masters.filter((job) => job.jobname === name);
    const wallclock = (job: Record<string, string>) => Number(job.ru_wallclock!.replace(/s$/, ""));
    const intervalsOf = (name: JobName) => tables.intervals.filter((row) => row.job_id === byName(name)[0]![FIELD.jobNumber]);

    it("counts the job Grid Engine killed at its h_rt as qacct does: its slots × its wallclock up to the kill", () => {
      const [line] = byName("timeout");
      // failed 37: "qmaster enforced h_rt, h_cpu, or h_vmem limit"; exit status 137: SIGKILL.
      expect([line![FIELD.failed], line![FIELD.exitStatus], line![FIELD.slots]]).toEqual(["37", "137", "2"]);
      const [run] = qacctRuns("timeout");
      expect(wallclock(run!)).toBeGreaterThanOrEqual(4);
      expect(wallclock(run!)).toBeLessThan(60);
      const intervals = intervalsOf("timeout");
      expect(intervals).toHaveLength(1);
      const seconds = (Number(intervals[0]!.end_time) - Number(intervals[0]!.start_time)) / 1e6;
      expect([intervals[0]!.cpu_num, seconds]).toEqual([2, wallclock(run!)]);
      const row = tables.jobs.find((job) => job.job_id === line![FIELD.jobNumber]);
      expect([row?.state, row?.exit_code]).toEqual(["killed", "137"]);
      // Within its owner's and project's sums of qacct -m -slots -o and -m -slots -g -P, which the tests above match.
      expect(Number(table(QUERIES[4]).find((owner) => owner.OWNER === "gealice")!.WALLCLOCK)).toBeGreaterThanOrEqual(wallclock(run!));
    });

    it("counts both runs of the job Grid Engine rescheduled (exit status 99), and the job once", () => {
      const lines = byName("rescheduled");
      // failed 25: "rescheduling"; the second run, submitted anew when the first ended, ends well.
      expect(lines.map((line) => [line[FIELD.failed], line[FIELD.exitStatus]])).toEqual([
        ["25", "99"],
        ["0", "0"],
      ]);
      expect(new Set(lines.map((line) => line[FIELD.jobNumber])).size).toBe(1);
      expect(Number(lines[1]![FIELD.start])).toBeGreaterThanOrEqual(Number(lines[0]![FIELD.end]));
      const runs = qacctRuns("rescheduled");
      expect(runs.map((run) => run.exit_status!.trim())).toEqual(["99", "0"]);
      const intervals = intervalsOf("rescheduled");
      expect(intervals.map((row) => [row.cpu_num, (Number(row.end_time) - Number(row.start_time)) / 1e6])).toEqual(runs.map((run) => [1, wallclock(run)]));
      expect(intervals.map((row) => Number(row.start_time) / 1e6)).toEqual(lines.map((line) => Number(line[FIELD.start])));
      const rows = tables.jobs.filter((job) => job.job_id === lines[0]![FIELD.jobNumber]);
      expect(rows.map((row) => [row.state, row.exit_code, Number(row.start_time) / 1e6, Number(row.end_time) / 1e6])).toEqual([
        ["completed", "0", Number(lines[0]![FIELD.start]), Number(lines[1]![FIELD.end])],
      ]);
    });
  }

  it("leaves out the lines of tasks, which qacct without -m adds to the owner's and project's wallclock", () => {
    const tasks = lines.filter((line) => line[FIELD.peTaskId] !== "NONE");
    expect(tasks.length).toBeGreaterThan(0);
    for (const [query, masterQuery, key] of [
      [QUERIES[0], QUERIES[1], "OWNER"],
      [QUERIES[2], QUERIES[3], "PROJECT"],
    ] as const) {
      const all = sumBy(
        table(query),
        (row) => row[key]!,
        (row) => Number(row.WALLCLOCK),
      );
      const own = sumBy(
        table(masterQuery),
        (row) => row[key]!,
        (row) => Number(row.WALLCLOCK),
      );
      const taskSeconds = sumBy(
        tasks,
        (line) => line[key === "OWNER" ? FIELD.owner : FIELD.project]!,
        (line) => Number(line[FIELD.wallclock]),
      );
      for (const name of Object.keys(all)) expect(all[name]! - own[name]!, `${key} ${name}`).toBe(taskSeconds[name] ?? 0);
    }
  });

  it("has a job row for each job qacct -m -j lists, with its owner, account and last run's exit status; an interval per run that started", () => {
    const id = (job: Record<string, string>) => (job.taskid === "undefined" ? job.jobnumber! : `${job.jobnumber}.${job.taskid}`);
    // A rescheduled job has a record per run, in the order they ended: its row is its last run's.
    const runs = new Map<string, Record<string, string>[]>();
    for (const job of masters) runs.set(id(job), [...(runs.get(id(job)) ?? []), job]);
    expect(tables.jobs.map((row) => row.job_id).sort()).toEqual([...runs.keys()].sort());
    for (const [jobId, records] of runs) {
      const job = records.at(-1)!;
      const row = tables.jobs.find((candidate) => candidate.job_id === jobId)!;
      const started = job.start_time !== "-/-";
      expect({ owner: row.owner, account: row.account, exit: row.exit_code }).toEqual({
        owner: job.owner,
        account: accountOf(job.project!, job.group!),
        // qacct adds the signal's name: `137                  (Killed)`.
        exit: started ? job.exit_status!.split(/\s+/)[0] : null,
      });
      expect(
        tables.intervals.filter((interval) => interval.job_id === jobId),
        jobId,
      ).toHaveLength(records.filter((record) => record.start_time !== "-/-").length);
    }
    // The job that failed before it started is there; the one deleted while it waited never reached the file.
    expect(byName("nowhere").map((line) => line[FIELD.start])).toEqual(["0"]);
    expect(byName("held")).toEqual([]);
  });

  it("gives the same report from a rotated copy and the live file that overlap", async () => {
    const { accounting } = recording();
    const text = accounting.split("\n");
    const header = text.filter((line) => line.startsWith("#"));
    const records = text.filter((line) => line !== "" && !line.startsWith("#"));
    const third = Math.ceil(records.length / 3);
    const file = (part: string[]) => [...header, ...part, ""].join("\n");
    const rotated = archiveOf([
      ["accounting.1", file(records.slice(0, 2 * third))],
      ["accounting", file(records.slice(third))],
    ]);
    const again = await cliReport(rotated, report.from, report.to);
    expect(again.stderr).toBe("");
    expect(again.report).toEqual(report);
  }, 60_000);
}

/** The recording of test/fixtures/sge/live/. */
function recorded(): Recording {
  const read = (name: string) => readFileSync(join(FIXTURES, name), "utf8");
  return { accounting: read("accounting"), qacct: new Map(QUERIES.map((query) => [query, read(queryFile(query))])) };
}

/** Until `probe` gives a value, every half second; fails after `seconds`, saying what it waited for. */
async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Grid Engine: waited ${seconds} s for ${what}`);
    await sleep(500);
  }
}

/** Bytes from `offset` to the end of a file. */
function readFrom(path: string, offset: number): string {
  const size = statSync(path).size;
  const buffer = Buffer.alloc(Math.max(0, size - offset));
  const fd = openSync(path, "r");
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  return buffer.toString("utf8");
}

/** Runs JOBS to their ends; their accounting lines, after the file's header, and what qacct prints for them. */
async function runJobs(engine: GridEngine): Promise<Recording> {
  const offset = statSync(engine.accounting, { throwIfNoEntry: false })?.size ?? 0;
  const hostResources = await engine.command("qhost", ["-F", "num_proc", "-h", hostname()]);
  const processors = /hl:num_proc=(\d+)/.exec(hostResources)?.[1] ?? hostResources;
  /**
   * The file the rescheduled job's first run leaves for its second: in a folder of its own under /tmp (not under the
   * tests' TMPDIR, which its owner may not reach), new at each run of the tests.
   */
  const folder = mkdtempSync("/tmp/accounting-sge-rescheduled-");
  chmodSync(folder, 0o777);
  const marker = join(folder, "first-run");
  const ids = Object.fromEntries(
    await Promise.all(
      Object.entries(JOBS).map(async ([name, job]) => {
        const options = job.options.map((option) => option.replace("{processors}", processors));
        const command = job.command.map((word) => word.replaceAll("{marker}", marker));
        const args = ["-terse", "-N", name, "-o", "/dev/null", "-j", "y", ...options, "-b", "y", ...command];
        return [name, (await engine.command("qsub", args, job.user)).trim().split(".")[0]!] as const;
      }),
    ),
  ) as Record<JobName, string>;
  /** Our jobs qstat lists, each with its state (`qw`, `hqw`, `r`, `Eqw`…). */
  const states = async () => {
    const listed = (await engine.command("qstat", ["-u", "*"])).split("\n").map((line) => line.trim().split(/\s+/));
    return new Map(listed.filter((columns) => Object.values(ids).includes(columns[0]!)).map((columns) => [columns[0]!, columns[4]!]));
  };
  try {
    await engine.command("qdel", [ids.held]);
    await until("the job to delete to run", 60, async () => ((await states()).get(ids.killed) === "r" ? true : undefined));
    await sleep(2000);
    await engine.command("qdel", [ids.killed]);
    await until("the job with no working directory to fail", 60, async () => ((await states()).get(ids.nowhere) === "Eqw" ? true : undefined));
    await engine.command("qdel", [ids.nowhere]);
    // The rescheduled job's second run starts half a minute or so after its first.
    await until("the jobs to end", 120, async () => ((await states()).size === 0 ? true : undefined));
  } catch (error) {
    // No job of a failed run left behind (qdel also complains of those that ended).
    await engine.command("qdel", Object.values(ids)).catch(() => undefined);
    throw error;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }

  const number = new Map(Object.entries(ids).map(([name, id]) => [id, name as JobName]));
  const expected = Object.values(JOBS).reduce((sum, job) => sum + job.lines, 0);
  const mine = await until(`${expected} lines in ${engine.accounting}`, 30, async () => {
    const lines = readFrom(engine.accounting, offset)
      .split("\n")
      .filter((line) => number.has(line.split(":")[FIELD.jobNumber]!));
    return lines.length >= expected ? lines : undefined;
  });
  for (const [name, job] of Object.entries(JOBS))
    expect(
      mine.filter((line) => number.get(line.split(":")[FIELD.jobNumber]!) === name),
      name,
    ).toHaveLength(job.lines);

  const header = readFileSync(engine.accounting, "utf8").split("\n", 10);
  const accounting = [
    ...header.slice(
      0,
      header.findIndex((line) => !line.startsWith("#")),
    ),
    ...mine,
    "",
  ].join("\n");
  const file = join(temporaryFolder("sge-qacct-"), "accounting");
  writeFileSync(file, accounting);
  const qacct = new Map<Query, string>();
  for (const query of QUERIES) qacct.set(query, await engine.command("qacct", ["-f", file, ...query]));
  return { accounting, qacct };
}

/** Writes a live recording into test/fixtures/sge/live/, with how it was made. */
function record({ accounting, qacct }: Recording): void {
  mkdirSync(FIXTURES, { recursive: true });
  writeFileSync(join(FIXTURES, "accounting"), accounting);
  for (const [query, text] of qacct) writeFileSync(join(FIXTURES, queryFile(query)), text);
}

const engine = await startGridEngine();
const missing = "missing" in engine && !process.env.CI;
if (missing) console.log(`skipped: the live Grid Engine tests, for ${engine.missing}`);

describe("a Grid Engine 8.1.9 accounting file recorded from a live run, and what qacct printed for it", () => compare(recorded));

describe.skipIf(missing)("jobs run on a live Grid Engine, and what qacct prints for their accounting lines", () => {
  let recording: Recording;
  beforeAll(async () => {
    if ("missing" in engine) throw new Error(engine.missing);
    recording = await runJobs(engine);
    if (process.env.SGE_RECORD_FIXTURES) record(recording);
  }, 170_000);
  compare(() => recording, true);
});
