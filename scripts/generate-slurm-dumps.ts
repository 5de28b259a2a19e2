/*
 * A Slurm archive of many jobs, for measuring the pipeline at scale (BENCHMARKS.md, "Scale"): `--jobs` jobs over
 * `--days` days from 2023-01-01, one submitted every `days / jobs` of the period, each in the daily dump of the day it
 * ends (`slurm/<next day>T00:00:00.txt`, as `accounting collect slurm` run at midnight writes them: `sacct --parsable2
 * --noheader` in Open XDMoD's fields). Seeded: every run writes the same files.
 *
 *   npx tsx scripts/generate-slurm-dumps.ts --out DIR [--jobs 1000000] [--days 730]
 */
import { createWriteStream, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { out: { type: "string" }, jobs: { type: "string", default: "1000000" }, days: { type: "string", default: "730" } },
  strict: true,
});
const [jobs, days] = [Number(values.jobs), Number(values.days)];
if (values.out === undefined || !Number.isInteger(jobs) || jobs < 1 || !Number.isInteger(days) || days < 1)
  throw new Error("usage: generate-slurm-dumps.ts --out DIR [--jobs N] [--days N]");
const folder = join(values.out, "slurm");
if (existsSync(folder)) throw new Error(`${folder} exists`);
mkdirSync(folder, { recursive: true });

const T0 = Date.UTC(2023, 0, 1) / 1000;
const DAY = 86_400;
const pad = (n: number) => String(n).padStart(2, "0");
const sacctTime = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 19);
const elapsed = (seconds: number) => `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
let seed = 7;
const random = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);

/** The lines of each day's dump not written yet, by the day jobs end (days since T0). */
const pending = new Map<number, string[]>();
let files = 0;
async function writeDay(day: number): Promise<void> {
  const file = createWriteStream(join(folder, `${sacctTime(T0 + (day + 1) * DAY)}.txt`));
  for (const line of pending.get(day) ?? []) if (!file.write(line)) await new Promise<void>((resolve) => file.once("drain", () => resolve()));
  await new Promise<void>((resolve) => file.end(() => resolve()));
  pending.delete(day);
  files++;
}

const gap = (days * DAY) / jobs;
for (let job = 0; job < jobs; job++) {
  const submit = T0 + Math.floor(job * gap);
  const start = submit + random(600);
  const seconds = 60 + random(36_000);
  const cores = 1 + random(64);
  const [account, user] = [`acct-${random(40)}`, `user${random(300)}`];
  const id = 100_000 + job;
  const tres = `billing=${cores},cpu=${cores},mem=4000M,node=1`;
  const times = `${sacctTime(submit)}|${sacctTime(submit)}|${sacctTime(start)}|${sacctTime(start + seconds)}|${elapsed(seconds)}`;
  const day = Math.floor((start + seconds - T0) / DAY);
  const lines = pending.get(day) ?? [];
  lines.push(
    `${id}|${id}|c1|batch|normal|${account}|grp|1000|${user}|5000|${times}|0:0|COMPLETED|1|${cores}|${cores}|4000M|${tres}|${tres}|1-00:00:00|node${random(500)}|job-${random(1000)}\n`,
  );
  pending.set(day, lines);
  // A job ends at most 11 hours after its submission: the days before the submission's day are complete.
  for (const done of [...pending.keys()].filter((d) => d < Math.floor((submit - T0) / DAY))) await writeDay(done);
}
for (const day of [...pending.keys()].sort((a, b) => a - b)) await writeDay(day);
console.log(`${jobs} jobs in ${files} daily dumps under ${folder}`);
