import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { temporaryFolder } from "../helpers/archive.js";
import { runCli } from "../helpers/cli.js";
import { copyProject, run } from "../helpers/project.js";

/*
 * `npm run build` (Framework's `observable build`) in a copy of the working tree, on an archive it must refuse. The
 * site's data loader fails with the command line's line, and Framework ends the build with a status that is not 0
 * when a loader fails: the workflow stops before anything is published.
 */

describe("npm run build", () => {
  it("fails on an archive whose snapshots folder is empty, with the command line's one line", async () => {
    const work = temporaryFolder("accounting-build-");
    try {
      const archive = join(work, "archive");
      mkdirSync(join(archive, "snapshots"), { recursive: true });
      const line = `accounting: no snapshot with jobs in ${join(archive, "snapshots")}: no .json file there lists a namespace\n`;
      expect(await runCli(["report", "--archive", archive])).toEqual({ code: 1, stdout: "", stderr: line });

      const project = join(work, "project");
      copyProject(project);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ACCOUNTING_ARCHIVE: archive,
        ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef",
        ACCOUNTING_CACHE: join(work, "cache"),
      };
      delete env.ACCOUNTING_PRIVATE;
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
});
