import { spawn } from "node:child_process";
import { cpSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadArchive } from "../../../loaders/ingest/load.js";
import { CACHE_FILE, STAMP_FILE } from "../../../loaders/ingest/ingest-cache.js";
import { runReport, type Report } from "../../../loaders/queries/report.js";
import { temporaryFolder } from "../../helpers/archive.js";
import { alterCache, stampAnew } from "../../helpers/cache.js";
import { REFERENCE_ARCHIVE } from "../../helpers/reference.js";
import { mountSmallDisk, smallDiskMissing } from "../../helpers/tmpfs.js";

/*
 * The events of a cron's life that used to stop every later report: a damaged cache file, an altered value in it,
 * another process holding it, a read-only or full disk under it. Each costs a warning and a whole read of the
 * archive, never a report: the numbers stay those of a run with no cache.
 */

interface Run {
  report: Report;
  warnings: string[];
  /** Snapshot files read from the archive. */
  read: number;
}

async function run(archive: string, cache?: string): Promise<Run> {
  const warnings: string[] = [];
  let read = 0;
  const database = await loadArchive(archive, { cache, onWarning: (message) => warnings.push(message), onProgress: (_, total) => (read = total) });
  try {
    return { report: await runReport(database, { mode: "exact" }), warnings, read };
  } finally {
    database.close();
  }
}

/** A copy of the reference archive without its last `held` snapshots; `restore` brings them back. */
function archiveWithout(held: number): { archive: string; restore(): void } {
  const archive = temporaryFolder();
  cpSync(REFERENCE_ARCHIVE, archive, { recursive: true, preserveTimestamps: true });
  const folder = join(archive, "snapshots");
  const aside = temporaryFolder();
  const names = readdirSync(folder).sort();
  const moved = held ? names.slice(-held) : [];
  for (const name of moved) renameSync(join(folder, name), join(aside, name));
  return { archive, restore: () => moved.forEach((name) => renameSync(join(aside, name), join(folder, name))) };
}

/** 64 bytes that are not what was there, at `offset`. */
function scribble(path: string, offset: number): void {
  const bytes = readFileSync(path);
  for (let i = 0; i < 64; i++) bytes[offset + i] = ((bytes[offset + i] ?? 0) + 1 + ((i * 37) % 255)) & 255;
  writeFileSync(path, bytes);
}

let expected: { whole: Report; held: Report };

/** A doubled interval: its namespace's CPU-hours would grow. */
const DOUBLED = "UPDATE intervals SET cpu_num = cpu_num * 2 WHERE rowid = (SELECT min(rowid) FROM intervals)";

beforeAll(async () => {
  const held = archiveWithout(2);
  expected = { held: (await run(held.archive)).report, whole: (await run(REFERENCE_ARCHIVE)).report };
}, 60_000);

const DAMAGES: [string, (path: string) => void][] = [
  ["truncated to half", (path) => truncateSync(path, Math.floor(statSync(path).size / 2))],
  ["truncated by one byte", (path) => truncateSync(path, statSync(path).size - 1)],
  ["64 random bytes in a header block", (path) => scribble(path, 100)],
  ["64 random bytes in the second header block", (path) => scribble(path, 4096 + 900)],
  ["64 random bytes in a data block", (path) => scribble(path, 12_288 + 20_000)],
];

