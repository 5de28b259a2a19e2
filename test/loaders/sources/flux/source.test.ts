import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { IntervalRecord, JobRecord } from "../../../../loaders/model/records.js";
import { CHECKED_FROM_BYTES } from "../../../../loaders/model/json-shape.js";
import { isProblem, type BatchFile, type BatchRecord, type LineResult } from "../../../../loaders/sources/batch/records.js";
import { fluxLineResults, fluxSource } from "../../../../loaders/sources/flux/source.js";
import { ROOT } from "../../../helpers/project.js";

/** What the ingest's parser gives for a line holding one job (or none). */
const single = (file: BatchFile, text: string, number: number): LineResult => [fluxSource.parser(file).line(text, number)].flat()[0] ?? null;

const FIXTURES = join(ROOT, "test", "fixtures", "flux");
const S = 1_000_000;
/** 2024-05-01T00:00:00Z, the time the fixture's name gives. */
const FILE_TIME = 1_714_521_600 * S;

const jsonl: BatchFile = { path: "flux/2024-05-01T00:00:00.jsonl", cluster: "tioga", time: FILE_TIME };
const fixtureLines = (name: string) => readFileSync(join(FIXTURES, name), "utf8").split("\n").slice(0, -1);

/** What a parser makes of each line of a file, fed in order. */
function parseAll(file: BatchFile, lines: string[]): LineResult[] {
  const parser = fluxSource.parser(file);
  return lines.map((text, index) => [parser.line(text, index + 1)].flat()[0] ?? null);
}

function job(fields: Partial<JobRecord> & Pick<JobRecord, "account" | "jobId" | "owner">, cluster = "tioga"): JobRecord {
  return {
    source: "flux",
    cluster,
    name: null,
    kind: null,
    title: null,
    dockerImage: null,
    datacenter: null,
    queue: null,
    qos: null,
    group: null,
    nodes: null,
    nodeNames: null,
    submitTime: null,
    startTime: null,
    endTime: null,
    firstSeen: null,
    lastSeen: null,
    state: null,
    exitCode: null,
    ...fields,
  };
}

function interval(record: JobRecord, start: number, end: number, cores: number | null, gpus: number | null): IntervalRecord {
  const { source, cluster, account, owner, jobId } = record;
  return {
    source,
    cluster,
    account,
    owner,
    jobId,
    allocId: null,
    start,
    end,
    firstSnapshot: null,
    lastSnapshot: null,
    resources: { cpu_num: cores, cpu_MHz: null, gpu_num: gpus, memory_MB: null, disk_MB: null },
  };
}

function record(jobRecord: JobRecord, run?: { start: number; end: number; cores: number | null; gpus: number | null }): BatchRecord {
  return { job: jobRecord, interval: run ? interval(jobRecord, run.start, run.end, run.cores, run.gpus) : null, run: jobRecord.jobId };
}

