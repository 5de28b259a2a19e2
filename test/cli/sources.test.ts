import { cpSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { temporaryFolder } from "../helpers/archive.js";
import { runCli } from "../helpers/cli.js";
import { ROOT } from "../helpers/project.js";
import { REFERENCE_ARCHIVE } from "../helpers/reference.js";

const MIXED = join(ROOT, "test/fixtures/archives/mixed");

interface JsonReport {
  namespaces: Record<string, Record<string, number | null>>;
  total: Record<string, number | null>;
  coverage: { first_snapshot: string; last_snapshot: string };
}

async function reportOf(archive: string, ...args: string[]): Promise<JsonReport> {
  const { code, stdout, stderr } = await runCli(["report", "--archive", archive, "--no-cache", "--format", "json", "-q", ...args]);
  expect([code, stderr]).toEqual([0, ""]);
  return JSON.parse(stdout) as JsonReport;
}

/** An archive holding `folders` of the mixed fixture (the Nomad reference archive's snapshots, when `snapshots`). */
function archiveWith(...folders: string[]): string {
  const archive = temporaryFolder("sources-");
  for (const folder of folders) {
    const from = folder === "snapshots" ? join(REFERENCE_ARCHIVE, "snapshots") : join(MIXED, folder);
    cpSync(from, join(archive, folder), { recursive: true });
  }
  return archive;
}

describe("an archive of several sources", () => {
  it("gives each account, in one report, what each source's records give it alone, added up", async () => {
    const period = ["--from", "2024-03-01", "--to", "2024-03-10"];
    const nomad = await reportOf(archiveWith("snapshots"), ...period);
    const slurm = await reportOf(archiveWith("slurm"), ...period);
    const sge = await reportOf(archiveWith("sge"), ...period);
    const flux = await reportOf(archiveWith("flux"), ...period);
    const all = await reportOf(archiveWith("snapshots", "slurm", "sge", "flux"), ...period);
    const parts = [nomad, slurm, sge, flux];
    // An account of the same name in two sources (physics in Slurm and Grid Engine) is one account: their hours add up.
    const names = [...new Set(parts.flatMap((part) => Object.keys(part.namespaces)))].sort();
    expect(Object.keys(all.namespaces).sort()).toEqual(names);
    for (const account of names) {
      const usages = parts.map((part) => part.namespaces[account]).filter((usage) => usage !== undefined);
      for (const metric of ["cpu_num_hours", "cpu_MHz_hours", "gpu_num_hours", "memory_MB_hours", "disk_MB_hours", "jobs"]) {
        const values = usages.map((usage) => usage[metric]).filter((value) => value !== null);
        const expected = values.length === 0 ? null : values.reduce((sum, value) => sum! + value!, 0);
        if (expected === null) expect(all.namespaces[account]![metric], `${account} ${metric}`).toBeNull();
        else expect(all.namespaces[account]![metric], `${account} ${metric}`).toBeCloseTo(expected!, 9);
      }
    }
    expect(names.some((account) => parts.filter((part) => part.namespaces[account]).length > 1)).toBe(true);
    // Memory where an account's runs request it, null (unknown) where none of them does: Grid Engine records requests.
    expect([sge.namespaces.physics!.memory_MB_hours, sge.namespaces.chemistry!.memory_MB_hours]).toEqual([65536, null]);
    // Resources a source does not record are null for its accounts, and summed as numbers with the others'.
    for (const usage of Object.values(slurm.namespaces)) expect([usage.cpu_MHz_hours, usage.disk_MB_hours]).toEqual([null, null]);
    expect(all.total.disk_MB_hours).toBeCloseTo(nomad.total.disk_MB_hours as number, 6);
    const cpu = parts.reduce((sum, part) => sum + (part.total.cpu_num_hours as number), 0);
    expect(all.total.cpu_num_hours).toBeCloseTo(cpu, 6);
  });

  it("starts a period with no --from at the first record of any source, and ends it with the last one's day", async () => {
    const slurm = await reportOf(archiveWith("slurm"));
    const nomad = await reportOf(archiveWith("snapshots"));
    const all = await reportOf(archiveWith("snapshots", "slurm"));
    const first = [slurm, nomad].map((report) => report.coverage.first_snapshot).sort()[0];
    const last = [slurm, nomad].map((report) => report.coverage.last_snapshot).sort()[1];
    expect([all.coverage.first_snapshot, all.coverage.last_snapshot]).toEqual([first, last]);
  });

  it("refuses compat mode, upstream's rule for snapshots, where any batch record is, with one line and exit 2", async () => {
    for (const folders of [["slurm"], ["snapshots", "sge"]]) {
      const { code, stdout, stderr } = await runCli(["report", "--archive", archiveWith(...folders), "--no-cache", "--mode", "compat", "-q"]);
      expect([code, stdout]).toEqual([2, ""]);
      expect(stderr).toMatch(
        /^accounting: compat mode reproduces upstream usage_stats\.py, on Nomad snapshots only; this archive holds (slurm|sge) records: use the exact mode\n$/,
      );
    }
  });

  it("says records, not snapshots, beside the numbers of batch records", async () => {
    const { stdout } = await runCli(["report", "--archive", archiveWith("slurm"), "--no-cache", "-q"]);
    expect(stdout).toMatch(/\nRecords cover [\d.]+ days? of the period's [\d.]+ days?/);
    expect(stdout).not.toMatch(/[Ss]napshot/);
  });

  it("exits 1 on an archive whose batch records hold no job that ran, and 2 on one with no record folder at all", async () => {
    const empty = temporaryFolder("sources-");
    mkdirSync(join(empty, "slurm"));
    const none = await runCli(["report", "--archive", empty, "--no-cache"]);
    expect([none.code, none.stderr]).toEqual([
      1,
      `accounting: no snapshot with jobs nor job that ran in ${empty} (slurm/): no file there holds a job that ran\n`,
    ]);
    const bare = temporaryFolder("sources-");
    const missing = await runCli(["report", "--archive", bare, "--no-cache"]);
    expect([missing.code, missing.stderr]).toEqual([2, `accounting: no records in ${bare}: it has no snapshots/, slurm/, sge/ or flux/ folder\n`]);
    expect(readdirSync(bare)).toEqual([]);
  });
});
