import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jobJson, temporaryFolder, writeArchive } from "../helpers/archive.js";
import { runCli } from "../helpers/cli.js";
import { copyProject, run } from "../helpers/project.js";
import type { SiteManifest } from "../../loaders/site/site-tables.js";

/*
 * `npm run build` (Framework's `observable build`) in a copy of the working tree, on an archive it must refuse. The
 * site's data loader fails with the command line's line, and Framework ends the build with a status that is not 0
 * when a loader fails: the workflow stops before anything is published.
 */

/** A copy of the working tree in `work` and the environment of a public build of `archive` in it, its ingest cache in `work`. */
function projectIn(work: string, archive: string): { project: string; env: NodeJS.ProcessEnv } {
  const project = join(work, "project");
  copyProject(project);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ACCOUNTING_ARCHIVE: archive,
    ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef",
    ACCOUNTING_CACHE: join(work, "cache"),
  };
  delete env.ACCOUNTING_PRIVATE;
  return { project, env };
}

describe("npm run build", () => {
  it("fails on an archive whose snapshots folder is empty, with the command line's one line", async () => {
    const work = temporaryFolder("accounting-build-");
    try {
      const archive = join(work, "archive");
      mkdirSync(join(archive, "snapshots"), { recursive: true });
      const line = `accounting: no snapshot with jobs in ${join(archive, "snapshots")}: no .json file there lists a namespace\n`;
      expect(await runCli(["report", "--archive", archive])).toEqual({ code: 1, stdout: "", stderr: line });

      const { project, env } = projectIn(work, archive);
      const { code, output: colored } = await run("npm", ["run", "build"], project, env);
      // Framework colours its lines when the environment asks for it (CI does): compare the text.
      const output = colored.replace(/\x1b\[[0-9;]*m/g, "");
      expect(code, output).toBe(1);
      expect(output).toContain(`load /data/accounting.tar → [missing] ${line}`);
      expect(output).toContain("loader exited with code 1");
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 90_000);

  it("after a new snapshot, writes the monthly files of the months it touched and keeps the others, linked from the last build's", async () => {
    const work = temporaryFolder("accounting-build-");
    try {
      const february = jobJson({ job_ID: "job-b", alloc_ID: "alloc-b", submit_time: "2024-02-09 00:00:00", alloc_start: "2024-02-09T00:00:00Z" });
      const march = jobJson({ job_ID: "job-c", alloc_ID: "alloc-c", owner: "bob@egi.eu", alloc_start: "2024-03-09T00:00:00Z" });
      const archive = writeArchive(
        { "2024-02-10T00:00:00.json": { vo: [february] }, "2024-02-20T00:00:00.json": { vo: [] }, "2024-03-10T00:00:00.json": { vo: [march] } },
        join(work, "archive"),
      );
      const { project, env } = projectIn(work, archive);
      const site = join(project, "src", ".observablehq", "cache", ".site");
      const build = async () => {
        const { code, output } = await run("npm", ["run", "build"], project, env);
        expect(code, output).toBe(0);
        const { months } = JSON.parse(readFileSync(join(site, "manifest.json"), "utf8")) as SiteManifest;
        for (const files of Object.values(months))
          for (const path of Object.values(files)) expect(existsSync(join(project, "dist", "data", "accounting", path))).toBe(true);
        return months;
      };
      const before = await build();
      const inode = statSync(join(site, before["2024-02"]!.intervals)).ino;
      // A new job whose id sorts first, of an owner not seen before.
      const newcomer = jobJson({ job_ID: "job-a", alloc_ID: "alloc-a", owner: "zed@egi.eu", alloc_start: "2024-03-19T00:00:00Z" });
      writeArchive({ "2024-03-20T00:00:00.json": { vo: [march, newcomer] } }, archive);
      const after = await build();
      expect(after["2024-02"]!.intervals).toBe(before["2024-02"]!.intervals);
      expect(after["2024-02"]!.jobs).toBe(before["2024-02"]!.jobs);
      expect(statSync(join(site, after["2024-02"]!.intervals)).ino).toBe(inode);
      expect(after["2024-03"]!.intervals).not.toBe(before["2024-03"]!.intervals);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 240_000);
});
