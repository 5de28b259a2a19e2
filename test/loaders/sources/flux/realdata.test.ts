import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Problem } from "../../../../loaders/model/records.js";
import { isProblem, type BatchFile, type BatchRecord, type LineResult } from "../../../../loaders/sources/batch/records.js";
import { resourceSetCounts } from "../../../../loaders/sources/flux/resource-set.js";
import { fluxSource } from "../../../../loaders/sources/flux/source.js";
import { realdata } from "../../../helpers/realdata.js";

/**
 * flux-core's `flux jobs` test cases (../shared/realdata/flux/flux-core, see its PROVENANCE.md): job-list records
 * captured from real instances, one a line, and what `flux jobs` printed for them.
 */
const { path: root, missing } = realdata("flux/flux-core");
const CASES = join(root, "t", "flux-jobs", "tests");
const S = 1_000_000;
/** 2027-01-15: after every record of the cases, so that their running jobs run until then. */
const LATER = 1_800_000_000 * S;

const caseLines = (name: string, file: string) =>
  readFileSync(join(CASES, name, file), "utf8")
    .split("\n")
    .slice(0, -1);

function parseCase(name: string, time: number | null): { lines: string[]; results: LineResult[] } {
  const lines = caseLines(name, "input");
  const file: BatchFile = { path: `flux/${name}/input`, cluster: "asp", time };
  const parser = fluxSource.parser(file);
  return { lines, results: lines.map((text, index) => [parser.line(text, index + 1)].flat()[0] ?? null) };
}

const records = (results: LineResult[]) => results as BatchRecord[];
/** A time as the test reads it itself: seconds to the nearest microsecond, in floating point. */
const micros = (seconds: number) => Math.round(seconds * S);

/**
 * The seconds a Flux Standard Duration printed by `flux jobs` can stand for: `0s` is under a millisecond; seconds
 * under 10 are printed to 3 decimals; anything else to 4 significant digits (trailing zeros dropped), in s, m, h or d.
 */
function fsdBounds(text: string): [number, number] {
  if (text === "0s") return [0, 0.001];
  const match = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text);
  if (!match) throw new Error(`not a Flux Standard Duration: ${text}`);
  const value = Number(match[1]);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "s" | "m" | "h" | "d"];
  const half = match[2] === "s" && value < 10 ? 0.0005 : 0.5 * 10 ** (Math.floor(Math.log10(value)) - 3);
  return [(value - half) * unit, (value + half) * unit];
}

