import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SACCT_FIELDS } from "../../loaders/sources/slurm/fields.js";
import { temporaryFolder } from "../helpers/archive.js";
import { runCli } from "../helpers/cli.js";
import { mountSmallDisk, smallDiskMissing, type SmallDisk } from "../helpers/tmpfs.js";

/**
 * `accounting collect slurm` against a fake sacct on PATH: what it asks sacct, where and how it writes the dump, and
 * its errors. The same command against a real Slurm: test/loaders/sources/slurm/live.test.ts.
 */

/** 2024-05-03T12:34:56.789Z: the dump is named by the second. */
const NOW = Date.UTC(2024, 4, 3, 12, 34, 56, 789);
const NAME = "2024-05-03T12:34:56.txt";
const RECORDS = ["1|1|c|p|normal|physics|alice", "2|2|c|p|normal|chemistry|bob", "3_1|4|c|p|normal|physics|carol"];

/**
 * A folder with a fake `sacct` that writes what it was given (its arguments and $TZ) to $FAKE_SACCT_ARGS, then
 * $FAKE_SACCT_OUTPUT's content; with FAKE_SACCT_FAIL set, half a line and an error on stderr, exit status 1.
 */
function fakeSacct(): string {
  const bin = temporaryFolder("fake-sacct-");
  const script = `#!/bin/sh
printf '%s\\n' "TZ=$TZ" "$@" > "$FAKE_SACCT_ARGS"
if [ -n "$FAKE_SACCT_FAIL" ]; then
  printf '1|1|half a li'
  printf '\\nsacct: error: Problem talking to the database: Connection refused\\nsacct: fatal: no more\\n' >&2
  exit 1
fi
cat "$FAKE_SACCT_OUTPUT"
`;
  writeFileSync(join(bin, "sacct"), script, { mode: 0o755 });
  return bin;
}

interface Setup {
  archive?: string;
  output?: string;
  fail?: boolean;
  args?: string[];
  path?: string;
}

