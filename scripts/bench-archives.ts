/*
 * The generated archives of the benchmarks (scripts/bench.ts, scripts/bench-site-data.ts): today's 2-year archive, and
 * the same with N times the jobs per day or over N times two years. Each is generated once into the system's temporary
 * folder and reused.
 */
import { existsSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateArchive } from "./archive-generator.js";

/** The 2-year archive of the performance targets: ~2,900 snapshots, ~800 MB, ~300 jobs at a time. */
export const TWO_YEARS = { seed: 42, start: "2023-01-01", days: 730, jobsPerNamespace: 120 };

/**
 * An archive of the benchmarks: `jobs` times the 2-year archive's jobs per day, over `length` times its two years,
 * ending when it ends (2024-12-30): snapshots dated after the day a command runs are not read.
 */
export interface BenchArchive {
  jobs: number;
  length: number;
}

export const benchArchiveName = ({ jobs, length }: BenchArchive) => `${2 * length}y${jobs === 1 ? "" : `-x${jobs}`}`;

/** The archive's folder, generated first if absent (into a `.partial` folder renamed once done: never half an archive). */
export async function benchArchive(archive: BenchArchive): Promise<string> {
  const folder = join(tmpdir(), `accounting-bench-${benchArchiveName(archive)}`);
  if (existsSync(join(folder, "snapshots"))) return folder;
  const partial = `${folder}.partial`;
  rmSync(partial, { recursive: true, force: true });
  process.stderr.write(`generating the ${benchArchiveName(archive)} archive into ${folder}…\n`);
  const start = new Date(Date.parse(TWO_YEARS.start) - (archive.length - 1) * TWO_YEARS.days * 86_400_000).toISOString().slice(0, 10);
  const summary = await generateArchive(partial, {
    ...TWO_YEARS,
    start,
    days: TWO_YEARS.days * archive.length,
    jobsPerNamespace: TWO_YEARS.jobsPerNamespace * archive.jobs,
  });
  process.stderr.write(`${summary.snapshots} snapshots, ${summary.jobs} jobs, ${summary.bytes} bytes\n`);
  renameSync(partial, folder);
  return folder;
}
