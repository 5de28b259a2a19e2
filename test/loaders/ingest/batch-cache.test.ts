import { cpSync, mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadArchive } from "../../../loaders/ingest/load.js";
import { temporaryFolder } from "../../helpers/archive.js";
import { alterCache, expectSameFiles, ingestOut, isStamped, stampAnew } from "../../helpers/cache.js";
import { STAMP_FILE } from "../../../loaders/ingest/ingest-cache.js";
import { REFERENCE_ARCHIVE } from "../../helpers/reference.js";
import { tablesOf, type Tables } from "../../helpers/tables.js";
import { mountSmallDisk, smallDiskMissing } from "../../helpers/tmpfs.js";

/*
 * Batch records through the ingest cache: a run reads the dumps new or changed since the last one, and its tables are
 * those of a run without the cache, every row in the same order.
 */

const HEADER = "JobID|JobIDRaw|Cluster|Partition|Account|User|Submit|Start|End|State|NNodes|NCPUS|AllocTRES|ExitCode|JobName";
const sacct = (...lines: string[]) => [HEADER, ...lines, ""].join("\n");
const job = (id: number, account: string, user: string, start: string, end: string, state: string, cores = 4) =>
  `${id}|${id}|c1|p|${account}|${user}|${start}|${start}|${end}|${state}|1|${cores}|cpu=${cores},mem=8G,node=1|0:0|j${id}`;

const DUMPS: Record<string, string> = {
  "slurm/2024-05-02T00:00:00.txt": sacct(
    job(10, "acct-a", "alice", "2024-05-01T01:00:00", "Unknown", "RUNNING"),
    job(11, "acct-b", "bob", "2024-05-01T02:00:00", "2024-05-01T05:00:00", "COMPLETED"),
    "not a line of sacct",
  ),
  "slurm/2024-05-03T00:00:00.txt": sacct(
    job(10, "acct-a", "alice", "2024-05-01T01:00:00", "2024-05-02T13:00:00", "COMPLETED"),
    job(12, "acct-b", "carol", "2024-05-02T03:00:00", "Unknown", "RUNNING", 8),
  ),
};
const LATER = {
  "slurm/2024-05-04T00:00:00.txt": sacct(
    job(12, "acct-b", "carol", "2024-05-02T03:00:00", "2024-05-03T09:00:00", "FAILED", 8),
    job(13, "acct-c", "dave", "2024-05-03T10:00:00", "2024-05-03T11:00:00", "COMPLETED", 2),
  ),
};

function write(archive: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(archive, path, ".."), { recursive: true });
    writeFileSync(join(archive, path), text);
  }
}

interface Run {
  tables: Tables;
  warnings: string[];
  /** Batch files read (the last progress's total). */
  read: number;
}

async function run(archive: string, cache?: string, verifyContent = false): Promise<Run> {
  const warnings: string[] = [];
  let read = 0;
  const database = await loadArchive(archive, {
    cache,
    verifyContent,
    users: { pseudonymKey: "k", private: true },
    onWarning: (message) => warnings.push(message),
    onProgress: (_, total) => (read = total),
  });
  try {
    return { tables: await tablesOf(database), warnings, read };
  } finally {
    database.close();
  }
}

/** An archive of `files`, and a cache a first run filled from it. */
async function cachedArchive(files: Record<string, string>): Promise<{ archive: string; cache: string }> {
  const archive = temporaryFolder();
  write(archive, files);
  const cache = temporaryFolder();
  await run(archive, cache);
  return { archive, cache };
}

/** The tables of a run without a cache: what every cached run must give. */
const uncached = async (archive: string) => (await run(archive)).tables;

