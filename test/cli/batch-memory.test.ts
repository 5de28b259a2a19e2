import { execFile } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { temporaryFolder } from "../helpers/archive.js";

const run = promisify(execFile);
const COMMAND = ["--import", import.meta.resolve("tsx/esm"), fileURLToPath(new URL("../helpers/cli-peak-memory.ts", import.meta.url))];
const MB = 1e6;
const T0 = Date.UTC(2024, 0, 1) / 1000;

const pad = (n: number) => String(n).padStart(2, "0");
const sacctTime = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 19);
const elapsed = (seconds: number) => `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;

interface Written {
  jobs: number;
  /** Cores × seconds of every job, summed as integers. */
  coreSeconds: number;
}

/**
 * Writes `bytes` of jobs, one after the other, each `cores` cores for a whole number of seconds (seeded, so that
 * every run writes the same file): a Slurm dump (`sacct --parsable2 --noheader` in Open XDMoD's fields, as
 * `accounting collect slurm` writes it), or the `{"jobs": […]}` document `flux jobs -a --json` prints on one line.
 */
async function writeJobs(path: string, kind: "slurm" | "flux", bytes: number): Promise<Written> {
  const file = createWriteStream(path);
  let seed = 7;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
  let written = 0;
  let jobs = 0;
  let coreSeconds = 0;
  const write = async (text: string) => {
    written += Buffer.byteLength(text);
    if (!file.write(text)) await new Promise<void>((resolve) => file.once("drain", () => resolve()));
  };
  if (kind === "flux") await write('{"jobs": [');
  while (written < bytes) {
    const submit = T0 + jobs * 7;
    const start = submit + random(600);
    const seconds = 60 + random(36_000);
    const cores = 1 + random(64);
    const [account, user] = [`acct-${random(40)}`, `user${random(300)}`];
    coreSeconds += cores * seconds;
    const id = 100_000 + jobs;
    if (kind === "slurm") {
      const tres = `billing=${cores},cpu=${cores},mem=4000M,node=1`;
      const times = `${sacctTime(submit)}|${sacctTime(submit)}|${sacctTime(start)}|${sacctTime(start + seconds)}|${elapsed(seconds)}`;
      await write(
        `${id}|${id}|c1|batch|normal|${account}|grp|1000|${user}|5000|${times}|0:0|COMPLETED|1|${cores}|${cores}|4000M|${tres}|${tres}|1-00:00:00|node${random(500)}|job-${random(1000)}\n`,
      );
    } else {
      // Half a second late and early: times as Flux writes them, in fractions of a second; ids past 2^53 every other job.
      const record = { id: jobs % 2 ? `${2n ** 60n + BigInt(id)}` : id, username: user, bank: account, t_submit: submit, t_run: start + 0.5 };
      const json = JSON.stringify({
        ...record,
        t_inactive: start + seconds + 0.5,
        ncores: cores,
        nnodes: 1,
        nodelist: `n${random(500)}`,
        state: "INACTIVE",
        result: "COMPLETED",
      });
      await write(`${jobs > 0 ? ", " : ""}${json.replace(/"id":"(\d+)"/, '"id":$1')}`);
    }
    jobs++;
  }
  if (kind === "flux") await write("]}\n");
  await new Promise<void>((resolve) => file.end(() => resolve()));
  return { jobs, coreSeconds };
}

async function reportOf(archive: string) {
  const { stdout, stderr } = await run(process.execPath, [...COMMAND, "report", "--archive", archive, "--format", "json", "--no-cache", "--problems", "all"], {
    maxBuffer: 64 * MB,
  });
  const peak = Number(/peak-rss-kb (\d+)/.exec(stderr)?.[1]) * 1024;
  return { report: JSON.parse(stdout) as { total: { cpu_num_hours: number; jobs: number } }, stderr, peak };
}

/**
 * Batch files stream: a 40 MB Slurm dump and a 20 MB Flux document (one line: it streams job by job) are read with
 * a peak resident memory that does not follow their size (before: the dump cost 0.5 GB, and the document was one
 * string parsed whole, in a time that grew with the square of its size), every job counted.
 */
describe("large batch files", () => {
  it("a 40 MB Slurm dump and a 20 MB Flux document are read under 600 MB, every core-hour counted", async () => {
    const archive = temporaryFolder("batch-memory-");
    mkdirSync(join(archive, "slurm"));
    mkdirSync(join(archive, "flux"));
    const slurm = await writeJobs(join(archive, "slurm", "2024-07-01T00:00:00.txt"), "slurm", 40 * MB);
    const flux = await writeJobs(join(archive, "flux", "2024-07-01T00:00:00.json"), "flux", 20 * MB);
    const { report, stderr, peak } = await reportOf(archive);
    expect(stderr.replace(/peak-rss-kb \d+\n/, "")).toBe("");
    expect(peak, `${(peak / MB).toFixed(0)} MB`).toBeLessThan(600 * MB);
    expect(report.total.jobs).toBe(slurm.jobs + flux.jobs);
    // Flux's runs last from t_run to t_inactive: the generated half seconds cancel out.
    const hours = (slurm.coreSeconds + flux.coreSeconds) / 3600;
    expect(Math.abs(report.total.cpu_num_hours - hours)).toBeLessThan(hours * 1e-12);
  }, 120_000);
});
