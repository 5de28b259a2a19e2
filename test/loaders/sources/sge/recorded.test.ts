import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseFile, slotHours } from "./files.js";
import { ROOT } from "../../../helpers/project.js";

/**
 * `soge-8.1.9/accounting` was written by Son of Grid Engine 8.1.9 (Debian's gridengine 8.1.9+dfsg) running on the
 * machine these tests were written on, one cell, one host `vm`, queue all.q, jobs submitted with qsub: `first` (1
 * slot), `tight` (PE mpi, 2 slots, control_slaves TRUE, accounting_summary FALSE, two `qrsh -inherit` tasks), `smp`
 * (PE smp, 2 slots), `arr` (-t 1-3), `mem` (-l h_vmem=512M), `gpu` (-l gpu=1), `noproj` (no project, exit 3),
 * `killrun` (qdel while running), `badout` and `badwd` (an output file and a working directory it could not open:
 * never started), `badcmd` (exit 127). `rotated/` holds two rotations of it overlapping by two records, the live
 * file's last line cut short as a file being written.
 */
const FIXTURES = join(ROOT, "test", "fixtures", "sge");
const S = 1_000_000;

describe("an accounting file written by Son of Grid Engine 8.1.9", () => {
  const parsed = parseFile(join(FIXTURES, "soge-8.1.9", "accounting"), { path: "sge/accounting", cluster: "sge", time: null });

  it("gives a record per job and array task, nothing for its header and the parallel tasks' lines, no problem", () => {
    expect(parsed.problems).toEqual([]);
    expect(parsed.nothing).toBe(4 + 2);
    const rows = parsed.records.map(({ job, interval, run }) => [
      job.jobId,
      job.account,
      job.owner,
      job.name,
      job.state,
      job.exitCode,
      job.nodes,
      interval && [interval.resources.cpu_num, interval.resources.gpu_num, interval.resources.memory_MB, (interval.end - interval.start) / S],
      run,
    ]);
    expect(rows).toEqual([
      ["1", "physics", "gealice", "first", "completed", "0", 1, [1, 0, null, 2], `1@${1795777293 * S}@${1795777293 * S}`],
      ["2", "physics", "gebob", "tight", "completed", "0", null, [2, 0, null, 6], `2@${1795777301 * S}@${1795777301 * S}`],
      ["3", "physics", "gealice", "smp", "completed", "0", null, [2, 0, null, 2], `3@${1795777334 * S}@${1795777334 * S}`],
      ["4.1", "physics", "gealice", "arr", "completed", "0", 1, [1, 0, null, 1], `4.1@${1795777334 * S}@${1795777336 * S}`],
      ["4.3", "physics", "gealice", "arr", "completed", "0", 1, [1, 0, null, 1], `4.3@${1795777334 * S}@${1795777336 * S}`],
      ["4.2", "physics", "gealice", "arr", "completed", "0", 1, [1, 0, null, 1], `4.2@${1795777334 * S}@${1795777336 * S}`],
      ["5", "chemistry", "gecarol", "mem", "completed", "0", 1, [1, 0, 512, 2], `5@${1795777335 * S}@${1795777336 * S}`],
      ["6", "chemistry", "gecarol", "gpu", "completed", "0", 1, [1, 1, null, 2], `6@${1795777336 * S}@${1795777337 * S}`],
      ["7", "gephys", "gebob", "noproj", "failed", "3", 1, [1, 0, null, 1], `7@${1795777337 * S}@${1795777338 * S}`],
      ["8", "chemistry", "gebob", "killrun", "killed", "137", 1, [1, 0, null, 5], `8@${1795777338 * S}@${1795777339 * S}`],
      ["10", "gephys", "gealice", "badout", "not started", null, null, null, `10@${1795777358 * S}@0`],
      ["11", "gephys", "gealice", "badwd", "not started", null, null, null, `11@${1795777359 * S}@0`],
      ["12", "gephys", "gealice", "badcmd", "failed", "127", 1, [1, 0, null, 0], `12@${1795777359 * S}@${1795777360 * S}`],
    ]);
  });

  it("gives the slot-hours that slots × (end − start) of the jobs' own lines give", () => {
    const lines = readFileSync(join(FIXTURES, "soge-8.1.9", "accounting"), "utf8").split("\n");
    const jobLines = lines.filter((line) => !line.startsWith("#") && line !== "").map((line) => line.split(":"));
    const expected = jobLines
      .filter((f) => f[41] === "NONE" && f[9] !== "0")
      .reduce((sum, f) => sum + (Number(f[34]) * (Number(f[10]) - Number(f[9]))) / 3600, 0);
    const everyLine = jobLines.reduce((sum, f) => sum + (Number(f[34]) * (Number(f[10]) - Number(f[9] === "0" ? f[10] : f[9]))) / 3600, 0);
    const total = parsed.records.reduce((sum, record) => sum + slotHours(record), 0);
    expect(total).toBeCloseTo(expected, 12);
    expect(total).toBeCloseTo(31 / 3600, 12);
    // Every line's slots counted would count the parallel job's 2 slots three times over its tasks' times.
    expect(everyLine - total).toBeCloseTo((2 * 5 + 2 * 4) / 3600, 12);
  });
});

describe("a rotated copy and the live file holding the same records", () => {
  const older = parseFile(join(FIXTURES, "rotated", "accounting.1"), { path: "sge/accounting.1", cluster: "sge", time: null });
  const live = parseFile(join(FIXTURES, "rotated", "accounting"), { path: "sge/accounting", cluster: "sge", time: null });

  it("give the same run and the same record for the same line, so the ingest keeps one", () => {
    const olderRuns = new Map(older.records.map((record) => [record.run, record]));
    const shared = live.records.filter((record) => olderRuns.has(record.run));
    expect(shared.map((record) => record.job.jobId)).toEqual(["3", "4.1"]);
    for (const record of shared) expect(record).toEqual(olderRuns.get(record.run));
  });

  it("counted once per run, give what the whole file gives", () => {
    const whole = parseFile(join(FIXTURES, "soge-8.1.9", "accounting"), { path: "sge/accounting", cluster: "sge", time: null });
    const byRun = new Map([...older.records, ...live.records].map((record) => [record.run, record]));
    const wholeRuns = new Map(whole.records.map((record) => [record.run, record]));
    // The live file's last line (job 12) is cut: not a record, and its problem is dropped by the ingest.
    wholeRuns.delete(whole.records.find((record) => record.job.jobId === "12")!.run);
    expect([...byRun.keys()].sort()).toEqual([...wholeRuns.keys()].sort());
    expect([...byRun.values()].reduce((sum, record) => sum + slotHours(record), 0)).toBeCloseTo(31 / 3600, 12);
  });

  it("a last line cut short is a problem of the line being written, which the ingest drops", () => {
    expect([older.unfinished, older.problems]).toEqual([false, []]);
    expect(live.unfinished).toBe(true);
    expect(live.problems).toEqual([
      {
        file: "sge/accounting",
        line: 15,
        account: null,
        job: null,
        reason: "a line with fewer fields than any Grid Engine accounting layout",
        detail: "10 fields",
      },
    ]);
  });
});