describe("batch records through the ingest cache", () => {
  it("reads only the dumps added since the last run, and gives the tables of a run without it", async () => {
    const archive = temporaryFolder();
    write(archive, DUMPS);
    const cache = temporaryFolder();
    const first = await run(archive, cache);
    expect([first.read, first.warnings]).toEqual([2, []]);
    expect(first.tables).toEqual(await uncached(archive));
    expect(first.tables.problems.map((problem) => [problem.file, problem.line])).toEqual([["slurm/2024-05-02T00:00:00.txt", 4]]);

    const again = await run(archive, cache);
    expect([again.read, again.warnings]).toEqual([0, []]);
    expect(again.tables).toEqual(first.tables);

    write(archive, LATER);
    const later = await run(archive, cache);
    expect([later.read, later.warnings]).toEqual([1, []]);
    const expected = await uncached(archive);
    expect(later.tables).toEqual(expected);
    // The later dump says how the job running in the earlier one ended.
    expect(later.tables.jobs.map((row) => [row.job_id, row.state])).toEqual([
      ["10", "COMPLETED"],
      ["11", "COMPLETED"],
      ["12", "FAILED"],
      ["13", "COMPLETED"],
    ]);
  });

  it("reads a dump again when it changed, and forgets one deleted", async () => {
    const { archive, cache } = await cachedArchive({ ...DUMPS, ...LATER });
    const changed = "slurm/2024-05-03T00:00:00.txt";
    write(archive, { [changed]: sacct(job(10, "acct-a", "alice", "2024-05-01T01:00:00", "2024-05-02T20:00:00", "TIMEOUT")) });
    const afterChange = await run(archive, cache);
    expect(afterChange.read).toBe(1);
    expect(afterChange.tables).toEqual(await uncached(archive));
    expect(afterChange.tables.jobs.map((row) => row.job_id)).toEqual(["10", "11", "12", "13"]);

    rmSync(join(archive, "slurm/2024-05-04T00:00:00.txt"));
    const afterDelete = await run(archive, cache);
    expect(afterDelete.read).toBe(0);
    expect(afterDelete.tables).toEqual(await uncached(archive));
    expect(afterDelete.tables.jobs.map((row) => [row.job_id, row.state])).toEqual([
      ["10", "TIMEOUT"],
      ["11", "COMPLETED"],
    ]);
  });

  it("does not read a dump rewritten with the same size and time, unless asked to verify the content", async () => {
    const archive = temporaryFolder();
    write(archive, DUMPS);
    const path = join(archive, "slurm/2024-05-02T00:00:00.txt");
    // A time a file system keeps exactly.
    const time = new Date("2024-05-02T00:05:00Z");
    utimesSync(path, time, time);
    const cache = temporaryFolder();
    const before = await run(archive, cache);
    // Another account, as many bytes, at the same time.
    write(archive, { "slurm/2024-05-02T00:00:00.txt": DUMPS["slurm/2024-05-02T00:00:00.txt"]!.replaceAll("acct-b", "acct-z") });
    utimesSync(path, time, time);
    const trusted = await run(archive, cache);
    expect([trusted.read, trusted.tables]).toEqual([0, before.tables]);

    const verified = await run(archive, cache, true);
    expect(verified.read).toBe(2);
    expect(verified.tables).toEqual(await uncached(archive));
    expect(verified.tables.accounts.map((row) => row.account)).toEqual(["acct-a", "acct-b", "acct-z"]);
    expect((await run(archive, cache, true)).read).toBe(0);
  });

  it("with a record altered inside it is caught by its checksum: a warning, a whole read, a fresh cache", async () => {
    const { archive, cache } = await cachedArchive(DUMPS);
    await alterCache(cache, "UPDATE batch_records SET interval_cpu_num = interval_cpu_num * 2");
    const altered = await run(archive, cache);
    expect(altered.warnings).toEqual([
      expect.stringMatching(/^ingest cache .+ is damaged \(its tables do not match their checksum\): reading the whole archive/),
    ]);
    expect([altered.read, altered.tables]).toEqual([2, await uncached(archive)]);
    expect(await run(archive, cache)).toMatchObject({ warnings: [], read: 0, tables: altered.tables });
  });

  it("as the last run left it is trusted: its stored sums are not computed again", async () => {
    const { archive, cache } = await cachedArchive(DUMPS);
    await alterCache(cache, "UPDATE batch_runs SET interval_cpu_num = interval_cpu_num * 2");
    stampAnew(cache);
    const trusted = await run(archive, cache);
    expect([trusted.warnings, trusted.read]).toEqual([[], 0]);
    expect(trusted.tables).not.toEqual(await uncached(archive));
    rmSync(join(cache, STAMP_FILE));
    expect((await run(archive, cache)).warnings).toEqual([expect.stringMatching(/is damaged \(its tables do not match their checksum\)/)]);
  });

  it("failing while it is written (a constraint added behind its back): a warning, the tables of a run without it, a fresh cache", async () => {
    const { archive, cache } = await cachedArchive({
      "slurm/2024-05-02T00:00:00.txt": sacct(job(11, "acct-b", "bob", "2024-05-01T02:00:00", "2024-05-01T05:00:00", "COMPLETED")),
    });
    // No row's hash changes, the checksum holds: the cache refuses the new dump's running job as it comes in.
    await alterCache(cache, "ALTER TABLE batch_records ALTER COLUMN end_time SET NOT NULL");
    write(archive, { "slurm/2024-05-03T00:00:00.txt": sacct(job(12, "acct-b", "carol", "2024-05-02T03:00:00", "Unknown", "RUNNING")) });
    const failed = await run(archive, cache);
    expect(failed.warnings).toEqual([expect.stringMatching(/^ingest cache .+ is damaged \(.*NOT NULL constraint.*\): reading the whole archive/)]);
    expect(failed.tables).toEqual(await uncached(archive));
    expect(await run(archive, cache)).toMatchObject({ warnings: [], read: 0, tables: failed.tables });
  });

  it("makes the runs one on every core, with the tables of one thread, and leaves the database on one thread", async () => {
    const archive = temporaryFolder();
    const many = Array.from({ length: 3000 }, (_, index) =>
      job(100 + index, `acct-${index % 7}`, `user-${index % 13}`, "2024-05-01T01:00:00", index % 5 ? "2024-05-01T02:00:00" : "Unknown", "COMPLETED"),
    );
    write(archive, { ...DUMPS, ...LATER, "slurm/2024-05-05T00:00:00.txt": sacct(...many) });
    const tablesOn = async (threads: number) => {
      const database = await loadArchive(archive, { threads, users: { pseudonymKey: "k", private: true } });
      try {
        const [setting] = await database.query<{ threads: number }>("SELECT current_setting('threads') AS threads");
        return { threads: Number(setting?.threads), tables: await tablesOf(database) };
      } finally {
        database.close();
      }
    };
    const [one, four] = [await tablesOn(1), await tablesOn(4)];
    expect([one.threads, four.threads]).toEqual([1, 1]);
    expect(four.tables).toEqual(one.tables);
    expect(four.tables.jobs).toHaveLength(3004);
  });

  it("makes again only the runs whose records changed, and their jobs: a cached run no dump touches stays as cached", async () => {
    const { archive, cache } = await cachedArchive(DUMPS);
    // Job 11 doubled in the cache behind its back, the file trusted: no later dump names it, so it is not made again.
    await alterCache(cache, "UPDATE batch_runs SET interval_cpu_num = interval_cpu_num * 2 WHERE job_id = '11'");
    await alterCache(cache, "UPDATE batch_jobs SET state = 'ALTERED' WHERE job_id = '11'");
    stampAnew(cache);
    write(archive, LATER);
    const later = await run(archive, cache);
    const expected = await uncached(archive);
    const cores = (tables: Tables, id: string) => tables.intervals.filter((row) => row.job_id === id).map((row) => row.cpu_num);
    expect([cores(later.tables, "11"), cores(expected, "11")]).toEqual([[8], [4]]);
    expect(later.tables.jobs.find((row) => row.job_id === "11")?.state).toBe("ALTERED");
    // Job 12, which the new dump names, is made again from its records: its latest state, its cores.
    for (const id of ["10", "12", "13"]) {
      expect(later.tables.jobs.find((row) => row.job_id === id)).toEqual(expected.jobs.find((row) => row.job_id === id));
      expect(later.tables.intervals.filter((row) => row.job_id === id)).toEqual(expected.intervals.filter((row) => row.job_id === id));
    }
  });

  it("gives the tables of a run without it through dumps added, inserted between others, changed and removed, with requeued jobs", async () => {
    // Jobs that run across several days' dumps, some requeued (the same id, another submission: two runs of one job),
    // some seen with other cores in a later dump (the latest file's record describes the run).
    let seed = 17;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const day = (d: number, hour: number) => `2024-05-${String(d).padStart(2, "0")}T${String(hour).padStart(2, "0")}:00:00`;
    const runs = Array.from({ length: 40 }, (_, index) => {
      const id = 200 + (index % 30);
      const startDay = 1 + Math.floor(random() * 6);
      return { id, submit: day(startDay, index % 24), endDay: startDay + Math.floor(random() * 3), account: `acct-${id % 4}`, user: `user-${id % 7}` };
    });
    const line = (r: (typeof runs)[number], dumpDay: number) => {
      const ended = dumpDay > r.endDay;
      const cores = 1 + Math.floor(random() * 4);
      const end = ended ? day(r.endDay, 23) : "Unknown";
      return `${r.id}|${r.id}|c1|p|${r.account}|${r.user}|${r.submit}|${r.submit}|${end}|${ended ? "COMPLETED" : "RUNNING"}|1|${cores}|cpu=${cores},mem=8G,node=1|0:0|j${r.id}`;
    };
    const dump = (dumpDay: number) => sacct(...runs.filter((r) => r.submit < day(dumpDay, 0) && random() < 0.8).map((r) => line(r, dumpDay)));
    const name = (dumpDay: number) => `slurm/${day(dumpDay, 0)}.txt`;
    const archive = temporaryFolder();
    const cache = temporaryFolder();
    const steps: [string, () => void, number][] = [
      ["four dumps", () => write(archive, Object.fromEntries([2, 3, 4, 6].map((d) => [name(d), dump(d)]))), 4],
      ["one added after them", () => write(archive, { [name(8)]: dump(8) }), 1],
      ["one inserted between two", () => write(archive, { [name(5)]: dump(5) }), 1],
      ["one whose name has no time, first in order", () => write(archive, { "slurm/manual.txt": dump(9) }), 1],
      ["one changed", () => write(archive, { [name(4)]: dump(4) }), 1],
      ["one removed", () => rmSync(join(archive, name(6))), 0],
      ["the last removed, then nothing", () => rmSync(join(archive, name(8))), 0],
      ["nothing changed", () => undefined, 0],
    ];
    for (const [step, change, read] of steps) {
      change();
      const cached = await run(archive, cache);
      expect([step, cached.read, cached.warnings]).toEqual([step, read, []]);
      expect(cached.tables, step).toEqual(await uncached(archive));
    }
    // The cache's own sums still hold: hashed whole, it is not found damaged.
    rmSync(join(cache, STAMP_FILE));
    expect((await run(archive, cache)).warnings).toEqual([]);
  });

  it("read in place, as ingest --out reads it: the same files as copied and as without it, public or private, stamped at close", async () => {
    const archive = temporaryFolder();
    write(archive, DUMPS);
    const cache = temporaryFolder();
    expect((await ingestOut(archive, { cache, privateBuild: false, inPlace: true })).read).toBe(2);
    expect(isStamped(cache)).toBe(true);
    write(archive, LATER);
    for (const privateBuild of [false, true]) {
      const inPlace = await ingestOut(archive, { cache, privateBuild, inPlace: true });
      expect([privateBuild, inPlace.read, isStamped(cache)]).toEqual([privateBuild, privateBuild ? 0 : 1, true]);
      expectSameFiles(inPlace.files, (await ingestOut(archive, { privateBuild, inPlace: false })).files);
    }
    // The intervals and jobs are views of the cache's tables, held until the database closes; a job's title (no batch
    // source gives one: written here behind the cache's back) only in a private build, as a copy would have it.
    await alterCache(cache, "UPDATE batch_jobs SET title = 'a title' WHERE job_id = '12'");
    stampAnew(cache);
    for (const privateBuild of [false, true]) {
      const database = await loadArchive(archive, { cache, inPlace: true, users: { pseudonymKey: "k", private: privateBuild } });
      try {
        const views = await database.query<{ name: string }>("SELECT view_name AS name FROM duckdb_views() WHERE database_name = 'memory' ORDER BY 1");
        expect(views.map((view) => view.name)).toEqual(["intervals", "jobs"]);
        const titles = await database.query<{ title: string | null }>("SELECT title FROM jobs WHERE title IS NOT NULL");
        expect(titles).toEqual(privateBuild ? [{ title: "a title" }] : []);
      } finally {
        database.close();
      }
      expect(isStamped(cache)).toBe(true);
    }
  });

  it("beside Nomad snapshots: each source's files read once, the tables of a run without the cache", async () => {
    const archive = temporaryFolder();
    cpSync(REFERENCE_ARCHIVE, archive, { recursive: true, preserveTimestamps: true });
    write(archive, DUMPS);
    const cache = temporaryFolder();
    const first = await run(archive, cache);
    expect(first.warnings).toEqual([]);
    write(archive, LATER);
    const later = await run(archive, cache);
    expect([later.read, later.warnings]).toEqual([1, []]);
    expect(later.tables).toEqual(await uncached(archive));
    expect(later.tables.accounts.map((row) => row.source)).toContain("nomad");
  });
});

