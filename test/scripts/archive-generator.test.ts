import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, relative, sep } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateArchive, type ArchiveOptions, type ArchiveSummary } from "../../scripts/archive-generator.js";

type Resources = Record<"cpu_num" | "cpu_MHz" | "gpu_num" | "memory_MB" | "disk_MB", number>;
type JobJson = Record<string, unknown> & { job_ID: string; status: string; resources: Resources };

interface SnapshotFile {
  path: string;
  name: string;
  time: number;
  text: string;
  namespaces: Record<string, JobJson[]>;
}

interface Archive {
  summary: ArchiveSummary;
  snapshots: SnapshotFile[];
  users: Record<string, { name: string; email: string }>;
}

const HOUR = 3_600_000;
const FIELDS = [
  "job_ID",
  "name",
  "status",
  "owner",
  "title",
  "description",
  "docker_image",
  "docker_command",
  "submit_time",
  "resources",
  "endpoints",
  "active_endpoints",
  "main_endpoint",
  "alloc_ID",
  "datacenter",
  "alloc_start",
  "alloc_end",
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const GO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,8}[1-9])?Z$/;
const GO_ZERO_TIME = "0001-01-01T00:00:00Z";

const temporaryDirs: string[] = [];
afterAll(async () => {
  await Promise.all(temporaryDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function generate(options: Partial<ArchiveOptions>): Promise<{ dir: string; summary: ArchiveSummary }> {
  const dir = await mkdtemp(join(tmpdir(), "archive-generator-"));
  temporaryDirs.push(dir);
  return { dir, summary: await generateArchive(dir, options) };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : Promise.resolve([join(dir, entry.name)]))),
  );
  return nested.flat().sort();
}

async function readArchive(dir: string, summary: ArchiveSummary): Promise<Archive> {
  const paths = await filesUnder(join(dir, "snapshots"));
  const snapshots = await Promise.all(
    paths.map(async (path) => {
      const text = await readFile(path, "utf8");
      const name = basename(path, ".json");
      return { path: relative(dir, path).split(sep).join("/"), name, time: Date.parse(`${name}Z`), text, namespaces: JSON.parse(text) };
    }),
  );
  snapshots.sort((a, b) => a.time - b.time);
  const users = JSON.parse(await readFile(join(dir, "users", "user-db.json"), "utf8"));
  return { summary, snapshots, users };
}

async function generateAndRead(options: Partial<ArchiveOptions>): Promise<Archive> {
  const { dir, summary } = await generate(options);
  return readArchive(dir, summary);
}

function allJobs(archive: Archive): JobJson[] {
  return archive.snapshots.flatMap((snapshot) => Object.values(snapshot.namespaces).flat());
}

function spacingsInHours(archive: Archive): number[] {
  return archive.snapshots.slice(1).map((snapshot, index) => (snapshot.time - archive.snapshots[index]!.time) / HOUR);
}

describe("generateArchive determinism", () => {
  it("writes byte-identical archives for the same options", async () => {
    const a = await generate({ days: 12, seed: 7 });
    const b = await generate({ days: 12, seed: 7 });
    expect(b.summary).toEqual(a.summary);
    const filesA = await filesUnder(a.dir);
    const filesB = await filesUnder(b.dir);
    expect(filesB.map((file) => relative(b.dir, file))).toEqual(filesA.map((file) => relative(a.dir, file)));
    for (const [index, file] of filesA.entries()) {
      expect((await readFile(filesB[index]!)).equals(await readFile(file))).toBe(true);
    }
  });

  it("writes different archives for different seeds", async () => {
    const a = await generateAndRead({ days: 12, seed: 7 });
    const b = await generateAndRead({ days: 12, seed: 8 });
    expect(b.snapshots.map((s) => s.text)).not.toEqual(a.snapshots.map((s) => s.text));
    expect(Object.keys(b.users)).not.toEqual(Object.keys(a.users));
  });
});

