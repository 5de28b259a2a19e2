import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import type { BatchRecord } from "../../../../loaders/sources/batch/records.js";
import { slurmSource } from "../../../../loaders/sources/slurm/source.js";
import { lineResult, linesOf, parseLines, problemsOf, recordsOf, utc, type Parsed } from "./helpers.js";
import { realdata } from "../../../helpers/realdata.js";

/**
 * Every file of real Slurm records beside the repository (../shared/realdata/slurm, see each folder's PROVENANCE.md),
 * read as dumps: none throws, each line the parser cannot use is named with its file, line and reason; and what
 * APEL and hpc-cost-simulator expect of their lines holds where it maps onto our records.
 */
const slurm = realdata("slurm");

/** Every file under a folder, as paths relative to it. */
function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
    .sort();
}

const read = (path: string) => readFileSync(join(slurm.path, path), "utf8");
const parseFile = (path: string) => parseLines(linesOf(read(path)), { path: `slurm/${path}` });

/** A dump of the lines of another format, made readable: a header naming their fields, and fields they lack. */
const withHeader = (header: string, lines: readonly string[], added: Record<string, string>) => [
  [...Object.keys(added), header].join("|"),
  ...lines.map((line) => (line.trim() === "" || line.startsWith("#") ? line : [...Object.values(added), line].join("|"))),
];

const resultsOf = (parsed: readonly Parsed[]) => parsed.map(({ result }) => result);

