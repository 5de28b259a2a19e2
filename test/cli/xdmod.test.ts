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

/** One resource's value in an XDMoD aggregate CSV (`phillips,4046`), for the whole period 2016-12-22..2017-01-01. */
function xdmodAggregate(metric: string, cluster: string): number {
  const text = readFileSync(join(EXPECTED, metric, "aggregate-Day-reference.csv"), "utf8");
  const row = (text.split("---------\n")[1] ?? "").split("\n").find((line) => line.startsWith(`${cluster},`));
  expect(row, `${cluster} in ${metric}`).toBeDefined();
  return Number(row!.split(",")[1]);
}

/** The rows of one of XDMoD's reference CSVs (names, hierarchy…), quotes removed (no value holds a comma). */
const csvRows = (name: string) =>
  readFileSync(join(ARTIFACTS, "referencedata", name), "utf8")
    .trim()
    .split("\n")
    .map((line) => line.split(",").map((cell) => cell.replace(/^"|"$/g, "")));

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

      it("gives XDMoD's jobs ended (job_count: a job that ran, counted in the period of its End) in all and per month", async () => {
        // XDMoD's ingestor drops the allocations that never ran (NodeList `None assigned`), then counts a job in the
        // period its End falls in: our jobs with a start, by the day of their end_time (UTC).
        const ended = async (from: string, to: string) => {
          const [row] = await database.query<{ n: number }>(
            `SELECT count(*)::INTEGER AS n FROM jobs WHERE cluster = '${cluster}' AND start_time IS NOT NULL
               AND end_time >= TIMESTAMPTZ '${from} 00:00:00+00' AND end_time < TIMESTAMPTZ '${to} 00:00:00+00' + INTERVAL 1 DAY`,
          );
          return row!.n;
        };
        const total = xdmodAggregate("job_count", cluster);
        expect(total).toBe({ phillips: 4_046, pozidriv: 11_285 }[cluster]);
        expect(await ended("2016-12-22", "2017-01-01")).toBe(total);
        const monthly = xdmodSeries("job_count", "Month", cluster);
        for (const [month, [from, to]] of Object.entries(MONTHS)) expect(await ended(from, to), month).toBe(monthly[month]);
        // Every job of the dump that ran ended in the period: none is still running, none is left out.
        const [all] = await database.query<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM jobs WHERE start_time IS NOT NULL`);
        expect(all!.n).toBe(total);
      });

      it("gives XDMoD's active users (active_person_count: users with a job running in the period), each a person of names.csv", async () => {
        const users = await database.query<{ owner: string }>(
          `SELECT DISTINCT owner FROM intervals WHERE end_time > TIMESTAMPTZ '2016-12-22 00:00:00+00' AND start_time < TIMESTAMPTZ '2017-01-02 00:00:00+00' ORDER BY owner`,
        );
        expect(users).toHaveLength(xdmodAggregate("active_person_count", cluster));
        expect(users).toHaveLength({ phillips: 4, pozidriv: 18 }[cluster]);
        // names.csv (username, first name, last name, organisation) maps each username to one person: as many persons
        // as users. hierarchy.csv and group-to-hierarchy.csv map Unix groups to departments; XDMoD's expected outputs
        // here are per resource only, so they hold no figure to check beyond every group being mapped.
        const persons = new Map(csvRows("names.csv").map(([user, first, last]) => [user, `${first} ${last}`]));
        const named = users.map(({ owner }) => persons.get(owner));
        expect(named).not.toContain(undefined);
        expect(new Set(named).size).toBe(users.length);
        const units = new Set(csvRows("hierarchy.csv").map(([unit]) => unit));
        const departments = new Map(csvRows("group-to-hierarchy.csv").map(([group, unit]) => [group, unit]));
        const groups = await database.query<{ unix_group: string }>(`SELECT DISTINCT unix_group FROM jobs ORDER BY unix_group`);
        expect(groups.length).toBeGreaterThan(0);
        for (const { unix_group: group } of groups) expect(units.has(departments.get(group)), group).toBe(true);
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
