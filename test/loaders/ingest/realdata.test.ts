import { readdirSync, statSync, symlinkSync, mkdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { temporaryFolder } from "../../helpers/archive.js";
import { realdata } from "../../helpers/realdata.js";
import { archiveTables } from "../../helpers/tables.js";

/** Every file under `folder`, as paths relative to it. */
function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: "utf8" }).filter((path) => statSync(join(folder, path)).isFile());
}

/**
 * Every real record of other schedulers (../shared/realdata, with their notes, expected outputs and test inputs of
 * other projects beside them) put in one archive's folder, as a careless operator might: the production route reads
 * it all without a crash, and names every line or file it skips with its reason.
 */
describe.each(["slurm", "sge", "flux"] as const)("every real %s file, through the production route", (kind) => {
  const folder = realdata(kind);
  it.skipIf(folder.missing)(
    "is read without a crash; each line or file skipped is named, with its reason",
    async () => {
      const archive = temporaryFolder(`realdata-${kind}-`);
      const files = filesUnder(folder.path);
      for (const path of files) {
        // Flux's test inputs are job-list records, one a line, in files named `input`: stored as JSON Lines.
        const target = join(archive, kind, kind === "flux" && path.endsWith("/input") ? `${path}.jsonl` : path);
        mkdirSync(dirname(target), { recursive: true });
        symlinkSync(join(folder.path, path), target);
      }
      const tables = await archiveTables(archive);
      expect(tables.jobs.length, "jobs read").toBeGreaterThan(0);
      for (const problem of tables.problems) {
        expect(files).toContain(relative(kind, problem.file).replace(/\.jsonl$/, ""));
        expect(problem.reason).toMatch(/^[a-z]/);
      }
      // Every interval is a run of a job listed, within its start and end.
      const jobs = new Set(tables.jobs.map((job) => `${job.source}/${job.cluster}/${job.job_id}`));
      for (const interval of tables.intervals) {
        expect(jobs.has(`${interval.source}/${interval.cluster}/${interval.job_id}`)).toBe(true);
        expect(interval.end_time as number).toBeGreaterThanOrEqual(interval.start_time as number);
      }
    },
    120_000,
  );
});
