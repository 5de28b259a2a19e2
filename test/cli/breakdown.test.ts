import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BINS, DIMENSIONS } from "../../loaders/queries/breakdown.js";
import { HOUR_METRICS, METRICS } from "../../loaders/queries/report.js";
import { runCli } from "../helpers/cli.js";
import { REFERENCE_ARCHIVE } from "../helpers/reference.js";

const MIXED = fileURLToPath(new URL("../fixtures/archives/mixed", import.meta.url));

type UsageJson = Record<string, number | null>;
interface BreakdownJson {
  from: string;
  to: string;
  mode: string;
  by: string;
  bin: string | null;
  groups: Record<string, UsageJson>;
  other: UsageJson | null;
  total: UsageJson;
}

async function json(args: string[]): Promise<unknown> {
  const { code, stdout, stderr } = await runCli(["report", "--format", "json", "--quiet", ...args]);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  return JSON.parse(stdout);
}

/** Each resource's hours of the groups (and other) add up to the total's, to 1e-9 relative. */
function expectAddsUp(breakdown: BreakdownJson): void {
  for (const metric of HOUR_METRICS) {
    const total = breakdown.total[metric] as number | null;
    const sum = [...Object.values(breakdown.groups), breakdown.other].reduce((found, usage) => found + (usage?.[metric] ?? 0), 0);
    if (total === null) expect(sum, metric).toBe(0);
    else expect(Math.abs(sum - total), `${breakdown.by} ${metric}`).toBeLessThanOrEqual(1e-9 * Math.max(1, total));
  }
}

