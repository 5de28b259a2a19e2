import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { listSnapshotFiles, type SnapshotFile, type SnapshotListing } from "../../../loaders/sources/nomad/archive.js";
import { loadArchive } from "../../../loaders/ingest/load.js";
import { runReport } from "../../../loaders/queries/report.js";
import { onEveryCore, writeParquet } from "../../../loaders/ingest/database.js";
import { writeSiteTables } from "../../../loaders/site/site-data.js";
import type { FoldState } from "../../../loaders/sources/nomad/fold.js";
import { environmentFrom } from "../../../loaders/ingest/environment.js";
import { CACHE_FILE, cacheFolderFor, planIngest, type StoredIngest } from "../../../loaders/ingest/ingest-cache.js";
import { fileProblem } from "../../../loaders/model/records.js";
import { generateArchive } from "../../../scripts/archive-generator.js";
import { jobJson, temporaryFolder, writeArchive } from "../../helpers/archive.js";
import { alterCache, expectSameFiles, ingestOut, isStamped } from "../../helpers/cache.js";

interface Ingest {
  /** Every file written, documented tables (their months' files too) and the site's copy, by path. */
  parquet: Map<string, Buffer>;
  report: string;
  /** How many snapshot files were read. */
  read: number;
  warnings: string[];
  /** The threads the database's queries run on. */
  threads: number;
}

async function ingest(archive: string, cache?: string, verifyContent = false, threads?: number): Promise<Ingest> {
  let read = 0;
  const warnings: string[] = [];
  const database = await loadArchive(archive, {
    cache,
    verifyContent,
    threads,
    users: { pseudonymKey: "k", private: true },
    onProgress: (_, total) => (read = total),
    onWarning: (message) => warnings.push(message),
  });
  try {
    const folder = temporaryFolder();
    await writeParquet(database, join(folder, "documented"));
    mkdirSync(join(folder, "site"));
    // On the threads it loaded on, as a build writes them (on every core), where a full ingest's are on one.
    await onEveryCore(database, () => writeSiteTables(database, join(folder, "site")), threads ?? 1);
    // Every file under both folders, the months of partitioned tables too, in the order of their paths.
    const paths = readdirSync(folder, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name))
      .sort();
    const parquet = new Map(paths.map((path) => [path.slice(folder.length), readFileSync(path)]));
    const report = JSON.stringify(await runReport(database, { mode: "exact" }));
    const [setting] = await database.query<{ threads: number }>("SELECT current_setting('threads')::INTEGER AS threads");
    return { parquet, report, read, warnings, threads: Number(setting?.threads) };
  } finally {
    database.close();
  }
}

/** A full ingest of the archive, with no cache: what every cached ingest must equal, byte for byte. */
async function expectSameAsFullIngest(archive: string, cached: Ingest): Promise<void> {
  const full = await ingest(archive);
  expect([...full.parquet.keys()]).toContain("/documented/intervals/year=2024/month=5/data_0.parquet");
  expectSameFiles(cached.parquet, full.parquet);
  expect(cached.report).toBe(full.report);
  expect(cached.warnings).toEqual([]);
  expect([full.threads, cached.threads]).toEqual([1, 1]);
}

