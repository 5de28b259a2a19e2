import { spawn } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { temporaryFolder } from "../helpers/archive.js";
import { runCli } from "../helpers/cli.js";
import { INGEST_OUTPUT } from "../helpers/tables.js";
import { REFERENCE_ARCHIVE } from "../helpers/reference.js";
import { mountSmallDisk, smallDiskMissing } from "../helpers/tmpfs.js";

/*
 * `accounting ingest --out DIR` replaces DIR whole: a kill or a full disk leaves the previous complete set of tables
 * or the new one, never a mix, never a half-written file under a table's name.
 */

const KEY = { ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" };
const COMMAND = ["--import", import.meta.resolve("tsx/esm"), fileURLToPath(new URL("../helpers/cli-process.ts", import.meta.url))];

/** Every file under a folder (the months of partitioned tables too), by relative path, and its bytes; undefined when there is no folder. */
function contents(folder: string): Map<string, Buffer> | undefined {
  if (!existsSync(folder)) return undefined;
  return new Map(
    readdirSync(folder, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
      .sort()
      .map((path) => [path, readFileSync(join(folder, path))]),
  );
}

function same(a: Map<string, Buffer> | undefined, b: Map<string, Buffer> | undefined): boolean {
  if (!a || !b || a.size !== b.size) return a === b;
  return [...a].every(([name, bytes]) => b.get(name)?.equals(bytes) ?? false);
}

/** The reference archive without its last two snapshots: tables other than the whole archive's. */
function shorterArchive(): string {
  const archive = temporaryFolder();
  cpSync(REFERENCE_ARCHIVE, archive, { recursive: true });
  const folder = join(archive, "snapshots");
  for (const name of readdirSync(folder).sort().slice(-2)) renameSync(join(folder, name), join(temporaryFolder(), name));
  return archive;
}

async function ingest(archive: string, out: string): Promise<void> {
  const { code, stderr } = await runCli(["ingest", "--archive", archive, "--out", out, "--no-cache", "--quiet"], KEY);
  expect(code, stderr).toBe(0);
}

describe("ingest --out", () => {
  it("leaves the previous set or the new one whenever it is killed, never a mix or a half-written table", async () => {
    const shorter = shorterArchive();
    const sets = { previous: temporaryFolder(), next: temporaryFolder() };
    await ingest(shorter, join(sets.previous, "out"));
    await ingest(REFERENCE_ARCHIVE, join(sets.next, "out"));
    const previous = contents(join(sets.previous, "out"));
    const next = contents(join(sets.next, "out"));
    expect(readdirSync(join(sets.previous, "out")).sort()).toEqual(INGEST_OUTPUT);
    expect(previous?.size).toBe(13);
    expect(same(previous, next)).toBe(false);

    const kill = async (out: string, after: number): Promise<number> => {
      const started = performance.now();
      const child = spawn(process.execPath, [...COMMAND, "ingest", "--archive", REFERENCE_ARCHIVE, "--out", out, "--no-cache", "--quiet"], {
        env: { ...process.env, ...KEY },
        stdio: "ignore",
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), after);
      await new Promise((resolve) => child.on("close", resolve));
      clearTimeout(timer);
      return performance.now() - started;
    };
    const probe = temporaryFolder();
    const whole = await kill(join(probe, "out"), 60_000);
    const seen = { previous: 0, next: 0 };
    for (let round = 0; round < 12; round++) {
      const parent = temporaryFolder();
      const out = join(parent, "out");
      cpSync(join(sets.previous, "out"), out, { recursive: true });
      // From the start of the run past its end: most kills land while the tables are written; the last two after
      // twice and three times the probe's time, past the swap even when the machine has since slowed down.
      await kill(out, round < 10 ? whole * (0.5 + round / 16) : whole * (round - 8));
      const found = contents(out);
      const which = same(found, previous) ? "previous" : same(found, next) ? "next" : undefined;
      expect(which, `round ${round}: ${[...(found?.keys() ?? ["no folder"])].join(", ")}`).toBeDefined();
      seen[which as keyof typeof seen]++;
      // The next run finishes or undoes what the kill left, and leaves nothing beside the folder.
      await ingest(REFERENCE_ARCHIVE, out);
      expect(same(contents(out), next)).toBe(true);
      expect(readdirSync(parent)).toEqual(["out"]);
    }
    // Kills landed on both sides of the swap (7 and 5 when measured): the test saw both outcomes.
    expect(seen.previous, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(seen.next, JSON.stringify(seen)).toBeGreaterThan(0);
  }, 120_000);
});

const noSmallDisk = smallDiskMissing();
if (noSmallDisk) console.warn(noSmallDisk);

describe.skipIf(noSmallDisk !== undefined)("ingest --out on a full disk", () => {
  const disks: { remove(): void }[] = [];
  afterAll(() => disks.forEach((disk) => disk.remove()));

  it("exits 3 with one line and keeps the previous set whole", async () => {
    const shorter = shorterArchive();
    const reference = temporaryFolder();
    await ingest(shorter, join(reference, "out"));
    const previous = contents(join(reference, "out"));
    const size = [...(previous?.values() ?? [])].reduce((sum, bytes) => sum + bytes.length, 0);
    // Room for one set of tables and a little more, not for a second one beside it.
    const disk = mountSmallDisk(Math.ceil((size * 1.5) / 4096) * 4096);
    disks.push(disk);
    const out = join(disk.folder, "out");
    await ingest(shorter, out);
    const { code, stdout, stderr } = await runCli(["ingest", "--archive", REFERENCE_ARCHIVE, "--out", out, "--no-cache", "--quiet"], KEY);
    expect([code, stdout]).toEqual([3, ""]);
    expect(stderr).toMatch(/^accounting: cannot write the tables into .+: .*(No space left on device|ENOSPC).*\n$/);
    expect(same(contents(out), previous)).toBe(true);
    expect(readdirSync(disk.folder)).toEqual(["out"]);
  });
});