describe("fluxSource", () => {
  it("reads the flux folder's JSON and JSON Lines files, rotated copies included (the ingest decompresses gzipped ones), but not KVS dumps", () => {
    expect([fluxSource.source, fluxSource.folder]).toEqual(["flux", "flux"]);
    for (const name of ["2024-05-01T00:00:00.jsonl", "jobs.json", "jobs.jsonl.1", "2024-05-01T00:00:00.json.txt", "jobs.jsonl.2"]) {
      expect(fluxSource.matches(name)).toBe(true);
    }
    for (const name of ["dump-0-40-0.tar", "input", "accounting", "jobs.txt"]) expect(fluxSource.matches(name)).toBe(false);
  });

  it("makes each golden job-list line its exact record, problem or nothing", () => {
    const results = parseAll(jsonl, fixtureLines("2024-05-01T00:00:00.jsonl"));
    const completed = job({
      account: "physics",
      jobId: "1000000",
      owner: "1001",
      name: "sim",
      queue: "batch",
      nodes: 2,
      nodeNames: ["node0", "node1"],
      submitTime: 1_714_500_000_500_000,
      startTime: 1_714_500_010_250_000,
      endTime: 1_714_503_611_750_000,
      state: "COMPLETED",
      exitCode: "0",
    });
    // flux-accounting's archive: R and jobspec as JSON text, the bank in the jobspec, `bank` empty.
    const archived = job({
      account: "chemistry",
      jobId: "2000000",
      owner: "1002",
      nodes: 2,
      // R's own execution.nodelist.
      nodeNames: ["node2", "node3"],
      submitTime: 1_714_500_100 * S,
      startTime: 1_714_500_200 * S,
      endTime: 1_714_507_400 * S,
    });
    const running = job({
      account: "ml",
      jobId: "3000000",
      owner: "carol",
      name: "train",
      queue: "gpu",
      nodes: 1,
      submitTime: 1_714_510_000 * S,
      startTime: 1_714_510_005 * S,
      state: "RUN",
    });
    const canceled = job({
      account: "physics",
      jobId: "4000000",
      owner: "1001",
      name: "never",
      submitTime: 1_714_511_000 * S,
      endTime: 1_714_511_060_500_000,
      state: "CANCELED",
      exitCode: "-128",
    });
    // 1714512001.9159656 s is …001.915966 s to the microsecond; 1714515601.9999993 s is …601.999999 s.
    const timedOut = job({
      account: "physics",
      jobId: "5000000",
      owner: "1004",
      nodes: 1,
      submitTime: 1_714_512_000 * S,
      startTime: 1_714_512_001_915_966,
      endTime: 1_714_515_601_999_999,
      state: "TIMEOUT",
      exitCode: "-9",
    });
    // 2^60 + 1: past a double's exact integers, kept to the digit.
    const queued = job({ account: "physics", jobId: "1152921504606846977", owner: "1001", name: "queued", submitTime: 1_714_513_000 * S, state: "SCHED" });
    // Wait status 256: exit status 1. Ranks 0-3 and 8 with cores 0-1: 5 nodes, 10 cores, no GPU.
    const failed = job({
      account: "physics",
      jobId: "8000000",
      owner: "1005",
      nodes: 5,
      submitTime: 1_714_514_000 * S,
      startTime: 1_714_514_010 * S,
      endTime: 1_714_514_071 * S,
      state: "FAILED",
      exitCode: "1",
    });
    const problem = (line: number, reason: string, detail: string | null, account: string | null = null, jobId: string | null = null) => ({
      file: jsonl.path,
      line,
      account,
      job: jobId,
      reason,
      detail,
    });
    expect(results).toEqual([
      record(completed, { start: completed.startTime!, end: completed.endTime!, cores: 8, gpus: null }),
      record(archived, { start: archived.startTime!, end: archived.endTime!, cores: 32, gpus: 4 }),
      record(running, { start: running.startTime!, end: FILE_TIME, cores: 8, gpus: 4 }),
      record(canceled),
      null,
      record(timedOut, { start: timedOut.startTime!, end: timedOut.endTime!, cores: 4, gpus: 0 }),
      record(queued),
      problem(8, "a line that is not valid JSON", expect.any(String) as unknown as string),
      problem(9, "a field of the wrong type", 't_run: "1714514000"', "default", "7000000"),
      problem(10, "a line that is not a JSON object", "[1,2,3]"),
      record(failed, { start: failed.startTime!, end: failed.endTime!, cores: 10, gpus: 0 }),
    ]);
  });

  it("reads each line alone: a skipped line changes no other record", () => {
    const lines = fixtureLines("2024-05-01T00:00:00.jsonl");
    const together = parseAll(jsonl, lines);
    const alone = lines.map((text, index) => single(jsonl, text, index + 1));
    expect(alone).toEqual(together);
    const withoutBad = parseAll(jsonl, lines.slice(0, 7));
    expect(together.slice(0, 7)).toEqual(withoutBad);
  });

  it("reports a running job in a file whose name gives no time", () => {
    const file: BatchFile = { path: "flux/cluster-a/jobs.jsonl", cluster: "cluster-a", time: null };
    const [, , running] = parseAll(file, fixtureLines("2024-05-01T00:00:00.jsonl"));
    expect(running).toEqual({
      file: file.path,
      line: 3,
      account: "ml",
      job: "3000000",
      reason: "a job still running in a file whose name gives no time (YYYY-MM-DDTHH:MM:SS.<ext>)",
      detail: null,
    });
  });

  it("takes every job of a `flux jobs -a --json` document, ids in decimal from integers and F58", () => {
    const file: BatchFile = { path: "flux/2024-05-02T00:00:00.json", cluster: "flux", time: 1_714_608_000 * S };
    const [text] = fixtureLines("2024-05-02T00:00:00.json");
    const results = fluxLineResults(text!, 1, file);
    const lammps = job(
      {
        account: "physics",
        jobId: "14965276672",
        owner: "alice",
        name: "lammps",
        queue: "pbatch",
        nodes: 2,
        nodeNames: ["tioga1", "tioga2"],
        submitTime: 1_714_600_000_125_000,
        startTime: 1_714_600_001_500_000,
        endTime: 1_714_603_602 * S,
        state: "COMPLETED",
        exitCode: "0",
      },
      "flux",
    );
    // A Flux instance run as a job: the jobs `--recursive` lists inside it are not read (they ran in its allocation).
    const instance = job(
      {
        account: "default",
        jobId: "6731191091817518",
        owner: "bob",
        name: "flux",
        queue: "pbatch",
        nodes: 1,
        nodeNames: ["tioga4"],
        submitTime: 1_714_600_100 * S,
        startTime: 1_714_600_200 * S,
        state: "RUN",
      },
      "flux",
    );
    // No `id`: the F58 `jobid` (2^64 - 1, flux-core's own test vector).
    const hello = job(
      {
        account: "chemistry",
        jobId: "18446744073709551615",
        owner: "carol",
        name: "hello",
        queue: "pdebug",
        submitTime: 1_714_600_500 * S,
        endTime: 1_714_600_510_500_000,
        state: "CANCELED",
        exitCode: "-128",
      },
      "flux",
    );
    expect(results).toEqual([
      record(lammps, { start: lammps.startTime!, end: lammps.endTime!, cores: 72, gpus: null }),
      record(instance, { start: instance.startTime!, end: file.time!, cores: 8, gpus: null }),
      record(hello),
    ]);
    // The ingest's parser gives every job of the document.
    expect(fluxSource.parser(file).line(text!, 1)).toEqual(results);
    expect(fluxSource.parser(file).line(`{"jobs": [${JSON.stringify({ id: 9, userid: 1 })}]}`, 1)).toMatchObject([{ job: { jobId: "9" } }]);
    expect(fluxSource.parser(file).line('{"jobs": []}', 1)).toEqual([]);
    expect(fluxLineResults('{"jobs": [7]}', 4, file)).toEqual([
      { file: file.path, line: 4, account: null, job: null, reason: "a line that is not a JSON object", detail: "jobs[0]: 7" },
    ]);
  });
});