describe("the ingest cache", () => {
  let generated: string;
  let files: SnapshotFile[];
  beforeAll(async () => {
    generated = temporaryFolder();
    await generateArchive(generated, { seed: 5, start: "2024-05-01", days: 10, snapshotHours: 4, layout: "nested", namespaces: ["vo.alpha", "beta"] });
    ({ files } = await listSnapshotFiles(generated));
  });

  /** A copy of the generated archive, without its last `held` files; `restore` puts them back untouched. */
  function archiveWithout(held: number): { archive: string; restore: () => void } {
    const archive = temporaryFolder();
    cpSync(generated, archive, { recursive: true, preserveTimestamps: true });
    const aside = temporaryFolder();
    const moved = files.slice(files.length - held).map(({ file }) => file);
    for (const file of moved) renameSync(join(archive, file), join(aside, file.replaceAll("/", "_")));
    return {
      archive,
      restore: () => {
        for (const file of moved) renameSync(join(aside, file.replaceAll("/", "_")), join(archive, file));
      },
    };
  }

  it("reads only the snapshots added since, and writes the same bytes as a full ingest", async () => {
    const { archive, restore } = archiveWithout(3);
    const cache = temporaryFolder();
    expect((await ingest(archive, cache)).read).toBe(files.length - 3);
    restore();
    const resumed = await ingest(archive, cache);
    expect(resumed.read).toBe(3);
    await expectSameAsFullIngest(archive, resumed);
    const again = await ingest(archive, cache);
    expect(again.read).toBe(0);
    await expectSameAsFullIngest(archive, again);
  });

  it("reads one snapshot at a time as they come, and still writes the same bytes", async () => {
    const { archive, restore } = archiveWithout(1);
    const cache = temporaryFolder();
    await ingest(archive, cache);
    const broken = join(archive, "snapshots", "2024-05-10T23:59:00.json");
    writeFileSync(broken, "{ not json");
    expect((await ingest(archive, cache)).read).toBe(1);
    restore();
    const withNewNamespace = join(archive, "snapshots", "2031-01-01T00:00:00.json");
    writeFileSync(withNewNamespace, JSON.stringify({ "vo.alpha": [jobJson()], gamma: [jobJson({ job_ID: "g-1" })] }));
    const last = await ingest(archive, cache);
    expect(last.read).toBeGreaterThan(2);
    await expectSameAsFullIngest(archive, last);
  });

  it.each([
    [
      "a changed snapshot",
      (archive: string) => {
        const path = join(archive, files[10]!.file);
        const snapshot = JSON.parse(readFileSync(path, "utf8"));
        for (const jobs of Object.values(snapshot) as unknown[][]) jobs.shift();
        writeFileSync(path, JSON.stringify(snapshot));
      },
    ],
    ["a deleted snapshot", (archive: string) => rmSync(join(archive, files[20]!.file))],
    [
      "a snapshot moved to another folder",
      (archive: string) => {
        const file = files[5]!.file;
        mkdirSync(join(archive, "snapshots", "moved"));
        renameSync(join(archive, file), join(archive, "snapshots", "moved", file.split("/").at(-1)!));
      },
    ],
    [
      "an added snapshot older than the last one read",
      (archive: string) => {
        const file = files[12]!.file;
        const path = join(
          archive,
          dirname(file),
          file
            .split("/")
            .at(-1)!
            .replace(/:00\.json$/, ":30.json"),
        );
        writeFileSync(path, readFileSync(join(archive, file)));
      },
    ],
    ["a file whose name is not a time", (archive: string) => writeFileSync(join(archive, "snapshots", "notes.json"), "{}")],
  ])("reads everything again after %s, and writes the same bytes as a full ingest", async (_, change) => {
    const { archive } = archiveWithout(0);
    const cache = temporaryFolder();
    await ingest(archive, cache);
    change(archive);
    const after = await ingest(archive, cache);
    expect(after.read).toBe((await listSnapshotFiles(archive)).files.length);
    await expectSameAsFullIngest(archive, after);
  });

  it("loads and writes the site's tables on every thread it is given, and queries on one: the same bytes on one thread or four, with the cache and without", async () => {
    const { archive, restore } = archiveWithout(3);
    const caches = [temporaryFolder(), temporaryFolder()];
    await ingest(archive, caches[0], false, 1);
    await ingest(archive, caches[1], false, 4);
    restore();
    const resumed = [await ingest(archive, caches[0], false, 1), await ingest(archive, caches[1], false, 4)];
    expect(resumed.map((run) => run.read)).toEqual([3, 3]);
    await expectSameAsFullIngest(archive, resumed[0]!);
    await expectSameAsFullIngest(archive, resumed[1]!);
    const whole = await ingest(archive, undefined, false, 4);
    await expectSameAsFullIngest(archive, whole);
  });

  it("trusts a file with the same name, size and modification time", async () => {
    const { archive } = archiveWithout(0);
    const path = join(archive, files[7]!.file);
    const modified = new Date("2024-05-03T00:00:00Z");
    utimesSync(path, modified, modified);
    const cache = temporaryFolder();
    const before = await ingest(archive, cache);
    writeFileSync(path, readFileSync(path, "utf8").replaceAll('"running"', '"dead!!!"'));
    utimesSync(path, modified, modified);
    const after = await ingest(archive, cache);
    expect([after.read, after.report]).toEqual([0, before.report]);
  });

  it("with verifyContent, reads again a file rewritten with the same name, size and modification time", async () => {
    const { archive } = archiveWithout(0);
    const path = join(archive, files[7]!.file);
    const modified = new Date("2024-05-03T00:00:00Z");
    const rewrite = (from: string, to: string) => {
      writeFileSync(path, readFileSync(path, "utf8").replaceAll(from, to));
      utimesSync(path, modified, modified);
    };
    utimesSync(path, modified, modified);
    const cache = temporaryFolder();
    const before = await ingest(archive, cache);
    rewrite('"running"', '"dead!!!"');
    // The cache was written without hashes: it cannot vouch for any file.
    const unhashed = await ingest(archive, cache, true);
    expect(unhashed.read).toBe(files.length);
    expect(unhashed.report).not.toBe(before.report);
    await expectSameAsFullIngest(archive, unhashed);
    expect((await ingest(archive, cache, true)).read).toBe(0);
    rewrite('"dead!!!"', '"running"');
    const hashed = await ingest(archive, cache, true);
    expect([hashed.read, hashed.report]).toEqual([files.length, before.report]);
    await expectSameAsFullIngest(archive, hashed);
  });

  it("replaces a cache file it cannot read, and goes on without a cache it cannot write", async () => {
    const { archive } = archiveWithout(0);
    const cache = temporaryFolder();
    writeFileSync(join(cache, CACHE_FILE), "not a database");
    const replaced = await ingest(archive, cache);
    expect(replaced.warnings).toEqual([expect.stringMatching(/^ingest cache .* is damaged \(.+\): reading the whole archive, and writing a fresh cache$/)]);
    await expectSameAsFullIngest(archive, { ...replaced, warnings: [] });
    expect(await ingest(archive, cache)).toMatchObject({ read: 0, warnings: [] });

    const notAFolder = join(temporaryFolder(), "file");
    writeFileSync(notAFolder, "");
    const without = await ingest(archive, join(notAFolder, "cache"));
    expect(without.warnings).toEqual([expect.stringMatching(/^ingest cache .*file\/cache cannot be written \(.*\): reading the whole archive$/)]);
    expect(without.read).toBe(files.length);
  });

  it("reads the whole archive again over a cache another version of the code wrote, whatever the columns of its tables", async () => {
    const { archive } = archiveWithout(0);
    writeFileSync(join(archive, "snapshots", "2024-05-01T01:00:00.json"), "{ not json");
    const cache = temporaryFolder();
    await ingest(archive, cache);
    // The cache as the code before problems' details left it: a problems table without `detail`, another version.
    await alterCache(cache, "ALTER TABLE problems DROP COLUMN detail", "UPDATE ingest_state SET version = 'before problems had a detail'");
    const again = await ingest(archive, cache);
    expect(again.read).toBe(files.length + 1);
    await expectSameAsFullIngest(archive, again);
  });

  it("read in place, as ingest --out reads it: the same files as copied, the cache unchanged by what a public run blanks, and stamped when the database closes", async () => {
    const { archive } = archiveWithout(1);
    const cache = temporaryFolder();
    expect((await ingestOut(archive, { cache, privateBuild: false, inPlace: true })).read).toBe(files.length - 1);
    expect(isStamped(cache)).toBe(true);
    writeFileSync(join(archive, "snapshots", "2024-05-10T23:59:00.json"), "{ not json");
    // Public: no title nor problem detail, as a public ingest that copies the tables writes them.
    const publicRun = await ingestOut(archive, { cache, privateBuild: false, inPlace: true });
    expect(publicRun.read).toBe(1);
    expect(isStamped(cache)).toBe(true);
    expectSameFiles(publicRun.files, (await ingestOut(archive, { privateBuild: false, inPlace: false })).files);
    // Private, through the same cache: the titles and details the public runs left out are still there.
    const privateRun = await ingestOut(archive, { cache, privateBuild: true, inPlace: true });
    expect(privateRun.read).toBe(0);
    const full = await ingestOut(archive, { privateBuild: true, inPlace: false });
    expectSameFiles(privateRun.files, full.files);
    expect(full.files.get("/documented/problems.parquet")?.equals(publicRun.files.get("/documented/problems.parquet")!)).toBe(false);
    // And the copies every other command reads are still those of a full ingest.
    await expectSameAsFullIngest(archive, await ingest(archive, cache));
  });

  it("holds the jobs' titles for a private build, and gives none to a public one reading it", async () => {
    const archive = writeArchive({
      "2024-03-01T12:00:00.json": { vo: [jobJson({ title: "Alice's thesis" })] },
      "2024-03-01T18:00:00.json": { vo: [jobJson({ title: "Alice's thesis" })] },
    });
    const cache = temporaryFolder();
    const titles = async (privateBuild: boolean) => {
      const database = await loadArchive(archive, { cache, users: { pseudonymKey: "k", private: privateBuild } });
      try {
        return (await database.query<{ title: string | null }>("SELECT title FROM jobs")).map((row) => row.title);
      } finally {
        database.close();
      }
    };
    expect(await titles(true)).toEqual(["Alice's thesis"]);
    expect(await titles(false)).toEqual([null]);
    expect(await titles(true)).toEqual(["Alice's thesis"]);
  });

  it("lives in ACCOUNTING_CACHE, else in the user's cache folder under a name of the archive's path", () => {
    expect(cacheFolderFor("data/sample", environmentFrom({ ACCOUNTING_CACHE: "/var/cache/acc" }))).toBe("/var/cache/acc");
    const one = cacheFolderFor("data/sample", environmentFrom({ XDG_CACHE_HOME: "/c" }));
    expect(one).toMatch(/^\/c\/cluster-accounting\/[0-9a-f]{16}$/);
    expect(cacheFolderFor("./data/../data/sample", environmentFrom({ XDG_CACHE_HOME: "/c" }))).toBe(one);
    expect(cacheFolderFor("test", environmentFrom({ XDG_CACHE_HOME: "/c" }))).not.toBe(one);
    expect(cacheFolderFor("data/sample", environmentFrom({ HOME: "/home/u" }))).toMatch(/^\/home\/u\/\.cache\/cluster-accounting\//);
  });
});

describe("planIngest", () => {
  const file = (name: string, time: number, size = 100, mtime = 1): SnapshotFile => ({ file: `snapshots/${name}`, time, size, mtime });
  const hashed = (sha256: string, listed: SnapshotFile): SnapshotFile => ({ ...listed, sha256 });
  const listing = (...files: SnapshotFile[]): SnapshotListing => ({ files, problems: [] });
  const fold: FoldState = { previous: 2, open: [], namespaces: ["vo"] };
  const stored: StoredIngest = { version: "v1", listing: listing(file("a", 1), file("b", 2)), fold };

  it.each([
    ["no cache", undefined, listing(file("a", 1)), "v1", { kind: "full", reason: "no cache" }],
    ["another version", stored, stored.listing, "v2", { kind: "full", reason: "the cache was written by another version" }],
    ["nothing new", stored, stored.listing, "v1", { kind: "current" }],
    ["a newer file", stored, listing(file("a", 1), file("b", 2), file("c", 3)), "v1", { kind: "resume", files: [file("c", 3)], from: fold }],
    ["a larger file", stored, listing(file("a", 1), file("b", 2, 101)), "v1", { kind: "full", reason: "snapshot files changed, moved or were deleted" }],
    ["a touched file", stored, listing(file("a", 1, 100, 2), file("b", 2)), "v1", { kind: "full", reason: "snapshot files changed, moved or were deleted" }],
    ["a deleted file", stored, listing(file("b", 2)), "v1", { kind: "full", reason: "snapshot files changed, moved or were deleted" }],
    [
      "a file of the same time",
      stored,
      listing(file("a", 1), file("b", 2), file("b2", 2)),
      "v1",
      { kind: "full", reason: "new snapshot files are older than the last one read" },
    ],
    [
      "a new name that is not a time",
      stored,
      { ...stored.listing, problems: [fileProblem("snapshots/x.json", "file name is not a snapshot time (YYYY-MM-DDTHH:MM:SS.json)")] },
      "v1",
      { kind: "full", reason: "files that are not snapshots changed" },
    ],
  ])("%s", (_, cache, now, version, plan) => {
    expect(planIngest(cache, now, version)).toEqual(plan);
  });

  const storedHashed: StoredIngest = { version: "v1", listing: listing(hashed("1a", file("a", 1)), hashed("2b", file("b", 2))), fold };
  it.each([
    ["the same hashes", storedHashed, storedHashed.listing, { kind: "current" }],
    [
      "another hash, same name, size and time",
      storedHashed,
      listing(hashed("1a", file("a", 1)), hashed("2c", file("b", 2))),
      { kind: "full", reason: "snapshot files changed, moved or were deleted" },
    ],
    ["hashes where the cache has none", stored, storedHashed.listing, { kind: "full", reason: "snapshot files changed, moved or were deleted" }],
    [
      "a newer file, hashed",
      storedHashed,
      listing(...storedHashed.listing.files, hashed("3c", file("c", 3))),
      { kind: "resume", files: [hashed("3c", file("c", 3))], from: fold },
    ],
    ["no hashes where the cache has some: name, size and time only", storedHashed, stored.listing, { kind: "current" }],
  ])("with content hashes: %s", (_, cache, now, plan) => {
    expect(planIngest(cache, now, "v1")).toEqual(plan);
  });
});