describe("a damaged cache", () => {
  it.each(DAMAGES)("%s: one warning, the numbers of a run without it, a fresh cache — even with new snapshots", async (_, damage) => {
    for (const newSnapshots of [false, true]) {
      const { archive, restore } = archiveWithout(2);
      const cache = temporaryFolder();
      await run(archive, cache);
      damage(join(cache, CACHE_FILE));
      if (newSnapshots) restore();
      const damaged = await run(archive, cache);
      expect(damaged.report).toEqual(newSnapshots ? expected.whole : expected.held);
      expect(damaged.warnings).toEqual([expect.stringMatching(/^ingest cache .+ is damaged \(.+\): reading the whole archive, and writing a fresh cache$/)]);
      // Not taken for a lock: the fresh cache serves the next run, which reads nothing.
      const next = await run(archive, cache);
      expect([next.warnings, next.read, next.report]).toEqual([[], 0, damaged.report]);
    }
  });

  it("with a value altered inside it is caught by its checksum, not used", async () => {
    const { archive } = archiveWithout(0);
    const cache = temporaryFolder();
    await run(archive, cache);
    await alterCache(cache, DOUBLED);
    const altered = await run(archive, cache);
    expect(altered.warnings).toEqual([expect.stringMatching(/is damaged \(its tables do not match their checksum\)/)]);
    expect(altered.report).toEqual(expected.whole);
    expect(await run(archive, cache)).toMatchObject({ warnings: [], read: 0, report: expected.whole });
  });

  it("with a value altered and its modification time set back is still caught: the stamp holds the status-change time", async () => {
    const { archive } = archiveWithout(0);
    const cache = temporaryFolder();
    await run(archive, cache);
    const path = join(cache, CACHE_FILE);
    // The same update made and undone before, that the file be larger than after the one to hide; a modification time
    // in whole seconds, which utimes can set back exactly; the run after them stamps the file anew.
    await alterCache(cache, DOUBLED);
    await alterCache(cache, "UPDATE intervals SET cpu_num = cpu_num / 2 WHERE rowid = (SELECT min(rowid) FROM intervals)");
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    await run(archive, cache);
    const before = statSync(path);
    await alterCache(cache, DOUBLED);
    // DuckDB gave back blocks at the end: zeros past its last one make up the size.
    truncateSync(path, before.size);
    utimesSync(path, before.atime, before.mtime);
    expect([statSync(path).size, statSync(path).mtimeMs, statSync(path).ino]).toEqual([before.size, before.mtimeMs, before.ino]);
    const altered = await run(archive, cache);
    expect(altered.warnings).toEqual([expect.stringMatching(/is damaged \(its tables do not match their checksum\)/)]);
    expect(altered.report).toEqual(expected.whole);
  });

  it("as the last run left it is trusted: its stored sums are not computed again", async () => {
    const { archive } = archiveWithout(0);
    const cache = temporaryFolder();
    await run(archive, cache);
    await alterCache(cache, DOUBLED);
    stampAnew(cache);
    const trusted = await run(archive, cache);
    expect([trusted.warnings, trusted.read]).toEqual([[], 0]);
    expect(trusted.report).not.toEqual(expected.whole);
    // Without the stamp, the next run hashes the whole cache and finds it altered.
    rmSync(join(cache, STAMP_FILE));
    expect((await run(archive, cache)).warnings).toEqual([expect.stringMatching(/is damaged \(its tables do not match their checksum\)/)]);
  });

  it("held by another process is a lock: a warning, a run without it, and the cache kept as it was", async () => {
    const { archive } = archiveWithout(0);
    const cache = temporaryFolder();
    await run(archive, cache);
    const before = readFileSync(join(cache, CACHE_FILE));
    const holder = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { DuckDBInstance } from "@duckdb/node-api"; await DuckDBInstance.create(${JSON.stringify(join(cache, CACHE_FILE))}); console.log("held"); setInterval(() => {}, 1000);`,
      ],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on("data", () => resolve());
        holder.on("exit", (code) => reject(new Error(`the holder exited with ${code}`)));
      });
      const locked = await run(archive, cache);
      expect(locked.warnings).toEqual([expect.stringMatching(/^ingest cache .+ is in use by another process \(.+\): reading the whole archive$/)]);
      expect(locked.report).toEqual(expected.whole);
    } finally {
      holder.kill("SIGKILL");
      await new Promise((resolve) => holder.on("close", resolve));
    }
    expect(readFileSync(join(cache, CACHE_FILE)).equals(before)).toBe(true);
    expect(await run(archive, cache)).toMatchObject({ warnings: [], read: 0, report: expected.whole });
  });

  it("is created readable by its owner only, also in a folder that already exists", async () => {
    const cache = temporaryFolder();
    await run(archiveWithout(0).archive, cache);
    for (const name of readdirSync(cache)) expect([name, statSync(join(cache, name)).mode & 0o777]).toEqual([name, 0o600]);
  });
});

const noSmallDisk = smallDiskMissing();
if (noSmallDisk) console.warn(noSmallDisk);

describe.skipIf(noSmallDisk !== undefined)("a cache on a disk that refuses writes", () => {
  const disks: { remove(): void }[] = [];
  afterAll(() => disks.forEach((disk) => disk.remove()));

  it("read-only, with new snapshots to add: a warning, the numbers of a run without it", async () => {
    const disk = mountSmallDisk(32 * 1024 * 1024);
    disks.push(disk);
    const { archive, restore } = archiveWithout(2);
    await run(archive, disk.folder);
    disk.readOnly();
    restore();
    const readOnly = await run(archive, disk.folder);
    expect(readOnly.report).toEqual(expected.whole);
    expect(readOnly.warnings).toEqual([
      expect.stringMatching(/^ingest cache .+ cannot be written \(.*(Read-only file system|EROFS).*\): reading the whole archive$/),
    ]);
  });

  it("full: a warning, the numbers of a run without it, and no half-written cache trusted later", async () => {
    const disk = mountSmallDisk(256 * 1024);
    disks.push(disk);
    const { archive } = archiveWithout(0);
    const full = await run(archive, disk.folder);
    expect(full.report).toEqual(expected.whole);
    expect(full.warnings.length).toBeGreaterThanOrEqual(1);
    expect(
      full.warnings.every((warning) => /^ingest cache .+ (cannot be written|is damaged) \(.+\): reading the whole archive/.test(warning)),
      full.warnings.join("\n"),
    ).toBe(true);
    expect((await run(archive, disk.folder)).report).toEqual(expected.whole);
  });
});
