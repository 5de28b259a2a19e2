import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Problem } from "../../../../loaders/model/records.js";
import { isProblem, type BatchFile, type BatchRecord, type LineResult } from "../../../../loaders/sources/batch/records.js";
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
