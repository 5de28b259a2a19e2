import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { generateArchive } from "../../scripts/archive-generator.js";
import { temporaryFolder } from "../helpers/archive.js";
import { runCli } from "../helpers/cli.js";

const run = promisify(execFile);
const COMMAND = ["--import", import.meta.resolve("tsx/esm"), fileURLToPath(new URL("../helpers/cli-peak-memory.ts", import.meta.url))];
const MIB = 1024 * 1024;

/** JSON of valid size (under 16 MiB) that JSON.parse would take 400–800 MB and seconds to build. */
const BOMBS: Record<string, string> = {
  "2024-01-10T03:00:00.json": `${"[".repeat(7 * MIB)}${"]".repeat(7 * MIB)}`,
  "2024-01-20T03:00:00.json": `{"vo": [${"[],".repeat(5 * MIB - 1)}[]]}`,
  "2024-02-10T03:00:00.json": `{"vo": [${"{},".repeat(5 * MIB - 1)}{}]}`,
  "2024-02-20T03:00:00.json": `${'{"a":'.repeat(2.5 * MIB)}0${"}".repeat(2.5 * MIB)}`,
};

describe("an archive of valid-size files built to exhaust memory", () => {
  it("is read under 1 GB, on every thread, its bombs skipped and named, every number unchanged", async () => {
    const archive = temporaryFolder();
    // 480 snapshots: read by several threads, as a real archive is.
    await generateArchive(archive, { seed: 3, start: "2024-01-01", days: 120, snapshotHours: 6, namespaces: ["vo"], jobsPerNamespace: 4 });
    const clean = await runCli(["report", "--archive", archive, "--format", "json", "--no-cache", "--quiet"]);
    expect(clean.code).toBe(0);
    for (const [name, text] of Object.entries(BOMBS)) writeFileSync(join(archive, "snapshots", name), text);
    const { stdout, stderr } = await run(
      process.execPath,
      [...COMMAND, "report", "--archive", archive, "--format", "json", "--no-cache", "--problems", "all"],
      { maxBuffer: 64 * MIB },
    );
    const peak = Number(/peak-rss-kb (\d+)/.exec(stderr)?.[1]) * 1024;
    expect(peak, `${(peak / 1e6).toFixed(0)} MB`).toBeLessThan(1e9);
    for (const name of Object.keys(BOMBS))
      expect(stderr).toMatch(
        new RegExp(
          `skipped snapshots/${name.replaceAll(".", "\\.")}: (arrays and objects nested more than 64 levels deep|more than one array or object per 16 bytes)`,
        ),
      );
    expect(JSON.parse(stdout).total).toEqual(JSON.parse(clean.stdout).total);
  }, 120_000);
});