describe("accounting report --by", () => {
  it("prints, for every dimension, groups that add up to the report's total, in the documented shape", async () => {
    const report = (await json(["--archive", MIXED])) as { total: UsageJson };
    for (const by of DIMENSIONS) {
      const breakdown = (await json(["--archive", MIXED, "--by", by])) as BreakdownJson & { coverage: object };
      expect(Object.keys(breakdown)).toEqual(["from", "to", "mode", "by", "bin", "groups", "other", "total", "coverage"]);
      expect([breakdown.by, breakdown.bin, breakdown.other]).toEqual([by, null, null]);
      for (const usage of [...Object.values(breakdown.groups), breakdown.total]) expect(Object.keys(usage)).toEqual([...METRICS]);
      expectAddsUp(breakdown);
      for (const metric of METRICS) {
        const expected = report.total[metric] as number | null;
        if (expected === null || metric === "jobs" || metric === "users") expect(breakdown.total[metric], metric).toBe(expected);
        else expect(breakdown.total[metric]).toBeCloseTo(expected, 6);
      }
    }
  }, 60_000);

  it("names users by their owner id, and keeps the top N with the rest in other", async () => {
    const all = (await json(["--archive", MIXED, "--by", "user"])) as BreakdownJson;
    expect(Object.keys(all.groups)).toEqual(expect.arrayContaining(["alice", "fiona"]));
    const top = (await json(["--archive", MIXED, "--by", "user", "--top", "3"])) as BreakdownJson;
    const least = (await json(["--archive", MIXED, "--by", "user", "--least", "3"])) as BreakdownJson;
    const hours = Object.entries(all.groups)
      .map(([user, usage]) => [user, usage.cpu_num_hours as number] as const)
      .sort((a, b) => b[1] - a[1]);
    expect(Object.keys(top.groups)).toEqual(hours.slice(0, 3).map(([user]) => user));
    expect(new Set(Object.keys(least.groups))).toEqual(new Set(hours.slice(-3).map(([user]) => user)));
    for (const part of [top, least]) {
      expect(part.other).not.toBeNull();
      expect(part.total).toEqual(all.total);
      expectAddsUp(part);
    }
  });

  it.each(BINS)("prints one object per %s, each adding up, together adding up to the period", async (bin) => {
    const period = ["--from", "2024-02-20", "--to", "2024-04-10"];
    const whole = (await json(["--archive", REFERENCE_ARCHIVE, ...period, "--by", "account"])) as BreakdownJson;
    const bins = (await json(["--archive", REFERENCE_ARCHIVE, ...period, "--by", "account", "--bin", bin, "--top", "2"])) as BreakdownJson[];
    expect(bins[0]!.from).toBe("2024-02-20");
    expect(bins.at(-1)!.to).toBe("2024-04-10");
    for (const part of bins) {
      expect(Object.keys(part)).toEqual(["from", "to", "mode", "by", "bin", "groups", "other", "total"]);
      expect(part.bin).toBe(bin);
      expectAddsUp(part);
    }
    for (const metric of HOUR_METRICS) {
      const sum = bins.reduce((found, part) => found + (part.total[metric] as number), 0);
      expect(sum, metric).toBeCloseTo(whole.total[metric] as number, 6);
    }
  });

  it("prints CSV, a row per group, other and total, hours unrounded", async () => {
    const { code, stdout, stderr } = await runCli(["report", "--archive", MIXED, "--by", "source", "--format", "csv", "--bin", "day"]);
    expect(code).toBe(0);
    expect(stderr).toContain("accounting: coverage: ");
    const [header, ...lines] = stdout.trimEnd().split("\n");
    expect(header).toBe(`from,to,row,source,${METRICS.join(",")}`);
    expect(lines.filter((line) => line.includes(",total,"))).toHaveLength(3);
    expect(lines[0]).toMatch(/^2024-02-29,2024-02-29,group,nomad,/);
  });

  it("prints a table: a line per group and bin, (none) where the records give no value, the total, the mode and coverage", async () => {
    const { code, stdout } = await runCli(["report", "--archive", MIXED, "--by", "queue", "--bin", "month"]);
    expect(code).toBe(0);
    expect(stdout).toContain("Usage by queue per month for the period 2024-02-29:2024-03-02");
    expect(stdout).toMatch(/│ 2024-02 +│ \(none\) +│/);
    expect(stdout).toMatch(/│ 2024-03 +│ Total +│/);
    expect(stdout).toContain("Mode exact");
    expect(stdout).toContain("cover");
  });

  it("is in the help, with every dimension and bin", async () => {
    const { stdout } = await runCli(["--help"]);
    expect(stdout).toContain("[--by DIMENSION [--top N | --least N] [--bin day|week|month|quarter|year]]");
    const by = stdout.slice(stdout.indexOf("  --by DIMENSION"), stdout.indexOf("  --top N"));
    for (const dimension of DIMENSIONS) expect(by).toContain(dimension);
  });

  it("breaks down only the accounts --namespaces names", async () => {
    const breakdown = (await json(["--archive", MIXED, "--namespaces", "physics,ml", "--by", "account"])) as BreakdownJson;
    expect(Object.keys(breakdown.groups).sort()).toEqual(["ml", "physics"]);
    expectAddsUp(breakdown);
  });

  it.each([
    [["--by", "color"], /^accounting: --by must be account or user or .* or gpus, not "color"\n$/],
    [["--top", "3"], /^accounting: --top needs --by DIMENSION\n$/],
    [["--by", "user", "--top", "0"], /^accounting: --top must be a whole number of groups, 1 or more, not "0"\n$/],
    [["--by", "user", "--least", "x"], /^accounting: --least must be a whole number of groups, 1 or more, not "x"\n$/],
    [["--by", "user", "--top", "2", "--least", "2"], /^accounting: --top and --least cannot go together\n$/],
    [["--by", "user", "--bin", "fortnight"], /^accounting: --bin must be day or week or month or quarter or year, not "fortnight"\n$/],
    [["--by", "user", "--bin", "month", "--mode", "compat"], /^accounting: --bin needs the exact mode: .*\n$/],
  ])("refuses %j: exit 2, one line", async (args, message) => {
    const { code, stdout, stderr } = await runCli(["report", "--archive", MIXED, ...args]);
    expect([code, stdout]).toEqual([2, ""]);
    expect(stderr).toMatch(message);
  });
});