describe.skipIf(missing)("flux-core's flux-jobs test records", () => {
  it("parses every input without a crash, naming each line it skips", () => {
    const problems: Problem[] = [];
    for (const name of readdirSync(CASES).sort()) {
      const { results } = parseCase(name, null);
      for (const result of results) {
        expect(result).not.toBeNull();
        if (isProblem(result)) problems.push(result);
      }
      // With a file time, every line is a record.
      expect(parseCase(name, LATER).results.filter(isProblem)).toEqual([]);
    }
    // The jobs running when they were captured, in a file whose name gives no time.
    const reason = "a job still running in a file whose name gives no time (YYYY-MM-DDTHH:MM:SS.<ext>)";
    expect(problems).toEqual([
      { file: "flux/contextual_info/input", line: 5, account: "default", job: "44258295808", reason, detail: null },
      { file: "flux/returncode/input", line: 1, account: "default", job: "106958577205248", reason, detail: null },
    ]);
  });

  it("gives the exit codes flux jobs printed as returncode (- for a running job)", () => {
    const { results } = parseCase("returncode", LATER);
    expect(records(results).map((r) => r.job.exitCode ?? "-")).toEqual(caseLines("returncode", "output"));
    // The running job runs until the file's time; the one canceled before it ran consumed nothing.
    expect(records(results)[0]?.interval).toMatchObject({ start: 1_607_972_908_453_242, end: LATER, resources: { cpu_num: null, gpu_num: null } });
    expect(records(results)[0]?.job).toMatchObject({ state: "RUN", nodes: 4, endTime: null });
    expect(records(results)[2]).toMatchObject({ interval: null, job: { state: "CANCELED", startTime: null, endTime: 1_607_972_380_122_489 } });
  });

  it("runs the jobs of issue#2658 from t_run to t_inactive; flux jobs' runtimes (t_cleanup - t_run) agree to the printed precision", () => {
    const { lines, results } = parseCase("issue#2658", null);
    const printed = caseLines("issue#2658", "output");
    expect(results).toHaveLength(printed.length);
    for (const [index, result] of records(results).entries()) {
      const input = JSON.parse(lines[index]!) as { t_run: number; t_cleanup: number; t_inactive: number };
      const { start, end } = result.interval!;
      expect(start).toBe(micros(input.t_run));
      expect(end).toBe(micros(input.t_inactive));
      // This adapter ends the run at t_inactive (0.0666 s after t_run in every line); flux jobs prints the runtime
      // from t_run to t_cleanup, which the test reads from the input: our start against Flux's printed duration.
      const [low, high] = fsdBounds(printed[index]!);
      const runtime = (micros(input.t_cleanup) - start) / S;
      // One microsecond of rounding each side: 0.0009999 s is 1000 µs once t_run and t_cleanup are rounded.
      expect(runtime, `line ${index + 1}: ${printed[index]}`).toBeGreaterThanOrEqual(low - 1e-6);
      expect(runtime, `line ${index + 1}: ${printed[index]}`).toBeLessThan(high + 1e-6);
      expect(result.job).toMatchObject({ jobId: "207416721408", owner: "1000", account: "default", name: "sleep", state: "CLEANUP" });
    }
  });

  it("gives no run to a job rejected by the scheduler (issue#2634: runtime 0s) nor to a pending one (issue#5827: t_run 0.0)", () => {
    const [rejected] = records(parseCase("issue#2634", null).results);
    expect(caseLines("issue#2634", "output")).toEqual(["- 0s"]);
    expect(rejected).toMatchObject({ interval: null, job: { state: "CLEANUP", startTime: null, endTime: 1_579_133_377_866_727, exitCode: null } });
    const [pending] = records(parseCase("issue#5827", null).results);
    expect(caseLines("issue#5827", "output")).toEqual(["0.0,"]);
    expect(pending).toMatchObject({ interval: null, job: { state: "SCHED", startTime: null, submitTime: 1_711_580_059_615_546 } });
  });

  it("decodes the states flux jobs' contextual_info is printed by", () => {
    const states = records(parseCase("contextual_info", LATER).results).map((r) => r.job.state);
    const printed = caseLines("contextual_info", "output");
    // priority-wait: PRIORITY; eta: SCHED; depends: DEPEND; a node list: RUN or later.
    const expected = printed.map((text) =>
      text === "priority-wait"
        ? ["PRIORITY"]
        : text.startsWith("eta:")
          ? ["SCHED"]
          : text.startsWith("depends:")
            ? ["DEPEND"]
            : ["RUN", "CLEANUP", "COMPLETED"],
    );
    expect(states.map((state, index) => expected[index]!.includes(state!))).toEqual(printed.map(() => true));
  });

  it("does not read the job-manager's KVS dumps, which are not job-list records", () => {
    const dumps = join(root, "t", "job-manager", "dumps");
    const names = readdirSync(dumps, { recursive: true, encoding: "utf8" }).filter((name) => name.endsWith(".bz2"));
    expect(names).toHaveLength(12);
    expect(names.filter((name) => fluxSource.matches(basename(name)))).toEqual([]);
  });
});

/** The files of a `flux dump` archive (bzip2 or plain tar, which `tar` tells apart). */
function dumpEntries(archive: string): string[] {
  return execFileSync("tar", ["-tf", archive], { encoding: "utf8" })
    .split("\n")
    .filter((name) => name !== "" && !name.endsWith("/"));
}
const dumpEntry = (archive: string, name: string) => execFileSync("tar", ["-xOf", archive, name], { encoding: "utf8" });

interface DumpEvent {
  timestamp: number;
  name: string;
  context?: Record<string, unknown>;
}

/**
 * flux-core's job-manager KVS dumps (PROVENANCE.md: one job each, R as `rank 0, core 0`, run times 0.016-0.068 s from
 * the eventlog). They are not job records the adapter reads (`.tar.bz2`, a KVS tree): the test makes of each valid
 * one the job-list record Flux's job-list module would (t_submit the submit event, t_run the alloc event that enters
 * RUN, t_cleanup finish, t_inactive clean, R as stored), and hands it to the adapter.
 */
