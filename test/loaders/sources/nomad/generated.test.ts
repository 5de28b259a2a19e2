import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateArchive } from "../../../../scripts/archive-generator.js";
import type { AccountingDatabase } from "../../../../loaders/ingest/database.js";
import { HOUR_METRICS, MODES, runReport, type Report, type Usage } from "../../../../loaders/queries/report.js";
import { temporaryFolder } from "../../../helpers/archive.js";
import { runCli } from "../../../helpers/cli.js";
import { oracleReport } from "../../../helpers/upstream.js";
import { loadedDatabase } from "../../../helpers/tables.js";
import { known } from "../../../helpers/hours.js";

/** Archives unlike the reference: other namespaces, a 4-hour cron, nested and mixed folders, other seeds. */
const ARCHIVES = [
  {
    name: "4-hour cron, nested folders, other namespaces",
    options: { seed: 7, start: "2025-06-01", days: 40, snapshotHours: 4, layout: "nested", namespaces: ["vo.alpha", "vo-beta", "gamma"] },
  },
  {
    name: "6-hour cron, mixed folders, two namespaces",
    options: { seed: 11, start: "2023-12-15", days: 45, layout: "mixed", namespaces: ["biomed", "o'neil"] },
  },
] as const;

const PERIODS: [string | undefined, string | undefined][] = [
  [undefined, undefined],
  ["2023-12-20", "2024-01-10"],
  ["2024-01-01", "2024-01-01"],
  ["2025-06-01", "2025-06-30"],
  ["2025-06-10", "2025-07-05"],
  ["2025-06-15", undefined],
  [undefined, "2025-06-20"],
];

function close(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}

describe.each(ARCHIVES)("an archive the reference never saw: $name", ({ options }) => {
  let archive: string;
  let lastDay: string;
  beforeAll(async () => {
    archive = temporaryFolder();
    lastDay = (await generateArchive(archive, { ...options, namespaces: [...options.namespaces] })).last.slice(0, 10);
  });

  it.each(MODES.flatMap((mode) => PERIODS.map(([from, to]) => [mode, from, to] as const)))(
    "`accounting report --mode %s --from %s --to %s` equals upstream's loop",
    async (mode, from, to) => {
      const args = ["report", "--archive", archive, "--format", "json", "--mode", mode, "--namespaces", options.namespaces.join(",")];
      if (from) args.push("--from", from);
      if (to) args.push("--to", to);
      const { code, stdout, stderr } = await runCli(args);
      if (from !== undefined && to === undefined && from > lastDay) {
        // Starting after the archive's last day, up to it: a period with no time, refused.
        expect([code, stdout, stderr.trimEnd().split("\n").at(-1)]).toEqual([
          2,
          "",
          `accounting: the period is empty: it starts on ${from}, after it ends on ${lastDay} (the archive's last day)`,
        ]);
        return;
      }
      expect(code).toBe(0);
      const report = JSON.parse(stdout) as Report;
      const expected = oracleReport(archive, mode, [...options.namespaces], from, to);
      for (const namespace of options.namespaces) {
        const got = report.namespaces[namespace]!;
        const want = expected[namespace]!;
        for (const metric of HOUR_METRICS)
          expect(close(known(got[metric]), want.hours[metric]!), `${namespace} ${metric}: ${got[metric]} vs ${want.hours[metric]}`).toBe(true);
        expect([got.jobs, got.users]).toEqual([want.jobs, want.users.size]);
      }
      const owners = new Set(Object.values(expected).flatMap((usage) => [...usage.users]));
      expect(report.total.users).toBe(owners.size);
    },
  );
});

describe("exact mode", () => {
  let database: AccountingDatabase;
  beforeAll(async () => {
    const archive = temporaryFolder();
    await generateArchive(archive, { seed: 3, start: "2024-01-01", days: 60, snapshotHours: 4 });
    database = await loadedDatabase(archive);
  });
  afterAll(() => database.close());

  const day = (offset: number) => new Date(Date.UTC(2024, 0, 1 + offset)).toISOString().slice(0, 10);

  async function hoursOf(from: number, to: number): Promise<Usage> {
    return (await runReport(database, { from: day(from), to: day(to), mode: "exact" })).total;
  }

  it.each([
    [
      "days",
      [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39,
        40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60,
      ],
    ],
    ["weeks", [0, 7, 14, 21, 28, 35, 42, 49, 56, 60]],
    ["months", [0, 31, 60]],
    ["uneven cuts", [0, 3, 4, 17, 29, 30, 44, 59, 60]],
  ])("adds up over %s: the parts' hours sum to the whole's", async (_, cuts) => {
    const whole = await hoursOf(cuts[0]!, cuts.at(-1)! - 1);
    const sums = Object.fromEntries(HOUR_METRICS.map((metric) => [metric, 0]));
    for (let i = 0; i + 1 < cuts.length; i++) {
      const part = await hoursOf(cuts[i]!, cuts[i + 1]! - 1);
      for (const metric of HOUR_METRICS) sums[metric]! += known(part[metric]);
    }
    expect(whole.cpu_num_hours).toBeGreaterThan(1000);
    for (const metric of HOUR_METRICS) expect(close(sums[metric]!, known(whole[metric])), `${metric}: ${sums[metric]} vs ${whole[metric]}`).toBe(true);
  });

  it("counts jobs and users of the parts at least once in the whole, and no more than the parts together", async () => {
    const whole = await hoursOf(0, 59);
    const [a, b] = [await hoursOf(0, 29), await hoursOf(30, 59)];
    expect(whole.jobs).toBeGreaterThanOrEqual(Math.max(a.jobs, b.jobs));
    expect(whole.jobs).toBeLessThanOrEqual(a.jobs + b.jobs);
    expect(whole.users).toBeLessThanOrEqual(a.users + b.users);
  });
});