describe("a default archive", () => {
  let archive: Archive;
  let jobs: JobJson[];
  beforeAll(async () => {
    archive = await generateAndRead({});
    jobs = allJobs(archive);
  });

  it("names every file after a snapshot time and sums it up in the summary", () => {
    for (const { path, name, time } of archive.snapshots) {
      expect(path).toBe(`snapshots/${name}.json`);
      expect(name).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      expect(new Date(time).toISOString().slice(0, 19)).toBe(name);
    }
    const { summary, snapshots } = archive;
    expect(summary.snapshots).toBe(snapshots.length);
    expect(summary.first).toBe(snapshots[0]!.name);
    expect(summary.last).toBe(snapshots.at(-1)!.name);
    expect(summary.first.startsWith("2024-01-01T00:00:")).toBe(true);
    expect(summary.last.startsWith("2024-03-15T18:0")).toBe(true);
    expect(summary.jobs).toBe(new Set(jobs.map((job) => job.job_ID)).size);
    const userBytes = Buffer.byteLength(JSON.stringify(archive.users, null, 2));
    expect(summary.bytes).toBe(userBytes + snapshots.reduce((sum, snapshot) => sum + snapshot.text.length, 0));
  });

  it("writes snapshots as Python's json.dump does: ASCII, spaced separators", () => {
    for (const { text } of archive.snapshots) expect(text).toMatch(/^[\x20-\x7e]*$/);
    expect(archive.snapshots[0]!.text.startsWith('{"ai4eosc": [{"job_ID": "')).toBe(true);
  });

  it("gives every job the fields of the format, in order, with the right types", () => {
    for (const job of jobs) {
      expect(Object.keys(job)).toEqual("error_msg" in job ? [...FIELDS, "error_msg"] : FIELDS);
      expect(job.job_ID).toMatch(UUID);
      expect(job.name).toMatch(new RegExp(`^(module|tool|batch)-${job.job_ID}$`));
      expect(job.owner).toMatch(/^[0-9a-f]{32}@egi\.eu$/);
      for (const field of ["status", "title", "description", "docker_image", "docker_command"]) expect(typeof job[field]).toBe("string");
      expect(job.submit_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(Object.keys(job.resources)).toEqual(["cpu_num", "cpu_MHz", "gpu_num", "memory_MB", "disk_MB"]);
      for (const amount of Object.values(job.resources)) expect(Number.isInteger(amount) && amount >= 0).toBe(true);
      expect(job.endpoints).toBeTypeOf("object");
      expect(job.endpoints).not.toBeNull();
      expect(job.active_endpoints).toBeNull();
      expect([null, "api", "ide"]).toContain(job.main_endpoint);
      if (job.alloc_ID !== null) expect(job.alloc_ID).toMatch(UUID);
      if (job.datacenter !== null) expect(job.datacenter).toBeTypeOf("string");
      for (const field of ["alloc_start", "alloc_end"]) if (job[field] !== null) expect(job[field]).toMatch(GO_TIME);
      if ("error_msg" in job) expect(job.error_msg).toBeTypeOf("string");
    }
  });

  it("lists jobs in every status, with an error message where upstream gives one", () => {
    const statuses = new Set(jobs.map((job) => job.status));
    for (const status of ["queued", "starting", "pending", "running", "dead", "down", "failed", "complete", "error"]) {
      expect(statuses, status).toContain(status);
    }
    for (const job of jobs.filter((job) => ["down", "failed", "error"].includes(job.status))) expect(job.error_msg).toBeTypeOf("string");
    const ended = jobs.filter((job) => !["running", "down", "starting"].includes(job.status));
    expect(ended.every((job) => job.alloc_end !== GO_ZERO_TIME)).toBe(true);
  });

  it("has legacy jobs with cpu_num 0 and the core count in cpu_MHz", () => {
    expect(jobs.some((job) => job.status === "running" && job.resources.cpu_num === 0 && job.resources.cpu_MHz >= 1 && job.resources.cpu_MHz <= 16)).toBe(true);
  });

  it("has dead jobs that never started and malformed dead and running jobs", () => {
    expect(jobs.some((job) => job.status === "dead" && job.alloc_start === null && job.alloc_end === null)).toBe(true);
    expect(jobs.some((job) => job.status === "dead" && job.alloc_start !== null && job.alloc_end === null)).toBe(true);
    expect(jobs.some((job) => job.status === "running" && job.alloc_start === null)).toBe(true);
  });

  it("has jobs restarting with a later alloc_start and a new allocation", () => {
    const firstRun = new Map<string, JobJson>();
    const restarted = jobs.filter((job) => {
      if (job.status !== "running" || job.alloc_start === null) return false;
      const first = firstRun.get(job.job_ID);
      if (first === undefined) firstRun.set(job.job_ID, job);
      return first !== undefined && first.alloc_ID !== job.alloc_ID && String(job.alloc_start) > String(first.alloc_start);
    });
    expect(restarted.length).toBeGreaterThan(0);
  });

  it("has titles and descriptions with HTML, quotes, emoji and very long text", () => {
    const texts = new Set(jobs.flatMap((job) => [String(job.title), String(job.description)]));
    expect(texts).toContain("<script>alert(1)</script>");
    expect(texts).toContain("<img src=x onerror=alert(1)>");
    expect([...texts].some((text) => text.includes('"'))).toBe(true);
    expect([...texts].some((text) => /\p{Extended_Pictographic}/u.test(text))).toBe(true);
    expect([...texts].some((text) => text.length > 1000)).toBe(true);
  });

  it("formats alloc times like Go, with 0 to 9 fraction digits, and Go's zero time while running", () => {
    const digits = new Set(
      jobs
        .flatMap((job) => [job.alloc_start, job.alloc_end])
        .filter((time) => typeof time === "string" && time !== GO_ZERO_TIME)
        .map((time) => /\.(\d+)Z$/.exec(String(time))?.[1]?.length ?? 0),
    );
    expect([...digits].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(jobs.filter((job) => job.status === "running").every((job) => job.alloc_end === GO_ZERO_TIME)).toBe(true);
  });

  it("has a takedown gap, missed crons and snapshots 4 hours apart", () => {
    const spacings = spacingsInHours(archive);
    expect(spacings.some((hours) => hours >= 3 * 24)).toBe(true);
    expect(spacings.some((hours) => Math.abs(hours - 12) < 0.1)).toBe(true);
    expect(spacings.some((hours) => Math.abs(hours - 4) < 0.1)).toBe(true);
    expect(spacings.filter((hours) => Math.abs(hours - 6) < 0.1).length).toBeGreaterThan(spacings.length / 2);
  });

  it("shows some dead jobs in two consecutive snapshots, when those are closer than the GC delay", () => {
    const deadIn = archive.snapshots.map(
      (snapshot) =>
        new Set(
          Object.values(snapshot.namespaces)
            .flat()
            .filter((job) => job.status === "dead")
            .map((job) => job.job_ID),
        ),
    );
    const twice = deadIn.slice(1).some((ids, index) => [...ids].some((id) => deadIn[index]!.has(id)));
    expect(twice).toBe(true);
  });

  it("has a namespace that appears later and namespaces that are empty", () => {
    const keys = archive.snapshots.map((snapshot) => Object.keys(snapshot.namespaces).join(","));
    expect(keys[0]).toBe("ai4eosc,imagine");
    expect(keys.at(-1)).toBe("ai4eosc,imagine,ai4life");
    expect(archive.snapshots.some((snapshot) => Object.values(snapshot.namespaces).some((list) => list.length === 0))).toBe(true);
  });

  it("has a user database with non-ASCII names, missing some owners and holding people who never ran a job", () => {
    const owners = new Set(jobs.map((job) => String(job.owner)));
    const known = Object.keys(archive.users);
    expect([...owners].some((owner) => !known.includes(owner))).toBe(true);
    expect(known.some((id) => !owners.has(id))).toBe(true);
    expect(Object.values(archive.users).some((user) => /[^\x00-\x7f]/.test(user.name))).toBe(true);
  });
});

describe("archive options", () => {
  it("takes snapshots every 4 hours on a 4-hour cron", async () => {
    const archive = await generateAndRead({ days: 5, snapshotHours: 4, gaps: [], missingSnapshotRate: 0, quirks: false });
    expect(archive.snapshots).toHaveLength(30);
    for (const hours of spacingsInHours(archive)) expect(Math.abs(hours - 4)).toBeLessThanOrEqual(40 / 3600);
    for (const { time } of archive.snapshots) expect(new Date(time).getUTCHours() % 4).toBe(0);
  });

  it("puts snapshots in YYYY/MM folders in the nested layout, half of them in the mixed one", async () => {
    const nestedFiles = (await generateAndRead({ start: "2024-01-20", days: 20, layout: "nested" })).snapshots;
    for (const { path, name } of nestedFiles) expect(path).toBe(`snapshots/${name.slice(0, 4)}/${name.slice(5, 7)}/${name}.json`);
    expect(new Set(nestedFiles.map(({ path }) => path.slice(0, 18)))).toEqual(new Set(["snapshots/2024/01/", "snapshots/2024/02/"]));
    const mixedPaths = (await generateAndRead({ start: "2024-01-20", days: 20, layout: "mixed" })).snapshots.map(({ path }) => path);
    expect(mixedPaths.filter((path) => path.split("/").length === 4).length).toBeGreaterThan(0);
    expect(mixedPaths.filter((path) => path.split("/").length === 2).length).toBeGreaterThan(0);
    expect(mixedPaths.map((path) => basename(path))).toEqual(nestedFiles.map(({ name }) => `${name}.json`));
  });
});