describe.skipIf(missing)("flux-core's job-manager KVS dumps", () => {
  const dumps = join(root, "t", "job-manager", "dumps");
  const archives = missing
    ? []
    : readdirSync(dumps, { recursive: true, encoding: "utf8" })
        .filter((name) => name.endsWith(".tar.bz2"))
        .sort();
  /** The job's folder in a dump (`job/0000/0001/ce00/0000`): its FLUID in hexadecimal. */
  const jobFolder = (entries: string[]) => entries.find((name) => name.endsWith("/J"))!.replace(/\/J$/, "");

  it("are the 12 of PROVENANCE.md: 7 valid, 4 warn, 1 invalid; each holds one job", () => {
    expect(archives.map((name) => name.split("/")[0])).toEqual(["invalid", ...Array(7).fill("valid"), ...Array(4).fill("warn")]);
    for (const name of archives) {
      const folders = new Set(
        dumpEntries(join(dumps, name))
          .filter((entry) => entry.startsWith("job/"))
          .map((entry) => entry.split("/").slice(0, 5).join("/")),
      );
      expect(folders.size, name).toBe(1);
    }
  });

  it("valid: R holds rank 0, core 0 (1 node, 1 core, no GPU), and the adapter runs the job from alloc to clean on it", () => {
    const valid = archives.filter((name) => name.startsWith("valid/"));
    expect(valid).toHaveLength(7);
    const runtimes: number[] = [];
    for (const name of valid) {
      const archive = join(dumps, name);
      const folder = jobFolder(dumpEntries(archive));
      const R = JSON.parse(dumpEntry(archive, `${folder}/R`)) as { execution: { nodelist: string[] } };
      expect(resourceSetCounts(R), name).toEqual({ nodes: 1, cores: 1, gpus: 0 });
      const events = dumpEntry(archive, `${folder}/eventlog`)
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as DumpEvent);
      const at = (event: string) => events.find(({ name: named }) => named === event)!;
      // The scheduler's summary of what it allocated says the same as R.
      expect(at("alloc").context, name).toEqual({ annotations: { sched: { resource_summary: "rank0/core0" } } });
      // PROVENANCE.md's 0.016-0.068 s, to the millisecond it gives.
      const runtime = Math.round((at("finish").timestamp - at("start").timestamp) * 1000) / 1000;
      runtimes.push(runtime);
      const jobList = {
        id: BigInt(`0x${folder.slice("job/".length).replaceAll("/", "")}`).toString(),
        userid: at("submit").context!.userid,
        t_submit: at("submit").timestamp,
        t_run: at("alloc").timestamp,
        t_cleanup: at("finish").timestamp,
        t_inactive: at("clean").timestamp,
        state: 64,
        result: at("finish").context!.status === 0 ? 1 : 2,
        waitstatus: at("finish").context!.status,
        R,
      };
      const results = fluxSource.parser({ path: `flux/${name}`, cluster: "dump", time: null }).line(JSON.stringify(jobList), 1);
      const [record] = [results].flat() as BatchRecord[];
      expect(record, name).toMatchObject({
        job: { owner: String(jobList.userid), account: "default", state: "COMPLETED", exitCode: "0", nodes: 1, nodeNames: R.execution.nodelist },
        interval: { start: micros(jobList.t_run), end: micros(jobList.t_inactive), resources: { cpu_num: 1, gpu_num: 0 } },
      });
    }
    expect([Math.min(...runtimes), Math.max(...runtimes)]).toEqual([0.016, 0.068]);
  });

  it("warn: each lacks what its name says (the eventlog, the jobspec, the submit event; a short eventlog)", () => {
    const job = (name: string) => {
      const entries = dumpEntries(join(dumps, "warn", `dump-${name}.tar.bz2`));
      const folder = jobFolder(entries);
      return { names: entries.filter((entry) => entry.startsWith(`${folder}/`)).map((entry) => entry.slice(folder.length + 1)), folder };
    };
    expect(job("noeventlog").names).not.toContain("eventlog");
    expect(job("nojobspec").names).not.toContain("jobspec");
    const nosubmit = job("nosubmit");
    const events = (name: string, folder: string) =>
      dumpEntry(join(dumps, "warn", `dump-${name}.tar.bz2`), `${folder}/eventlog`)
        .trim()
        .split("\n")
        .map((line) => (JSON.parse(line) as DumpEvent).name);
    expect(events("nosubmit", nosubmit.folder)).not.toContain("submit");
    const short = job("shorteventlog");
    // Submitted, never allocated: no R, no run.
    expect(events("shorteventlog", short.folder)).toEqual(["submit"]);
    expect(short.names).not.toContain("R");
  });

  it("invalid: the job's folder is not a FLUID's four 16-bit hexadecimal parts", () => {
    const folder = jobFolder(dumpEntries(join(dumps, "invalid", "dump-baddir.tar.bz2")));
    expect(folder).toBe("job/0000/0001/e100/ZZZZ");
    expect(/^job(\/[0-9a-f]{4}){4}$/.test(folder)).toBe(false);
  });
});
