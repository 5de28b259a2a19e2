import { describe, expect, it } from "vitest";
import { DIMENSIONS, type Breakdown } from "../../loaders/queries/breakdown.js";
import type { RecordSpan } from "../../loaders/queries/quality.js";
import type { Usage } from "../../loaders/queries/report.js";
import type { Connector } from "../../loaders/queries/sql.js";
import {
  breakdownFile,
  breakdownOutcome,
  breakdownRequest,
  breakdownRows,
  chartData,
  dimensionLabel,
  groupColors,
  groupLabel,
  legendLayout,
  offeredDimensions,
  type BreakdownChoice,
} from "../../src/components/breakdowns.js";

const ACCOUNT_WORDS = { account: "account", accounts: "accounts", Account: "Account", Accounts: "Accounts", records: "records" } as const;
const NAMESPACE_WORDS = { account: "namespace", accounts: "namespaces", Account: "Namespace", Accounts: "Namespaces", records: "snapshots" } as const;

const usage = (cpu: number, gpu: number | null = 0): Usage => ({
  cpu_num_hours: cpu,
  cpu_MHz_hours: null,
  gpu_num_hours: gpu,
  memory_MB_hours: null,
  disk_MB_hours: null,
  jobs: 1,
  users: 1,
});

/** A bin of a breakdown by account: its groups (value and CPU-hours), the others' CPU-hours when some were left out. */
function bin(from: string, to: string, groups: [string | null, number][], other: number | null = null): Breakdown {
  const total = groups.reduce((sum, [, cpu]) => sum + cpu, other ?? 0);
  return {
    from,
    to,
    mode: "exact",
    by: "account",
    bin: "month",
    groups: groups.map(([value, cpu]) => ({ value, ...usage(cpu) })),
    other: other === null ? null : usage(other),
    total: usage(total),
  };
}

const span = (source: string): RecordSpan => ({ source, cluster: source, first: "2024-03-01T00:00:00Z", last: "2024-03-02T00:00:00Z" });

const choice = (changes: Partial<BreakdownChoice> = {}): BreakdownChoice => ({
  period: { from: "2024-01-01", to: "2024-03-31", mode: "exact" },
  by: "account",
  keep: "top",
  count: 10,
  bin: "month",
  ...changes,
});

describe("dimensionLabel", () => {
  it("names every dimension in words, the account as the archive calls it", () => {
    expect(dimensionLabel("account", ACCOUNT_WORDS)).toBe("Account");
    expect(dimensionLabel("account", NAMESPACE_WORDS)).toBe("Namespace");
    expect(dimensionLabel("image", ACCOUNT_WORDS)).toBe("Docker image");
    expect(dimensionLabel("cores", ACCOUNT_WORDS)).toBe("Cores per run");
    for (const by of DIMENSIONS) expect(dimensionLabel(by, ACCOUNT_WORDS), by).toMatch(/^[A-Z]/);
  });
});

describe("offeredDimensions", () => {
  it("offers every dimension, in order, for an archive of every source", () => {
    expect(offeredDimensions({ spans: ["nomad", "slurm", "sge", "flux"].map(span) })).toEqual([...DIMENSIONS]);
  });

  it("leaves out what no source of the archive records: Nomad's without snapshots, queues, nodes and QOS without batch records", () => {
    const slurm = offeredDimensions({ spans: [span("slurm")] });
    expect(slurm).toEqual(DIMENSIONS.filter((by) => !["kind", "image", "datacenter"].includes(by)));
    const nomad = offeredDimensions({ spans: [span("nomad")] });
    expect(nomad).toEqual(DIMENSIONS.filter((by) => !["queue", "qos", "node"].includes(by)));
    expect(offeredDimensions({ spans: [span("flux")] })).toContain("queue");
    expect(offeredDimensions({ spans: [span("sge")] })).toContain("node");
    expect(offeredDimensions({ spans: [span("flux")] })).not.toContain("qos");
  });
});

describe("breakdownRequest", () => {
  it("asks for the period, the dimension, the groups kept and the bin, users by pseudonym", () => {
    expect(breakdownRequest(choice())).toEqual({
      from: "2024-01-01",
      to: "2024-03-31",
      mode: "exact",
      by: "account",
      bin: "month",
      top: 10,
      owners: "pseudonym",
    });
    expect(breakdownRequest(choice({ keep: "least", count: 3, by: "user" }))).toMatchObject({ least: 3, by: "user", owners: "pseudonym" });
    expect(breakdownRequest(choice({ keep: "least", count: 3 }))).not.toHaveProperty("top");
  });

  it("keeps every group with `all`, the whole archive without days, and no bin without one or in compat mode", () => {
    const all = breakdownRequest(choice({ keep: "all", bin: "none", period: { mode: "exact" } }));
    expect(all).toEqual({ mode: "exact", by: "account", owners: "pseudonym" });
    expect(breakdownRequest(choice({ period: { mode: "compat" } }))).not.toHaveProperty("bin");
  });
});

describe("breakdownOutcome", () => {
  const none: Connector = { query: () => Promise.reject(new Error("no query expected")) };

  it("has the choice's problem and no number when the period is not one", async () => {
    const period = { from: "2024-13-01", mode: "exact" as const, problem: 'from "2024-13-01" is not a day (YYYY-MM-DD)' };
    expect(await breakdownOutcome(none, choice({ period }), [])).toEqual({ choice: choice({ period }), problem: period.problem });
  });

  it("has the report's refusal of compat mode on an archive with batch records", async () => {
    const batch: Connector = { query: <T>() => Promise.resolve([{ source: "slurm" }] as T[]) };
    const outcome = await breakdownOutcome(batch, choice({ period: { mode: "compat" } }), []);
    expect(outcome.problem).toMatch(/^compat mode reproduces upstream usage_stats\.py, on Nomad snapshots only; this archive holds slurm records/);
  });
});