describe("a job line's rules", () => {
  const file: BatchFile = { path: "flux/x.jsonl", cluster: "c", time: FILE_TIME };
  const base = { id: 42, userid: 1000, t_submit: 1_714_500_000, t_run: 1_714_500_001, t_inactive: 1_714_500_061, state: 64, result: 1 };
  const parse = (fields: Record<string, unknown>) => [single(file, JSON.stringify({ ...base, ...fields }), 1)].flat()[0] ?? null;
  const reasonOf = (fields: Record<string, unknown>) => {
    const result = parse(fields);
    if (!result || !isProblem(result)) throw new Error(`not a problem: ${JSON.stringify(result)}`);
    return [result.reason, result.detail];
  };
  const recordOf = (fields: Record<string, unknown>) => parse(fields) as BatchRecord;

  it("skips blank lines", () => {
    expect(single(file, "", 1)).toBeNull();
    expect(single(file, "  \t", 2)).toBeNull();
  });

  it("names the owner by username, else by userid", () => {
    expect(recordOf({ username: "dave" }).job.owner).toBe("dave");
    expect(recordOf({ username: "" }).job.owner).toBe("1000");
    expect(reasonOf({ userid: undefined })).toEqual(["a job record without its user (username or userid)", null]);
    expect(reasonOf({ userid: -1 })).toEqual(["a field of the wrong type", "userid: -1"]);
  });

  it("charges the bank, else the jobspec's bank, else default", () => {
    expect(recordOf({ bank: "b1", jobspec: { attributes: { system: { bank: "b2" } } } }).job.account).toBe("b1");
    expect(recordOf({ jobspec: { attributes: { system: { bank: "b2" } } } }).interval?.account).toBe("b2");
    expect(recordOf({ jobspec: { attributes: { system: {} } } }).job.account).toBe("default");
    expect(recordOf({ bank: null }).job.account).toBe("default");
    expect(reasonOf({ bank: 3 })).toEqual(["a field of the wrong type", "bank: 3"]);
    expect(reasonOf({ jobspec: "{not json" })).toEqual(["an R or jobspec that is not valid JSON", expect.stringMatching(/^jobspec: /)]);
    expect(reasonOf({ jobspec: { attributes: { system: { bank: ["x"] } } } })).toEqual(["a field of the wrong type", 'jobspec.attributes.system.bank: ["x"]']);
  });

  it("runs inactive jobs from t_run to t_inactive, running ones to the file's time; never-started ones consume nothing", () => {
    expect(recordOf({}).interval).toMatchObject({ start: 1_714_500_001 * S, end: 1_714_500_061 * S });
    expect(recordOf({ t_inactive: undefined, t_cleanup: 1_714_500_050, state: 32, result: undefined }).interval).toMatchObject({ end: FILE_TIME });
    expect(recordOf({ t_run: undefined }).interval).toBeNull();
    // Flux writes an unset time as 0.
    expect(recordOf({ t_run: 0 }).interval).toBeNull();
    expect(reasonOf({ t_inactive: undefined, state: 64 })).toEqual(["an inactive job without its end (t_inactive)", null]);
    expect(reasonOf({ t_inactive: 1_714_500_000 })).toEqual([
      "a job that ends before it starts",
      "start 2024-04-30T18:00:01.000000Z, end 2024-04-30T18:00:00.000000Z",
    ]);
    expect(reasonOf({ t_run: FILE_TIME / S + 1, t_inactive: undefined, state: 16, result: undefined })).toEqual([
      "a job that ends before it starts",
      "start 2024-05-01T00:00:01.000000Z, end 2024-05-01T00:00:00.000000Z",
    ]);
  });

  it("rounds times to the microsecond, carrying into the second", () => {
    expect(recordOf({ t_run: 1_714_500_001.4045851, t_inactive: 1_714_500_061.9999998 }).interval).toMatchObject({
      start: 1_714_500_001_404_585,
      end: 1_714_500_062 * S,
    });
  });

  it("refuses times before 2000, too large for microseconds, or not numbers", () => {
    expect(reasonOf({ t_submit: 946_684_799 })).toEqual(["a time before 2000 or too large", "t_submit: 946684799"]);
    // Milliseconds written for seconds.
    expect(reasonOf({ t_run: 1_714_500_001_000 })).toEqual(["a time before 2000 or too large", "t_run: 1714500001000"]);
    expect(reasonOf({ t_inactive: 1e300 })).toEqual(["a time before 2000 or too large", "t_inactive: 1e+300"]);
    expect(single(file, '{"id": 1, "userid": 1, "t_run": 1e400}', 1)).toMatchObject({
      reason: "a time before 2000 or too large",
      detail: "t_run: Infinity",
    });
    expect(reasonOf({ t_run: true })).toEqual(["a field of the wrong type", "t_run: true"]);
  });

  it("reads the job id from an integer of any size up to 64 bits, decimal text or F58", () => {
    const idOf = (text: string) => (single(file, text, 1) as BatchRecord).run;
    expect(idOf('{"id": 18446744073709551615, "userid": 1}')).toBe("18446744073709551615");
    expect(idOf('{"id": 9007199254740993, "userid": 1}')).toBe("9007199254740993");
    expect(idOf('{"id": "ƒ2ARxLQf", "userid": 1}')).toBe(idOf('{"jobid": "f2ARxLQf", "userid": 1}'));
    expect(reasonOf({ id: 18446744073709551616n.toString() })).toEqual(["a job record without a valid job id", '"18446744073709551616"']);
    expect(single(file, '{"id": 18446744073709551616, "userid": 1}', 1)).toMatchObject({ reason: "a job record without a valid job id" });
    expect(reasonOf({ id: -3 })).toEqual(["a job record without a valid job id", "-3"]);
    expect(reasonOf({ id: 1.5 })).toEqual(["a job record without a valid job id", "1.5"]);
    expect(reasonOf({ id: undefined })).toEqual(["a job record without a valid job id", "absent"]);
  });

  it("keeps huge integers of other fields as their digits, refused where a count is due", () => {
    expect(single(file, '{"id": 1, "userid": 1, "ncores": 123456789012345678901}', 1)).toMatchObject({
      reason: "a field of the wrong type",
      detail: 'ncores: "123456789012345678901"',
    });
    // Digits in strings and long fractions are left alone.
    expect(single(file, '{"id": 1, "userid": 1, "name": "12345678901234567890", "duration": 0.12345678901234567}', 1)).toMatchObject({
      job: { name: "12345678901234567890" },
    });
  });

  it("counts cores and GPUs from ncores and ngpus, else from R; null when neither tells", () => {
    const R = { version: 1, execution: { R_lite: [{ rank: "0-1", children: { core: "0-3", gpu: "0" } }] } };
    expect(recordOf({ R }).interval?.resources).toMatchObject({ cpu_num: 8, gpu_num: 2 });
    expect(recordOf({ R, ncores: 6, ngpus: 1 }).interval?.resources).toMatchObject({ cpu_num: 6, gpu_num: 1 });
    expect(recordOf({ ncores: 6 }).interval?.resources).toMatchObject({ cpu_num: 6, gpu_num: null });
    expect(recordOf({}).interval?.resources).toEqual({ cpu_num: null, cpu_MHz: null, gpu_num: null, memory_MB: null, disk_MB: null });
    expect(recordOf({ R }).job.nodes).toBe(2);
    expect(reasonOf({ R: { version: 2, execution: { R_lite: [] } } })).toEqual([
      "an R that is not an RFC 20 resource set",
      '{"version":2,"execution":{"R_lite":[]}}',
    ]);
    expect(reasonOf({ R: { version: 1, execution: { R_lite: [{ rank: "3-1", children: { core: "0" } }] } } })[0]).toBe(
      "an R that is not an RFC 20 resource set",
    );
    expect(reasonOf({ R: "[" })).toEqual(["an R or jobspec that is not valid JSON", expect.stringMatching(/^R: /)]);
    expect(reasonOf({ R: 5 })).toEqual(["a field of the wrong type", "R: 5"]);
    expect(reasonOf({ ncores: 2.5 })).toEqual(["a field of the wrong type", "ncores: 2.5"]);
  });

  it("gives the result of inactive jobs and the state of active ones, as numbers or names", () => {
    expect(recordOf({}).job.state).toBe("COMPLETED");
    expect(recordOf({ result: "TIMEOUT", state: "INACTIVE" }).job.state).toBe("TIMEOUT");
    expect(recordOf({ result: undefined, state: 32, t_inactive: undefined }).job.state).toBe("CLEANUP");
    expect(recordOf({ result: undefined, state: 1, t_run: undefined, t_inactive: undefined }).job.state).toBe("NEW");
    expect(reasonOf({ state: 3 })).toEqual(["an unknown state or result", "state: 3"]);
    expect(reasonOf({ result: "DONE" })).toEqual(["an unknown state or result", 'result: "DONE"']);
    expect(reasonOf({ result: {} })).toEqual(["a field of the wrong type", "result: {}"]);
  });

  it("computes the exit code as flux jobs' returncode does", () => {
    const exitOf = (fields: Record<string, unknown>) => recordOf(fields).job.exitCode;
    expect(exitOf({ returncode: 3, waitstatus: 0 })).toBe("3");
    expect(exitOf({ waitstatus: 0 })).toBe("0");
    expect(exitOf({ waitstatus: 42 << 8 })).toBe("42");
    expect(exitOf({ waitstatus: 9 })).toBe("-9");
    // Stopped (0x7f): neither exited nor signaled.
    expect(exitOf({ waitstatus: 0x137f })).toBeNull();
    expect(exitOf({ result: 4 })).toBe("-128");
    expect(exitOf({ result: 2 })).toBe("1");
    expect(exitOf({ result: 1 })).toBeNull();
  });

  it("names broken JSON, a truncated object and other values than objects", () => {
    const truncated = single(file, '{"id": 42, "userid": 1000, "t_run": 17145', 7);
    expect(truncated).toMatchObject({ file: file.path, line: 7, account: null, job: null, reason: "a line that is not valid JSON" });
    expect(single(file, "id=42", 1)).toMatchObject({ reason: "a line that is not valid JSON" });
    expect(single(file, '"text"', 1)).toMatchObject({ reason: "a line that is not a JSON object", detail: '"text"' });
    expect(single(file, "null", 1)).toMatchObject({ reason: "a line that is not a JSON object", detail: "null" });
  });

  it("refuses a line nested too deep before parsing it, and cuts long details", () => {
    const deep = `${"[".repeat(CHECKED_FROM_BYTES)}${"]".repeat(CHECKED_FROM_BYTES)}`;
    expect(single(file, deep, 1)).toMatchObject({ reason: "arrays and objects nested more than 64 levels deep", detail: null });
    const long = reasonOf({ queue: "q".repeat(1000).split("") });
    expect(long[1]).toHaveLength("queue: ".length + 201);
  });
});

