import { spawn, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createFileHasher, listSnapshotFiles, MAX_SNAPSHOT_BYTES, readSnapshots } from "../../../../loaders/sources/nomad/archive.js";
import { runReport } from "../../../../loaders/queries/report.js";
import type { AccountingDatabase } from "../../../../loaders/ingest/database.js";
import type { Problem, ProblemReason } from "../../../../loaders/model/records.js";
import { copyArchive, jobJson, writeArchive } from "../../../helpers/archive.js";
import { REFERENCE_ARCHIVE } from "../../../helpers/reference.js";
import { loadedDatabase, tablesOf, type Tables } from "../../../helpers/tables.js";

/*
 * Files in the snapshots folder that are not snapshots at all: each is named in the problems with its reason,
 * and nothing else changes. None may hang the reader or take memory in proportion to its size.
 */

const EXISTING = "2024-03-05T00:00:13.json";
const TWO_DAYS_AHEAD = `${new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 19)}.json`;

function reportsOf(database: AccountingDatabase): Promise<unknown[]> {
  return Promise.all([runReport(database, { mode: "exact" }), runReport(database, { mode: "compat", from: "2024-03-04", to: "2024-03-06" })]);
}

/** An archive's tables and reports, loaded as the CLI loads them. */
async function loaded(archive: string): Promise<{ tables: Tables; reports: unknown[] }> {
  const database = await loadedDatabase(archive, { pseudonymKey: "test" });
  try {
    return { tables: await tablesOf(database), reports: await reportsOf(database) };
  } finally {
    database.close();
  }
}

const addedProblems = (tables: Tables, clean: Tables): Problem[] =>
  tables.problems.filter((p) => !clean.problems.some((q) => q.file === p.file && q.job === p.job && q.reason === p.reason));

let clean: { tables: Tables; reports: unknown[] };
beforeAll(async () => {
  clean = await loaded(REFERENCE_ARCHIVE);
});

/** Plants something in `snapshots/` of an archive, under `name` (a time of no snapshot) if it has no name of its own; returns its path there. */
type Plant = (snapshots: string, name: string) => string;

/** What is planted, the reason of the problem it makes, and its detail: what was found (null when the reason says it all). */
const planted: [kind: string, plant: Plant, reason: ProblemReason, detail: RegExp | null][] = [
  [
    "a snapshot of 200 MB",
    (snapshots, name) => {
      truncateSync(writeAndReturn(join(snapshots, name), "{"), 200 * 1024 * 1024);
      return name;
    },
    "more than the 16 MiB a snapshot can take",
    /^file of 200 MiB$/,
  ],
  ["a name before 2000", (snapshots) => write(snapshots, "1999-12-31T18:00:00.json", real()), "snapshot time before 2000", null],
  ["a name more than a day in the future", (snapshots) => write(snapshots, TWO_DAYS_AHEAD, real()), "snapshot time in the future", null],
  [
    "a named pipe",
    (snapshots, name) => {
      execFileSync("mkfifo", [join(snapshots, name)]);
      return name;
    },
    "not a regular file",
    /^a named pipe$/,
  ],
  [
    "a link to a device",
    (snapshots, name) => {
      symlinkSync("/dev/zero", join(snapshots, name));
      return name;
    },
    "not a regular file",
    /^a device$/,
  ],
  [
    "a link to itself",
    (snapshots, name) => {
      symlinkSync(name, join(snapshots, name));
      return name;
    },
    "unreadable file",
    /^ELOOP$/,
  ],
  [
    "a dangling link",
    (snapshots, name) => {
      symlinkSync(`gone/${name}`, join(snapshots, name));
      return name;
    },
    "unreadable file",
    /^ENOENT$/,
  ],
  [
    "a folder linked to its parent (a loop)",
    (snapshots) => {
      mkdirSync(join(snapshots, "2024"));
      symlinkSync("..", join(snapshots, "2024", "loop"));
      return "2024/loop";
    },
    "same folder as another, read once (a symbolic link)",
    /^same folder as snapshots$/,
  ],
  [
    "a second link to a folder already read",
    (snapshots) => {
      symlinkSync(".", join(snapshots, "zz-again"));
      return "zz-again";
    },
    "same folder as another, read once (a symbolic link)",
    /^same folder as snapshots$/,
  ],
  [
    "nested arrays, a million deep",
    (snapshots, name) => write(snapshots, name, `${"[".repeat(1e6)}${"]".repeat(1e6)}`),
    "arrays and objects nested more than 64 levels deep",
    null,
  ],
  [
    "Python's NaN where a namespace should be",
    (snapshots, name) => write(snapshots, name, '{"vo": NaN}'),
    "wrong shape: a namespace is not an array of jobs",
    /^namespace "vo"$/,
  ],
];