describe("breakdownFile", () => {
  it("names the dimension, the bin and the days; `whole` without bins; compat said", () => {
    const period = { from: "2024-02-29", to: "2024-03-02" };
    expect(breakdownFile({ mode: "exact", by: "queue", bin: "month", top: 5 }, period)).toBe("breakdown_queue_month_2024-02-29_2024-03-02");
    expect(breakdownFile({ mode: "exact", by: "account" }, period)).toBe("breakdown_account_whole_2024-02-29_2024-03-02");
    expect(breakdownFile({ mode: "compat", by: "account" }, period)).toBe("breakdown_account_whole_2024-02-29_2024-03-02_compat");
  });
});

describe("groupLabel", () => {
  it("is the value, `(none)` where the records give none", () => {
    expect(groupLabel("ai4eosc")).toBe("ai4eosc");
    expect(groupLabel(null)).toBe("(none)");
  });
});

describe("chartData", () => {
  it("has a part per group and bin, the others as `(other)`, no total, the bins named as the CLI names them", () => {
    const data = chartData(
      [
        bin("2024-02-29", "2024-02-29", [
          ["a", 3],
          ["b", 2],
        ]),
        bin(
          "2024-03-01",
          "2024-03-02",
          [
            ["a", 5],
            [null, 1],
          ],
          4,
        ),
      ],
      "cpu_num_hours",
    );
    expect(data.bins).toEqual(["2024-02", "2024-03"]);
    expect(data.groups).toEqual(["a", "b", "(none)", "(other)"]);
    expect(data.parts).toEqual([
      { bin: "2024-02", group: "a", value: 3 },
      { bin: "2024-02", group: "b", value: 2 },
      { bin: "2024-03", group: "a", value: 5 },
      { bin: "2024-03", group: "(none)", value: 1 },
      { bin: "2024-03", group: "(other)", value: 4 },
    ]);
    // The parts of each bin add up to its total.
    for (const name of data.bins)
      expect(data.parts.filter((part) => part.bin === name).reduce((sum, part) => sum + part.value, 0)).toBe(name === "2024-02" ? 5 : 10);
  });

  it("keeps the groups in the order of every bin, though each lists only those that counted in it", () => {
    const data = chartData(
      [
        bin("2024-01-01", "2024-01-31", [
          ["a", 1],
          ["c", 1],
        ]),
        bin("2024-02-01", "2024-02-29", [
          ["b", 1],
          ["c", 1],
        ]),
        bin("2024-03-01", "2024-03-31", [
          ["a", 1],
          ["b", 1],
          ["d", 1],
        ]),
      ],
      "cpu_num_hours",
    );
    expect(data.groups).toEqual(["a", "b", "c", "d"]);
  });

  it("draws nothing where nothing was used or the resource is not recorded, and names a whole period by its days", () => {
    const empty = { ...bin("2024-03-01", "2024-03-31", []), bin: null };
    expect(chartData([empty], "cpu_num_hours")).toEqual({ bins: ["2024-03-01 to 2024-03-31"], groups: [], parts: [] });
    const unrecorded: Breakdown = {
      ...bin("2024-03-01", "2024-03-31", [["a", 2]]),
      groups: [
        { value: "a", ...usage(2, null) },
        { value: "b", ...usage(1, 0) },
      ],
    };
    expect(chartData([unrecorded], "gpu_num_hours").parts).toEqual([]);
    expect(chartData([unrecorded], "cpu_num_hours").groups).toEqual(["a", "b"]);
  });
});

describe("groupColors", () => {
  it("gives each group its own colour and `(other)` grey", () => {
    const colors = groupColors(["a", "b", "c", "(other)"]);
    expect(colors).toHaveLength(4);
    expect(new Set(colors).size).toBe(4);
    expect(colors[3]).toBe("#a9a9a9");
    const many = Array.from({ length: 30 }, (_, i) => `g${i}`);
    expect(new Set(groupColors(many)).size).toBe(30);
    expect(groupColors(many)).not.toContain("#a9a9a9");
  });
});

describe("legendLayout", () => {
  it("flows the entries in rows as wide as allowed, an entry wider than a row alone on its row", () => {
    expect(legendLayout([40, 50, 30, 200, 10], 100, 18)).toEqual({
      places: [
        { x: 0, y: 0 },
        { x: 40, y: 0 },
        { x: 0, y: 18 },
        { x: 0, y: 36 },
        { x: 0, y: 54 },
      ],
      height: 72,
    });
    expect(legendLayout([], 100)).toEqual({ places: [], height: 0 });
  });
});

describe("breakdownRows", () => {
  it("lists per bin each group, the others and the total, with a user's name where the build has it", () => {
    const breakdowns = [
      {
        ...bin(
          "2024-03-01",
          "2024-03-31",
          [
            ["user-1", 3],
            ["user-2", 1],
          ],
          2,
        ),
        by: "user" as const,
      },
    ];
    const rows = breakdownRows(breakdowns, new Map([["user-1", "Ada"]]));
    expect(rows.map(({ bin, group, name, cpu_num_hours }) => [bin, group, name, cpu_num_hours])).toEqual([
      ["2024-03", "user-1", "Ada", 3],
      ["2024-03", "user-2", null, 1],
      ["2024-03", "(other)", null, 2],
      ["2024-03", "Total", null, 6],
    ]);
  });
});