const noSmallDisk = smallDiskMissing();
if (noSmallDisk) console.warn(noSmallDisk);

describe.skipIf(noSmallDisk !== undefined)("batch records and a cache on a disk that refuses writes", () => {
  const disks: { remove(): void }[] = [];
  afterAll(() => disks.forEach((disk) => disk.remove()));

  it("full: a warning, the tables of a run without it, and the next run's the same", async () => {
    const disk = mountSmallDisk(256 * 1024);
    disks.push(disk);
    const archive = temporaryFolder();
    // More records than the disk holds once compressed: the cache fails while it is written.
    const many = Array.from({ length: 4000 }, (_, index) =>
      job(100 + index, `acct-${index % 97}`, `user-${index}`, "2024-05-01T01:00:00", "2024-05-01T02:00:00", "COMPLETED"),
    );
    write(archive, { ...DUMPS, "slurm/2024-05-05T00:00:00.txt": sacct(...many) });
    const expected = await uncached(archive);
    for (let attempt = 0; attempt < 2; attempt++) {
      const full = await run(archive, disk.folder);
      expect(full.tables).toEqual(expected);
      expect(full.warnings.length).toBeGreaterThanOrEqual(1);
      expect(
        full.warnings.every((warning) => /^ingest cache .+ (cannot be written|is damaged) \(.+\): reading the whole archive/.test(warning)),
        full.warnings.join("\n"),
      ).toBe(true);
    }
  });

  it("read-only, beside Nomad snapshots: one warning, the tables of a run without it", async () => {
    const disk = mountSmallDisk(32 * 1024 * 1024);
    disks.push(disk);
    const archive = temporaryFolder();
    cpSync(REFERENCE_ARCHIVE, archive, { recursive: true, preserveTimestamps: true });
    write(archive, DUMPS);
    await run(archive, disk.folder);
    disk.readOnly();
    write(archive, LATER);
    const readOnly = await run(archive, disk.folder);
    expect(readOnly.tables).toEqual(await uncached(archive));
    expect(readOnly.warnings).toEqual([
      expect.stringMatching(/^ingest cache .+ cannot be written \(.*(Read-only file system|EROFS).*\): reading the whole archive$/),
    ]);
  });
});