/** A time no snapshot of the reference archive has, one per plant. */
const plantName = (index: number) => `2024-03-05T03:${String(index).padStart(2, "0")}:00.json`;

function real(): Buffer {
  return readFileSync(join(REFERENCE_ARCHIVE, "snapshots", EXISTING));
}

function writeAndReturn(path: string, content: string | Uint8Array): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

function write(snapshots: string, name: string, content: string | Uint8Array): string {
  writeAndReturn(join(snapshots, name), content);
  return name;
}

describe("files that are not snapshots", () => {
  it.each(planted)("%s: skipped, named with its reason and what was found, every number unchanged", async (_, plant, reason, detail) => {
    const archive = copyArchive(REFERENCE_ARCHIVE);
    const path = plant(join(archive, "snapshots"), plantName(0));
    const { tables, reports } = await loaded(archive);
    const added = addedProblems(tables, clean.tables);
    expect(added.map((p) => p.file)).toEqual([`snapshots/${path}`]);
    expect([added[0]!.reason, added[0]!.detail]).toEqual([reason, detail && expect.stringMatching(detail)]);
    expect(reports).toEqual(clean.reports);
    expect(tables.intervals).toEqual(clean.tables.intervals);
  });

  it("all at once, beside jobs of every broken kind: each file and job named, every number unchanged", async () => {
    const archive = copyArchive(REFERENCE_ARCHIVE);
    const snapshots = join(archive, "snapshots");
    const paths = planted.map(([, plant], index) => `snapshots/${plant(snapshots, plantName(index))}`);
    const bad = (id: string, overrides: Record<string, unknown>) => jobJson({ job_ID: id, name: `module-${id}`, ...overrides });
    const jobs = [
      bad("string", { resources: { cpu_num: "2", cpu_MHz: 3000, gpu_num: 0, memory_MB: 1, disk_MB: 1 } }),
      bad("negative", { resources: { cpu_num: -2, cpu_MHz: 3000, gpu_num: 0, memory_MB: 1, disk_MB: 1 } }),
      bad("absurd", { resources: { cpu_num: 2, cpu_MHz: 3000, gpu_num: 0, memory_MB: 1e308, disk_MB: 1 } }),
      bad("nan", { resources: { cpu_num: "@NaN@", cpu_MHz: 3000, gpu_num: 0, memory_MB: 1, disk_MB: 1 } }),
      bad("future", { alloc_start: "2030-01-01T00:00:00Z" }),
      bad("ancient", { alloc_start: "1999-12-31T23:59:59Z" }),
      bad("backwards", { status: "dead", alloc_end: "2024-01-01T00:00:00Z" }),
      "@DEEP@",
    ];
    const existing = JSON.parse(real().toString("utf8")) as Record<string, unknown[]>;
    existing.imagine = [...existing.imagine!, existing.imagine![0], ...jobs];
    writeFileSync(
      join(snapshots, EXISTING),
      JSON.stringify(existing)
        .replace('"@NaN@"', "NaN")
        .replace('"@DEEP@"', `${"[".repeat(1e5)}${"]".repeat(1e5)}`),
    );

    const { tables, reports } = await loaded(archive);
    const added = addedProblems(tables, clean.tables);
    expect(
      added
        .filter((p) => p.account === null)
        .map((p) => p.file)
        .sort(),
    ).toEqual([...paths].sort());
    expect(added.filter((p) => p.account !== null).map((p) => [p.file, p.account, p.job])).toEqual([
      [`snapshots/${EXISTING}`, "imagine", String((existing.imagine![0] as { job_ID: string }).job_ID)],
      ...["string", "negative", "absurd", "nan", "future", "ancient", "backwards", null].map((id) => [`snapshots/${EXISTING}`, "imagine", id]),
    ]);
    expect(reports).toEqual(clean.reports);
    expect(tables.intervals).toEqual(clean.tables.intervals);
  });

  it("odd characters and spaces in folder and file paths change nothing", async () => {
    const archive = copyArchive(REFERENCE_ARCHIVE);
    const snapshots = join(archive, "snapshots");
    const odd = join(snapshots, "  spaced out ", "ünï cödé ☃", "<script>alert(1)<\\script> ; rm -rf $HOME", "'\"` %s %n");
    mkdirSync(odd, { recursive: true });
    for (const name of readdirSync(snapshots)
      .filter((n) => n.endsWith(".json"))
      .slice(0, 5)) {
      writeFileSync(join(odd, name), readFileSync(join(snapshots, name)));
      execFileSync("rm", [join(snapshots, name)]);
    }
    const { tables, reports } = await loaded(archive);
    expect(reports).toEqual(clean.reports);
    expect(tables.intervals).toEqual(clean.tables.intervals);
  });

  it("a file that grows past the limit after it was listed is not read further", async () => {
    const archive = writeArchive({ "2024-03-05T03:00:00.json": "{}" });
    const listing = await listSnapshotFiles(archive);
    appendFileSync(join(archive, "snapshots", "2024-03-05T03:00:00.json"), Buffer.alloc(MAX_SNAPSHOT_BYTES));
    expect([...readSnapshots(archive, listing.files)]).toEqual([
      {
        problem: {
          file: "snapshots/2024-03-05T03:00:00.json",
          line: null,
          account: null,
          job: null,
          reason: "more than the 16 MiB a snapshot can take (the file grew while read)",
          detail: null,
        },
      },
    ]);
  });

  it("a snapshot of exactly the limit is read", async () => {
    const archive = writeArchive({ "2024-03-05T03:00:00.json": `{"a": []}${" ".repeat(MAX_SNAPSHOT_BYTES - 9)}` });
    expect(statSync(join(archive, "snapshots", "2024-03-05T03:00:00.json")).size).toBe(MAX_SNAPSHOT_BYTES);
    const listing = await listSnapshotFiles(archive);
    expect(listing.problems).toEqual([]);
    const [item] = [...readSnapshots(archive, listing.files)];
    expect(item && "snapshot" in item && [...item.snapshot.namespaces.keys()]).toEqual(["a"]);
  });

  it("hashes each snapshot file's bytes when asked to verify content, through a chunk smaller than the largest, and only then", async () => {
    const archive = writeArchive({
      "2024-03-05T03:00:00.json": { vo: [jobJson()] },
      "2024/2024-03-05T04:00:00.json": `{"a": []}${" ".repeat(MAX_SNAPSHOT_BYTES - 9)}`,
      "notes.json": "{}",
    });
    const sha256 = (file: string) =>
      createHash("sha256")
        .update(readFileSync(join(archive, file)))
        .digest("hex");
    const plain = await listSnapshotFiles(archive);
    expect(plain.files.map((listed) => listed.sha256)).toEqual([undefined, undefined]);
    const verified = await listSnapshotFiles(archive, { verifyContent: true });
    expect(verified.files).toEqual(plain.files.map((listed) => ({ ...listed, sha256: sha256(listed.file) })));
    expect(verified.problems).toEqual(plain.problems);
    expect(createFileHasher()(join(archive, "snapshots", "gone.json"))).toBe("unreadable (ENOENT)");
  });
});