async function collect({ archive = temporaryFolder(), output = RECORDS.map((line) => `${line}\n`).join(""), fail, args = [], path }: Setup = {}) {
  const work = temporaryFolder("collect-");
  writeFileSync(join(work, "output"), output);
  const env = {
    PATH: path ?? `${fakeSacct()}:/usr/bin:/bin`,
    FAKE_SACCT_ARGS: join(work, "args"),
    FAKE_SACCT_OUTPUT: join(work, "output"),
    FAKE_SACCT_FAIL: fail ? "1" : undefined,
  };
  const run = await runCli(["collect", "slurm", "--archive", archive, ...args], env, { now: () => NOW });
  const sacctArgs = (() => {
    try {
      return readFileSync(join(work, "args"), "utf8").split("\n").slice(0, -1);
    } catch {
      return undefined;
    }
  })();
  return { ...run, archive, sacctArgs };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe("accounting collect slurm", () => {
  it("asks sacct for every allocation since all history, in UTC, up to the dump's second, and writes what it said", async () => {
    const { code, stdout, stderr, archive, sacctArgs } = await collect();
    expect([code, stderr]).toEqual([0, ""]);
    expect(sacctArgs).toEqual([
      "TZ=UTC",
      "--allusers",
      "--parsable2",
      "--noheader",
      "--allocations",
      "--duplicates",
      "--format",
      SACCT_FIELDS.join(","),
      "-S",
      "1970-01-01T00:00:00",
      "-E",
      "2024-05-03T12:34:56",
    ]);
    const dump = join(archive, "slurm", NAME);
    expect(readFileSync(dump, "utf8")).toBe(RECORDS.map((line) => `${line}\n`).join(""));
    expect(stdout).toBe(`Wrote 3 Slurm job records (since 1970-01-01T00:00:00 UTC) to ${dump}\n`);
    // User and job names: the first dump and the folders made for it are their owner's only.
    expect([mode(dump), mode(join(archive, "slurm")), readdirSync(join(archive, "slurm"))]).toEqual([0o600, 0o700, [NAME]]);
  });

  it("starts, by default, at the newest dump's time, and gives the new dump that dump's mode", async () => {
    const archive = temporaryFolder();
    const folder = join(archive, "slurm");
    mkdirSync(join(folder, "2030-01-01T00:00:00"), { recursive: true });
    writeFileSync(join(folder, "2024-05-01T00:00:00.txt"), "");
    writeFileSync(join(folder, "2024-05-02T06:00:00.txt"), "", { mode: 0o640 });
    chmodSync(join(folder, "2024-05-02T06:00:00.txt"), 0o640);
    // Not dumps: a folder, a hidden file (a dump being written), a name that is no time, a time that does not exist.
    for (const name of [".2029-01-01T00:00:00.txt.tmp", "notes.txt", "2024-13-01T00:00:00.txt"]) writeFileSync(join(folder, name), "");
    const { code, stdout, sacctArgs } = await collect({ archive });
    expect(code).toBe(0);
    expect(sacctArgs?.slice(-4)).toEqual(["-S", "2024-05-02T06:00:00", "-E", "2024-05-03T12:34:56"]);
    expect(stdout).toContain("(since 2024-05-02T06:00:00 UTC)");
    expect(mode(join(folder, NAME))).toBe(0o640);
  });

  it("takes --since as a day or a second (UTC), and says nothing with --quiet", async () => {
    const day = await collect({ args: ["--since", "2024-05-01", "--quiet"] });
    expect([day.code, day.stdout, day.sacctArgs?.slice(-4, -2)]).toEqual([0, "", ["-S", "2024-05-01T00:00:00"]]);
    const second = await collect({ args: ["--since", "2024-05-01T10:20:30"] });
    expect(second.sacctArgs?.slice(-4, -2)).toEqual(["-S", "2024-05-01T10:20:30"]);
    for (const since of ["2024-05-01 10:20:30", "2024-02-30", "yesterday", "2024-05-01T10:20:30Z"]) {
      const bad = await collect({ args: ["--since", since] });
      expect([bad.code, bad.stderr, bad.sacctArgs]).toEqual([
        2,
        `accounting: --since ${JSON.stringify(since)} is not a time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, UTC)\n`,
        undefined,
      ]);
    }
  });

  it("counts a last line without its end of line", async () => {
    const { stdout } = await collect({ output: "1|a\n2|b" });
    expect(stdout).toMatch(/^Wrote 2 Slurm job records/);
  });

  it("writes an empty dump when no job ran: its name is where the next one starts", async () => {
    const { code, stdout, archive } = await collect({ output: "" });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Wrote 0 Slurm job records/);
    expect(readFileSync(join(archive, "slurm", NAME), "utf8")).toBe("");
  });

  it("fails with exit status 1 and sacct's first line when sacct fails, leaving no dump", async () => {
    const { code, stdout, stderr, archive } = await collect({ fail: true });
    expect([code, stdout]).toEqual([1, ""]);
    expect(stderr).toBe("accounting: sacct failed (exit status 1): sacct: error: Problem talking to the database: Connection refused\n");
    expect(readdirSync(join(archive, "slurm"))).toEqual([]);
  });

  it("fails with exit status 1 when there is no sacct", async () => {
    const { code, stderr, archive } = await collect({ path: temporaryFolder("empty-path-") });
    expect([code, stderr]).toEqual([1, "accounting: cannot run sacct: it is not on PATH (Slurm's client commands are not installed?)\n"]);
    expect(readdirSync(join(archive, "slurm"))).toEqual([]);
  });

  it("fails with exit status 3 when the archive cannot hold a Slurm folder", async () => {
    const archive = temporaryFolder();
    writeFileSync(join(archive, "slurm"), "a file where the folder should be");
    const { code, stderr, sacctArgs } = await collect({ archive });
    expect([code, sacctArgs]).toEqual([3, undefined]);
    expect(stderr).toMatch(/^accounting: cannot read .*\/slurm: ENOTDIR/);
  });

  it("refuses a scheduler it does not collect from, with exit status 2", async () => {
    expect(await runCli(["collect"])).toMatchObject({ code: 2, stderr: "accounting: collect takes a scheduler, slurm\n" });
    expect(await runCli(["collect", "pbs"])).toMatchObject({ code: 2, stderr: 'accounting: collect takes a scheduler, slurm, not "pbs"\n' });
    expect((await runCli(["--help"])).stdout).toContain("accounting collect slurm [--archive DIR] [--since TIME] [--quiet]");
  });
});

const noDisk = smallDiskMissing();
if (noDisk && !process.env.CI) console.warn(noDisk);

describe.skipIf(noDisk !== undefined && !process.env.CI)("accounting collect slurm on a full or read-only disk", () => {
  let disk: SmallDisk | undefined;
  afterEach(() => disk?.remove());

  it("fails with exit status 3 on a full disk, leaving no dump nor half of one", async () => {
    disk = mountSmallDisk(64 * 1024);
    const { code, stderr } = await collect({ archive: disk.folder, output: `${"1|2|3|4\n".repeat(40_000)}` });
    expect(code).toBe(3);
    expect(stderr).toMatch(/^accounting: cannot write .*\/slurm\/2024-05-03T12:34:56\.txt: ENOSPC/);
    expect(readdirSync(join(disk.folder, "slurm"))).toEqual([]);
  });

  it("fails with exit status 3 on a read-only disk", async () => {
    disk = mountSmallDisk(64 * 1024);
    mkdirSync(join(disk.folder, "slurm"));
    disk.readOnly();
    const { code, stderr, sacctArgs } = await collect({ archive: disk.folder });
    expect([code, sacctArgs]).toEqual([3, undefined]);
    expect(stderr).toMatch(/^accounting: cannot write into .*\/slurm: EROFS/);
  });
});