describe.skipIf(slurm.missing)("every real file", () => {
  // Expected outputs and documentation, not records.
  const NOT_DUMPS = /(PROVENANCE|README)\.md$|\.csv$|\/(output|slurm-resource-parser)\/.*\.json$|apel-slurm-expected\.json$/;
  const files = slurm.missing ? [] : filesUnder(slurm.path).filter((path) => !NOT_DUMPS.test(path));

  it("is found: the dumps of each project", () => {
    expect(files).toHaveLength(28);
    for (const project of ["SARC/", "apel/", "hpc-cost-simulator/", "slurm-jobinfo/", "xdmod/"])
      expect(
        files.some((path) => path.startsWith(project)),
        project,
      ).toBe(true);
  });

  it("is parsed without an exception, each line a record, nothing, or a problem naming its file, line and reason", () => {
    for (const path of files) {
      const lines = linesOf(read(path));
      const parsed = parseFile(path);
      for (const problem of problemsOf(parsed)) {
        expect(problem.file).toBe(`slurm/${path}`);
        expect(problem.line).toBeGreaterThan(0);
        expect(problem.reason).toMatch(/^an? /);
        // A line's problem says what was found, unless its reason says it all.
        if (!/account|user|still running/.test(problem.reason)) expect(problem.detail, `${path}:${problem.line} ${problem.reason}`).not.toBeNull();
      }
      // A line that is neither blank nor a comment gives a record, a problem, or nothing only as a job step (no real
      // file has a header).
      for (const { line, result } of parsed) {
        const text = lines[line - 1]!;
        if (result === null && text.trim() !== "" && !text.startsWith("#")) expect(/^[\w+]+\.\w+\|/.test(text), `${path}:${line}`).toBe(true);
      }
    }
  });

  it("of sacct --json (SARC) is rejected line by line, without a record", () => {
    for (const path of files.filter((file) => file.startsWith("SARC/"))) {
      const lines = linesOf(read(path));
      const parsed = parseFile(path);
      expect(recordsOf(parsed), path).toEqual([]);
      expect(problemsOf(parsed).length, path).toBe(lines.filter((text) => text.trim() !== "").length);
    }
  });

  it("of other field lists without a header (APEL, hpc-cost-simulator, slurm-jobinfo) gives no record: wrong field counts or ids", () => {
    const other = files.filter((path) => /^(apel|hpc-cost-simulator|slurm-jobinfo)\//.test(path));
    expect(other).toHaveLength(15);
    for (const path of other) {
      const parsed = parseFile(path);
      expect(recordsOf(parsed), path).toEqual([]);
      const reasons = new Set(problemsOf(parsed).map(({ reason }) => reason));
      for (const reason of reasons) expect(reason, path).toMatch(/field count|job id/);
    }
  });
});

const xdmodFile = (path: string) => recordsOf(parseFile(`xdmod/tests/artifacts/xdmod/${path}`));

describe.skipIf(slurm.missing)("Open XDMoD's other logs", () => {
  it("robertson-filter-test: cores are NCPUS (108), as XDMoD counts them, not ReqCPUS nor AllocTRES's cpu (100)", () => {
    const [record] = xdmodFile("referencedata/robertson-filter-log/robertson-filter-test.log");
    expect([record?.interval?.resources.cpu_num, record?.job.nodes, record?.interval?.resources.memory_MB]).toEqual([108, 9, 280000]);
  });
  it("mortorq: UTF-8 names as written, not normalised (its ó is an o and a combining accent)", () => {
    const [record] = xdmodFile("post/mortorq.log");
    expect([record?.job.name, record?.job.owner, record?.job.account, record?.job.cluster]).toEqual([
      "scho\u0301n Stra\u00dfe",
      "fa\u00e7ade",
      "refbl",
      "mortorq",
    ]);
  });
});

describe.skipIf(slurm.missing)("APEL's lines (apel/PROVENANCE.md), given a header", () => {
  // APEL's export: no header, no Account; the lines keep their fields, the account `apel` is added.
  const HEADER = "JobID|JobName|User|Group|Start|End|Elapsed|CPUTimeRAW|Partition|NCPUS|NNodes|NodeList|MaxRSS|MaxVMSize|State";
  const parseApel = (name: string, added: Record<string, string> = { Account: "apel" }) => parseLines(withHeader(HEADER, linesOf(read(`apel/${name}`)), added));

  it("gives APEL's job, user, times, queue, nodes and processors for each job; its job steps are skipped", () => {
    const expected = JSON.parse(read("apel/apel-slurm-expected.json")) as { cases: { line: string; expected: Record<string, string | number | null> }[] };
    const parsed = parseApel("apel-slurm-valid-lines.txt");
    expect(problemsOf(parsed)).toEqual([]);
    const records = recordsOf(parsed);
    const jobs = expected.cases.filter(({ line }) => !line.split("|")[0]!.includes("."));
    expect(records).toHaveLength(4);
    expect(jobs).toHaveLength(4);
    for (const [index, { expected: want }] of jobs.entries()) {
      const { job, interval } = records[index]!;
      expect({
        JobName: job.jobId,
        LocalUserID: job.owner,
        StartTime: interval!.start,
        StopTime: interval!.end,
        WallDuration: (interval!.end - interval!.start) / 1e6,
        Queue: job.queue,
        NodeCount: job.nodes,
        Processors: interval!.resources.cpu_num,
      }).toEqual({
        JobName: want.JobName,
        LocalUserID: want.LocalUserID,
        StartTime: utc(want.StartTime as string),
        StopTime: utc(want.StopTime as string),
        WallDuration: want.WallDuration,
        Queue: want.Queue,
        NodeCount: want.NodeCount,
        Processors: want.Processors,
      });
    }
  });

  it("skips the invalid lines, all job steps, as APEL rejects them", () => {
    expect(resultsOf(parseApel("apel-slurm-invalid-lines.txt"))).toEqual([null, null, null, null, null, null]);
  });

  it("counts a job by its times whatever its state; APEL, which publishes finished jobs only, rejects some", () => {
    // These lines have no user (APEL made them from job steps): the test adds a UID, as it added the account.
    const added = { Account: "apel", UID: "1000" };
    const used = (name: string) => recordsOf(parseApel(name, added)).map(({ job, interval }) => [job.state, interval && (interval.end - interval.start) / 1e6]);
    expect(used("apel-slurm-state-accepted.txt")).toEqual(
      ["CANCELLED", "COMPLETED", "FAILED", "NODE_FAIL", "PREEMPTED", "TIMEOUT"].map((state) => [state, 16]),
    );
    // A PENDING job consumes nothing; the others ran 16 s by their Start and End (Slurm writes no End for a running job).
    const rejected = ["BOOT_FAIL", "CONFIGURING", "COMPLETING", "DEADLINE", "PENDING", "RUNNING", "RESIZING", "SUSPENDED"];
    expect(used("apel-slurm-state-rejected.txt")).toEqual(rejected.map((state) => [state, state === "PENDING" ? null : 16]));
  });
});

describe.skipIf(slurm.missing)("hpc-cost-simulator's dumps (hpc-cost-simulator/PROVENANCE.md), given a header", () => {
  const ROOT = "hpc-cost-simulator/test_files/SlurmLogParser";
  // SlurmLogParser.SLURM_ACCT_FIELDS: 25 fields, 26 with Partition (sacct-output-v2.txt mixes both).
  const FIELDS =
    "State|JobID|ReqCPUS|ReqMem|ReqNodes|Constraints|Submit|Eligible|Start|Elapsed|Suspended|End|ExitCode|DerivedExitCode|AllocNodes|NCPUS|MaxDiskRead|MaxDiskWrite|MaxPages|MaxRSS|MaxVMSize|CPUTime|UserCPU|SystemCPU|TotalCPU";
  const added = { Account: "aws", User: "ec2-user" };

  /** Each line under the header of its field count (a header may come before any line), with the fields added. */
  function parseHpc(input: string): Parsed[] {
    const parser = slurmSource.parser({ path: `slurm/${input}`, cluster: "aws", time: null });
    return linesOf(read(`${ROOT}/${input}`)).map((text, index) => {
      const [header, line] = withHeader(text.split("|").length === 26 ? `${FIELDS}|Partition` : FIELDS, [text], added);
      expect(lineResult(parser, header!, 0)).toBeNull();
      return { line: index + 1, result: lineResult(parser, line!, index + 1) };
    });
  }

  /** Rows of an exp_jobs CSV (no field of these holds a comma). */
  function expectedJobs(path: string): Record<string, string>[] {
    const [header, ...rows] = linesOf(read(`${ROOT}/${path}`));
    const names = header!.split(",");
    return rows.map((row) => Object.fromEntries(row.split(",").map((value, index) => [names[index], value])));
  }

  // What hpc-cost-simulator does and we do not: it folds a job's steps into it (a job known only by a step is one, a
  // job with a malformed step is none, a step's empty ReqMem, Partition or ExitCode blanks the job's); takes ReqNodes
  // when AllocNodes is 0; writes 0 GB for ReqMem 0 (unknown here).
  const THEIRS_ONLY: Record<string, string[]> = { "issues/17": ["2346371"], "issues/63": ["2346371"] };
  const OURS_ONLY: Record<string, string[]> = { "issues/gl-20": ["67108868", "67108872"] };
  const CASES: [input: string, output: string, count: number | null][] = [
    ["sacct-output-v1.txt", "exp_jobs-v1.csv", 483],
    ["sacct-output-v2.txt", "exp_jobs-v2.csv", 483],
    ...["array", "multi-node", "issues/5", "issues/17", "issues/63", "issues/59", "issues/gl-20", "issues/61"].map((folder): [string, string, null] => [
      `${folder}/sacct-output.txt`,
      `${folder}/exp_jobs.csv`,
      null,
    ]),
  ];

  for (const [input, output, count] of CASES) {
    it(`${input}: the jobs of ${output}, with their cores, memory, nodes, times, queue and exit status`, () => {
      const folder = input.replace(/\/?sacct-output.*$/, "");
      const ran = recordsOf(parseHpc(input)).filter((record): record is BatchRecord & { interval: object } => record.interval !== null);
      const want = expectedJobs(output);
      if (count !== null) expect(want).toHaveLength(count);
      const ours = ran.map(({ job }) => job.jobId).filter((id) => !(OURS_ONLY[folder] ?? []).includes(id));
      expect(ours).toEqual(want.map((row) => row.job_id).filter((id) => !(THEIRS_ONLY[folder] ?? []).includes(id!)));
      for (const row of want) {
        const record = ran.find(({ job }) => job.jobId === row.job_id);
        if (!record) continue;
        const { job, interval } = record;
        const iso = (time: number | null) => (time === null ? "" : new Date(time / 1000).toISOString().slice(0, 19));
        expect([interval.resources.cpu_num, iso(job.submitTime), iso(interval.start), iso(interval.end)], row.job_id).toEqual([
          Number(row.num_cores),
          row.submit_time,
          row.start_time,
          row.finish_time,
        ]);
        if (job.nodes !== 0) expect(job.nodes, row.job_id).toBe(Number(row.num_hosts));
        if (row.max_mem_gb !== "") expect(interval.resources.memory_MB, row.job_id).toBe(row.max_mem_gb === "0.0" ? null : Number(row.max_mem_gb) * 1024);
        if (row.queue !== "") expect(job.queue).toBe(row.queue);
        if (row.exit_status !== "") expect(job.exitCode?.split(":")[0]).toBe(row.exit_status);
      }
    });
  }

  // JobAnalyzer's outputs for three of these inputs (PROVENANCE.md): hourly-<hour>.csv lists each job by the hour
  // (since the epoch) it started in, with its hosts, runtime (Elapsed), memory (ReqMem) and wait (Start - Eligible) in
  // minutes; summary.csv counts the jobs and sums their durations and waits per memory size × runtime bin. Costs
  // (hourly_stats.csv, summary_stats.csv and the price columns) depend on EC2 price tables: nothing of ours to check.
  const ANALYZER = "hpc-cost-simulator/test_files/JobAnalyzer/slurm";
  const ANALYZED: [folder: string, input: string, jobs: number][] = [
    ["multi-node", "multi-node/sacct-output.txt", 1],
    ["array", "array/sacct-output.txt", 8],
    ["long", "sacct-output-v2.txt", 483],
  ];
  const csv = (path: string) => linesOf(read(path)).map((line) => line.split(","));

  for (const [folder, input, count] of ANALYZED) {
    it(`JobAnalyzer ${folder}: each job of hourly-*.csv, and summary.csv's counts, durations and waits per bin, from our records`, () => {
      const ran = new Map(
        recordsOf(parseHpc(input))
          .filter(({ interval }) => interval !== null)
          .map((record) => [record.job.jobId, record]),
      );
      // Eligible is not in our records: the wait is read from the line's own Eligible field, the start from ours.
      const eligible = new Map(
        linesOf(read(`${ROOT}/${input}`))
          .filter((line) => !line.startsWith("#") && line.trim() !== "")
          .map((line) => line.split("|"))
          .map((fields) => [fields[1], utc(fields[7]!)]),
      );
      const files = readdirSync(join(slurm.path, ANALYZER, folder)).filter((name) => /^hourly-\d+\.csv$/.test(name));
      const rows = files.flatMap((name) =>
        csv(`${ANALYZER}/${folder}/${name}`)
          .slice(1)
          .map((row) => ({ hour: Number(name.slice(7, -4)), row })),
      );
      expect(rows).toHaveLength(count);
      expect(new Set(rows.map(({ row }) => row[1]))).toEqual(new Set(ran.keys()));
      const minutes = (micros: number) => micros / 60e6;
      const nodes = new Map<string, number>();
      for (const { hour, row } of rows) {
        const [start, id, hosts, runtime, memory, wait] = row;
        const { job, interval } = ran.get(id!)!;
        expect(Math.floor(interval!.start / 3_600e6), id).toBe(hour);
        expect(new Date(interval!.start / 1000).toISOString().slice(0, 19), id).toBe(start);
        // AllocNodes 0 (a job that failed at once): JobAnalyzer takes ReqNodes, we the 0 sacct wrote.
        if (job.nodes !== 0) expect(job.nodes, id).toBe(Number(hosts));
        nodes.set(id!, Number(hosts));
        expect(minutes(interval!.end - interval!.start).toFixed(4), id).toBe(Number(runtime).toFixed(4));
        expect(interval!.resources.memory_MB! / 1024, id).toBe(Number(memory));
        expect(minutes(interval!.start - eligible.get(id!)!).toFixed(4), id).toBe(Number(wait).toFixed(4));
      }
      // summary.csv: a row per bin of memory per host (GB; 29.8 GB on 4 hosts is in 4-8GB), three columns (jobs, minutes run, minutes waited) per runtime bin.
      const summary = csv(`${ANALYZER}/${folder}/summary.csv`).filter((cells) => /^\d+-\d+GB$/.test(cells[0]!));
      expect(summary).toHaveLength(14);
      const ours = summary.map((cells) => cells.slice(1, 22).map(() => 0));
      const bounds = (cells: string[]) => cells[0]!.replace("GB", "").split("-").map(Number) as [number, number];
      const RUNTIME_BINS = [0, 1, 5, 20, 60, 240, 1440, 1_000_000];
      for (const { job, interval } of ran.values()) {
        const gb = interval!.resources.memory_MB! / 1024 / (job.nodes || nodes.get(job.jobId)!);
        const run = minutes(interval!.end - interval!.start);
        // A bin holds its upper bound (1.0 GB is in 0-1GB, 5 minutes in 1-5), as JobAnalyzer's do.
        const memoryBin = summary.findIndex((cells) => gb <= bounds(cells)[1]);
        const runtimeBin = RUNTIME_BINS.findIndex((_, index) => run <= RUNTIME_BINS[index + 1]!);
        const cells = ours[memoryBin]!;
        cells[runtimeBin * 3]! += 1;
        cells[runtimeBin * 3 + 1]! += run;
        cells[runtimeBin * 3 + 2]! += minutes(interval!.start - eligible.get(job.jobId)!);
      }
      for (const [index, cells] of summary.entries()) {
        const theirs = cells.slice(1, 22).map(Number);
        for (const [column, value] of theirs.entries()) expect(ours[index]![column], `${cells[0]} column ${column}`).toBeCloseTo(value, 6);
      }
      expect(
        ours
          .flat()
          .filter((_, column) => column % 3 === 0)
          .reduce((a, b) => a + b, 0),
      ).toBe(count);
    });
  }

  it("issues/gl-20: the malformed lines are problems; issues/5 and /61: jobs that never started consume nothing", () => {
    expect(problemsOf(parseHpc("issues/gl-20/sacct-output.txt")).map(({ line, reason, detail }) => [line, reason, detail])).toEqual([
      [6, "a ReqMem that is not a memory size", "ReqMem 100Mcd"],
      [22, "a line whose field count differs from its header's", "26 fields, 27 expected"],
      [31, "a line whose field count differs from its header's", "26 fields, 27 expected"],
    ]);
    const never = ["issues/5", "issues/61"].flatMap((folder) => recordsOf(parseHpc(`${folder}/sacct-output.txt`)));
    expect(never.map(({ job, interval }) => [job.jobId, job.state, interval])).toEqual([
      ["31259618", "PENDING", null],
      ["141", "CANCELLED", null],
      ["141", "INVALID", null],
    ]);
  });
});

describe.skipIf(slurm.missing)("slurm-jobinfo's dump (slurm-jobinfo/PROVENANCE.md), given a header", () => {
  // sacct --parsable --delimiter=☃: each line ends with a delimiter; made `|`, with jobinfo's 27 fields and an account.
  const FIELDS =
    "JobID|JobName|User|Partition|NodeList|NNodes|NCPUS|NTasks|State|Submit|Start|End|Timelimit|Elapsed|TotalCPU|UserCPU|SystemCPU|ReqMem|MaxRSS|TRESUsageInTot|TRESUsageOutTot|MaxDiskWrite|MaxDiskRead|MaxRSSNode|MaxDiskWriteNode|MaxDiskReadNode|Comment|";
  const lines = slurm.missing ? [] : withHeader(FIELDS, linesOf(read("slurm-jobinfo/test/data/sacct.txt").replaceAll("☃", "|")), { Account: "rug" });
  const taken = utc("2021-07-23T00:00:00");

  it("gives its 37 allocations (20 jobs, 17 listed twice: one run each) and skips its 48 job steps", () => {
    const parsed = parseLines(lines, { time: taken });
    expect(problemsOf(parsed)).toEqual([]);
    expect(parsed.filter(({ result }) => result === null)).toHaveLength(1 + 48);
    const records = recordsOf(parsed);
    expect(records).toHaveLength(37);
    const runs = new Map(records.map((record) => [record.run, record]));
    expect(runs.size).toBe(20);
    // The same lines but for the job name, which the repository's anonymise.py drew at random for each copy.
    const unnamed = (record: BatchRecord | undefined) => record && { ...record, job: { ...record.job, name: null } };
    for (const record of records) expect(unnamed(record)).toEqual(unnamed(runs.get(record.run)));
    const states = [...runs.values()].map(
      ({ job, interval }) => `${job.state} ${interval === null ? "never ran" : job.endTime === null ? "running" : "ended"}`,
    );
    expect(states.sort()).toEqual([
      ...Array(9).fill("COMPLETED ended"),
      "FAILED ended",
      ...Array(3).fill("PENDING never ran"),
      ...Array(7).fill("RUNNING running"),
    ]);
    for (const { job, interval } of runs.values()) if (job.state === "RUNNING") expect(interval?.end).toBe(taken);
    // An array task, without JobIDRaw in this dump: its JobID.
    expect([...runs.values()].filter(({ job }) => job.jobId.includes("_")).map(({ job }) => job.jobId)).toEqual(["20963999_982"]);
  });

  it("reports each running job when the file's name gives no time", () => {
    const problems = problemsOf(parseLines(lines));
    expect(problems).toHaveLength(14);
    expect(new Set(problems.map(({ reason }) => reason))).toEqual(
      new Set(["a job still running in a file whose name gives no time (YYYY-MM-DDTHH:MM:SS.<ext>)"]),
    );
  });

  it("reads ReqMem per node (n) and per CPU (c) of Slurm before 21.08", () => {
    const records = recordsOf(parseLines(lines, { time: taken }));
    const first = records.find(({ job }) => job.jobId === "20872560")!;
    expect([first.interval?.resources.cpu_num, first.job.nodes, first.interval?.resources.memory_MB]).toEqual([6, 1, 100 * 1024]);
    const perCpu = records.find(({ job }) => job.jobId === "20957017")!;
    expect([perCpu.interval?.resources.cpu_num, perCpu.interval?.resources.memory_MB]).toEqual([12, 512 * 12]);
    // No AllocTRES in this dump: GPUs unknown.
    expect(new Set(records.map(({ interval }) => interval?.resources.gpu_num))).toEqual(new Set([null, undefined]));
  });
});