/*
 * Files and folders this process cannot read: as root, whom permissions do not stop, the command line runs from the
 * sources as the unprivileged user `nobody`.
 */
describe("files and folders that cannot be read", () => {
  const COMMAND = ["--import", import.meta.resolve("tsx/esm"), fileURLToPath(new URL("../../../helpers/cli-process.ts", import.meta.url))];
  const NOBODY = 65534;
  const root = process.getuid?.() === 0;

  function report(archive: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [...COMMAND, "report", "--archive", archive, "--no-cache", "--format", "json", "--problems", "all"], {
        ...(root ? { uid: NOBODY, gid: NOBODY } : {}),
        cwd: "/",
        env: { PATH: process.env.PATH, ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** A copy of the reference archive that `nobody` can read, in the tests' temporary folder, which it may cross. */
  function readableArchive(): string {
    const archive = copyArchive(REFERENCE_ARCHIVE);
    execFileSync("chmod", ["-R", "a+rX", archive]);
    chmodSync(dirname(archive), 0o711);
    return archive;
  }

  it("are skipped, each named with its reason, and the numbers are those without them", async () => {
    const before = await report(readableArchive());
    expect(before.code, before.stderr).toBe(0);

    const archive = readableArchive();
    const locked = join(archive, "snapshots", "2025", "locked");
    mkdirSync(locked, { recursive: true });
    writeFileSync(join(locked, "2024-03-05T03:00:00.json"), real());
    chmodSync(locked, 0o000);
    writeFileSync(join(archive, "snapshots", "2024-03-05T04:00:00.json"), real());
    chmodSync(join(archive, "snapshots", "2024-03-05T04:00:00.json"), 0o000);
    const after = await report(archive);

    expect(after.code).toBe(0);
    expect(after.stdout).toBe(before.stdout);
    expect(after.stderr).toContain("accounting: skipped snapshots/2025/locked: unreadable folder (EACCES)\n");
    expect(after.stderr).toContain("accounting: skipped snapshots/2024-03-05T04:00:00.json: unreadable file (EACCES)\n");
  }, 20_000);
});