describe("a long line, streamed", () => {
  const file: BatchFile = { path: "flux/2024-05-02T00:00:00.json", cluster: "tioga", time: FILE_TIME };
  const document = readFileSync(join(FIXTURES, "2024-05-02T00:00:00.json"), "utf8").trim();

  /** What the parser's stream gives for a line fed in pieces of `size` characters: every result, the end's retract. */
  function streamed(text: string, size: number) {
    const stream = fluxSource.parser(file).stream?.(3);
    if (!stream) throw new Error("the Flux parser streams no line");
    const results: LineResult[] = [];
    for (let at = 0; at < text.length; at += size) results.push(...stream.write(text.slice(at, at + size)));
    const end = stream.end();
    return { results: end.retract ? [...end.results] : [...results, ...end.results], retract: end.retract };
  }
  const whole = (text: string) => [fluxSource.parser(file).line(text, 3)].flat();

  it("gives every job of a document as the whole line does, in pieces of any size", () => {
    for (const size of [1, 7, 100, document.length]) expect(streamed(document, size)).toEqual({ results: whole(document), retract: false });
  });

  it("gives what the whole line gives for other values: a job with the jobs it nests, broken elements, ids past 2^53, blanks", () => {
    const nested = '{"jobs": [{"id": 1, "userid": 5, "t_run": 1714600300.0, "t_inactive": 1714600400.0}], "id": 18446744073709551615, "userid": 7}';
    const lines = [nested, '{"jobs": [1, {"id": 2}, [3], {"id": 9007199254740993, "userid": 5}]}', '{"jobs": 4, "id": 5, "userid": 6}', "   "];
    for (const line of lines) expect(streamed(line, 5).results).toEqual(whole(line));
    expect(streamed(nested, 5).results).toMatchObject([{ job: { jobId: "18446744073709551615", owner: "7" } }]);
  });

  it("refuses a line cut short, not valid JSON or not an object as a whole, dropping the jobs it gave", () => {
    const cut = streamed(document.slice(0, -40), 50);
    expect(cut.retract).toBe(true);
    expect(cut.results).toMatchObject([{ file: file.path, line: 3, reason: "a line that is not valid JSON" }]);
    expect(streamed(`${document}x`, 50).results).toMatchObject([{ reason: "a line that is not valid JSON" }]);
    expect(streamed('["text"]', 3)).toMatchObject({ results: [{ reason: "a line that is not a JSON object", detail: '["text"]' }], retract: true });
  });

  it("refuses a line nested too deep or too dense as it streams", () => {
    const deep = streamed(`{"jobs": [${"[".repeat(100)}${"]".repeat(100)}]}`, 10);
    expect(deep).toEqual({ results: [expect.objectContaining({ reason: "arrays and objects nested more than 64 levels deep" })], retract: true });
    const dense = streamed(`{"vo": [${"[],".repeat(CHECKED_FROM_BYTES)}[]]}`, 65_536);
    expect(dense.results).toMatchObject([{ reason: "more than one array or object per 16 bytes", detail: null }]);
  });
});
