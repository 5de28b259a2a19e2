import { mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountingDatabase } from "../../loaders/ingest/database.js";
import { runReport } from "../../loaders/queries/report.js";
import { temporaryFolder } from "../helpers/archive.js";
import { runCli } from "../helpers/cli.js";
import { known } from "../helpers/hours.js";
import { realdata } from "../helpers/realdata.js";
import { loadedDatabase } from "../helpers/tables.js";

/**
 * Real Slurm records of two clusters and what Open XDMoD computed from them (../shared/realdata/slurm/xdmod, see its
 * PROVENANCE.md): our exact mode gives its CPU- and GPU-hours per month and per day, to 0.001 h, through the command
 * line as a user runs it.
 */
const xdmod = realdata("slurm/xdmod");
const ARTIFACTS = join(xdmod.path, "tests/artifacts/xdmod");
const EXPECTED = join(ARTIFACTS, "regression/current/expected/reference/Jobs/resource");
const CLUSTERS = ["phillips", "pozidriv"] as const;

/** One column of an XDMoD time series CSV (after its preamble): `{ "2016-12": 9994.7011, … }` for `[cluster]`. */
function xdmodSeries(metric: string, unit: "Day" | "Month", cluster: string): Record<string, number> {
  const text = readFileSync(join(EXPECTED, metric, `timeseries-${unit}-reference.csv`), "utf8");
  const [, table] = text.split("---------\n");
  const [header, ...rows] = (table ?? "").trim().split("\n");
  const column = (header ?? "").split(",").findIndex((name) => name.startsWith(`"[${cluster}]`));
  expect(column, `${cluster} in ${metric}`).toBeGreaterThan(0);
  return Object.fromEntries(rows.map((row) => row.split(",")).map((cells) => [cells[0], Number(cells[column])]));
}

/** An archive of one cluster's dump, as `accounting collect slurm` would leave it (the log named by no time). */
function archiveOf(cluster: string): string {
  const archive = temporaryFolder("xdmod-");
  mkdirSync(join(archive, "slurm"));
  symlinkSync(join(ARTIFACTS, "referencedata", `${cluster}.log`), join(archive, "slurm", `${cluster}.log`));
  return archive;
}

const MONTHS = { "2016-12": ["2016-12-22", "2016-12-31"], "2017-01": ["2017-01-01", "2017-01-01"] } as const;

describe.skipIf(xdmod.missing)("Slurm records against Open XDMoD", () => {
  for (const cluster of CLUSTERS) {
    describe(cluster, () => {
      let archive: string;
      let database: AccountingDatabase;
      beforeAll(async () => {
        archive = archiveOf(cluster);
        database = await loadedDatabase(archive);
      });
      afterAll(() => database?.close());

      it("gives XDMoD's CPU- and GPU-hours per month, through `accounting report --format json`", async () => {
        const cpu = xdmodSeries("total_cpu_hours", "Month", cluster);
        const gpu = xdmodSeries("total_gpu_hours", "Month", cluster);
        for (const [month, [from, to]] of Object.entries(MONTHS)) {
          const { code, stdout, stderr } = await runCli(["report", "--archive", archive, "--no-cache", "--from", from, "--to", to, "--format", "json", "-q"]);
          expect([code, stderr]).toEqual([0, ""]);
          const { total } = JSON.parse(stdout) as { total: Record<string, number | null> };
          expect(Math.abs(known(total.cpu_num_hours ?? null) - (cpu[month] as number)), `${month} CPU-hours`).toBeLessThan(0.001);
          expect(Math.abs(known(total.gpu_num_hours ?? null) - (gpu[month] as number)), `${month} GPU-hours`).toBeLessThan(0.001);
          // Slurm records no disk and no CPU clock: unknown, never 0.
          expect([total.disk_MB_hours, total.cpu_MHz_hours]).toEqual([null, null]);
        }
      });

      it("gives XDMoD's CPU- and GPU-hours of every day", async () => {
        const cpu = xdmodSeries("total_cpu_hours", "Day", cluster);
        const gpu = xdmodSeries("total_gpu_hours", "Day", cluster);
        expect(Object.keys(cpu)).toHaveLength(11);
        for (const day of Object.keys(cpu)) {
          const { total } = await runReport(database, { from: day, to: day, mode: "exact" });
          expect(Math.abs(known(total.cpu_num_hours) - (cpu[day] as number)), `${day} CPU-hours`).toBeLessThan(0.001);
          expect(Math.abs(known(total.gpu_num_hours) - (gpu[day] as number)), `${day} GPU-hours`).toBeLessThan(0.001);
        }
      });
    });
  }
});
