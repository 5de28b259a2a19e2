import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runReport } from "../../../../loaders/queries/report.js";
import type { AccountingDatabase } from "../../../../loaders/ingest/database.js";
import type { Report } from "../../../../loaders/queries/report.js";
import type { Problem, ProblemReason } from "../../../../loaders/model/records.js";
import { copyArchive, jobJson, writeArchive } from "../../../helpers/archive.js";
import { REFERENCE_ARCHIVE } from "../../../helpers/reference.js";
import { loadedDatabase, tablesOf, type LoadChoices, type Tables } from "../../../helpers/tables.js";
import { known } from "../../../helpers/hours.js";

const EXISTING = "2024-03-05T00:00:13.json";
const real = () => readFileSync(join(REFERENCE_ARCHIVE, "snapshots", EXISTING));

function reportsOf(database: AccountingDatabase): Promise<Report[]> {
  return Promise.all([
    runReport(database, { mode: "exact" }),
    runReport(database, { mode: "compat" }),
    runReport(database, { mode: "exact", from: "2024-03-05", to: "2024-03-05" }),
    runReport(database, { mode: "compat", from: "2024-03-04", to: "2024-03-06" }),
  ]);
}

/** An archive's tables and reports, loaded as the CLI loads them. */
async function loaded(archive: string, choices: LoadChoices = { pseudonymKey: "test" }): Promise<{ tables: Tables; reports: Report[] }> {
  const database = await loadedDatabase(archive, choices);
  try {
    return { tables: await tablesOf(database), reports: await reportsOf(database) };
  } finally {
    database.close();
  }
}

let clean: { tables: Tables; reports: Report[] };
beforeAll(async () => {
  clean = await loaded(REFERENCE_ARCHIVE);
});

/** Stands for raw JSON text in a job: what JSON.stringify cannot write (Python's NaN, nesting deeper than its stack). */
const raw = (text: string) => `@raw:${text}@`;

function withJobs(...extra: unknown[]): string {
  const snapshot = JSON.parse(real().toString("utf8")) as Record<string, unknown[]>;
  snapshot.ai4eosc = [...(snapshot.ai4eosc ?? []), ...extra];
  return JSON.stringify(snapshot).replace(/"@raw:(.*?)@"/g, (_, text: string) => text);
}

/** What is planted, the reason of the problem it makes, and its detail: what was found (null when the reason says it all). */
const planted: [kind: string, files: Record<string, unknown>, reason: ProblemReason, detail: RegExp | null][] = [
  ["not JSON", { "2024-03-05T03:00:00.json": "this is not json" }, "not valid JSON", /"this is not json" is not valid JSON/],
  ["empty", { "2024-03-05T03:00:00.json": "" }, "empty file", null],
  ["blank", { "2024-03-05T03:00:00.json": " \n\t" }, "empty file", null],
  ["truncated", { "2024-03-05T03:00:00.json": real().subarray(0, 3000) }, "not valid JSON", /JSON/],
  ["binary", { "2024-03-05T03:00:00.json": Uint8Array.from({ length: 512 }, (_, i) => (i * 37) % 256) }, "binary file (NUL byte), not JSON", null],
  ["not UTF-8", { "2024-03-05T03:00:00.json": Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]) }, "not UTF-8 text", null],
  ["an array at the top", { "2024-03-05T03:00:00.json": [jobJson()] }, "wrong shape: top level is not an object of namespaces", /^top level is an array$/],
  [
    "a namespace that is not an array",
    { "2024-03-05T03:00:00.json": { ai4eosc: { job: jobJson() } } },
    "wrong shape: a namespace is not an array of jobs",
    /^namespace "ai4eosc"$/,
  ],
  ["a name that is not a time", { "2024-03-05T03:00.json": real() }, "file name is not a snapshot time (YYYY-MM-DDTHH:MM:SS.json)", null],
  ["an impossible date in the name", { "2024-02-30T03:00:00.json": real() }, "file name is not a snapshot time (YYYY-MM-DDTHH:MM:SS.json)", null],
  [
    "the same time and content in another folder",
    { [`copy/${EXISTING}`]: real() },
    "same content as another file of the same time, counted once",
    /^same content as snapshots\/2024-03-05T00:00:13.json$/,
  ],
  [
    "the same time, other content, later in path order",
    { [`zz/${EXISTING}`]: withJobs(jobJson()) },
    "same time as another file but different content; the first valid one in path order is used",
    /^snapshots\/2024-03-05T00:00:13.json is used$/,
  ],
];

/** The one problem `tables` has beyond the clean archive's. */
function addedProblem(tables: Tables): Problem {
  const added = tables.problems.filter((p) => !clean.tables.problems.some((q) => q.file === p.file && q.job === p.job && q.reason === p.reason));
  expect(added).toHaveLength(1);
  return added[0]!;
}

describe("broken files", () => {
  it.each(planted)("%s: skipped, named with its reason and what was found, every number unchanged", async (_, files, reason, detail) => {
    const archive = writeArchive(files, copyArchive(REFERENCE_ARCHIVE));
    const { tables, reports } = await loaded(archive);
    expect(addedProblem(tables)).toEqual({
      file: `snapshots/${Object.keys(files)[0]}`,
      line: null,
      account: null,
      job: null,
      reason,
      detail: detail && expect.stringMatching(detail),
    });
    expect(reports).toEqual(clean.reports);
    expect(tables.intervals).toEqual(clean.tables.intervals);
  });

  it("of the same time, the first valid file in path order wins", async () => {
    const doubled = JSON.parse(real().toString("utf8")) as Record<string, { resources: Record<string, number> }[]>;
    for (const job of doubled.ai4eosc!) job.resources.gpu_num = (job.resources.gpu_num ?? 0) + 100;
    const archive = copyArchive(REFERENCE_ARCHIVE);
    writeArchive({ [`0-first/${EXISTING}`]: JSON.stringify(doubled), [`1-broken/${EXISTING}`]: "{" }, archive);
    const { tables, reports } = await loaded(archive);
    const [exact] = reports;
    expect(exact!.namespaces.ai4eosc!.gpu_num_hours).toBeGreaterThan(known(clean.reports[0]!.namespaces.ai4eosc!.gpu_num_hours) + 100);
    expect(tables.problems.filter((p) => p.file.endsWith(EXISTING) && p.account === null).map((p) => [p.file, p.reason, p.detail])).toEqual([
      [`snapshots/1-broken/${EXISTING}`, "not valid JSON", expect.stringMatching(/JSON/)],
      [
        `snapshots/${EXISTING}`,
        "same time as another file but different content; the first valid one in path order is used",
        `snapshots/0-first/${EXISTING} is used`,
      ],
    ]);
  });
});

describe("broken jobs", () => {
  const bad = (id: string, overrides: Record<string, unknown>) => jobJson({ job_ID: id, name: `module-${id}`, ...overrides });
  const resources = (overrides: Record<string, unknown>) => ({ cpu_num: 2, cpu_MHz: 3000, gpu_num: 0, memory_MB: 1, disk_MB: 1, ...overrides });
  const jobs: [kind: string, job: unknown, reason: ProblemReason, detail: RegExp][] = [
    ["resources as strings", bad("x1", { resources: resources({ cpu_num: "2" }) }), "resources.cpu_num is not a non-negative number", /^the string "2"$/],
    ["a negative resource", bad("x2", { resources: resources({ gpu_num: -1 }) }), "resources.gpu_num is not a non-negative number", /^-1$/],
    ["missing resources", bad("x3", { resources: undefined }), "resources is not an object", /^missing$/],
    ["an unparseable alloc_start", bad("x4", { alloc_start: "yesterday" }), "alloc_start is not a valid time", /^the string "yesterday"$/],
    ["an alloc_end of the wrong type", bad("x5", { status: "dead", alloc_end: 1709251200 }), "alloc_end is not a string", /^1709251200$/],
    ["an unparseable submit_time", bad("x6", { submit_time: "2024-02-30 00:00:00" }), "submit_time is not a valid time", /^the string "2024-02-30 00:00:00"$/],
    ["no owner", bad("x7", { owner: null }), "owner is not a non-empty string", /^null$/],
    ["a number as job id", bad("x8", { job_ID: 42 }), "job_ID is not a non-empty string", /^42$/],
    ["not an object", "a job", "job is not an object", /^the string "a job"$/],
    [
      "an absurd resource",
      bad("x9", { resources: resources({ gpu_num: 1e308 }) }),
      "resources.gpu_num is more than one job can hold",
      /^1e\+308, more than 10000$/,
    ],
    ["Python's NaN", bad("x10", { resources: resources({ cpu_num: raw("NaN") }) }), "resources.cpu_num is not a non-negative number", /^null$/],
    ["Python's -Infinity", bad("x11", { resources: resources({ memory_MB: raw("-Infinity") }) }), "resources.memory_MB is not a non-negative number", /^null$/],
    ["an alloc_start before 2000", bad("x12", { alloc_start: "1970-01-01T00:00:00Z" }), "alloc_start is before 2000", /^the string "1970-01-01T00:00:00Z"$/],
    [
      "an alloc_start days after the snapshot",
      bad("x13", { alloc_start: "2024-03-07T00:00:00Z" }),
      "alloc_start is after the snapshot that lists the job",
      /^the string "2024-03-07T00:00:00Z", snapshot of 2024-03-05T00:00:13.000000Z$/,
    ],
    [
      "a submit_time in the far future",
      bad("x14", { submit_time: "9999-12-31 23:59:59" }),
      "submit_time is after the snapshot that lists the job",
      /^the string "9999-12-31 23:59:59", /,
    ],
    [
      "a dead job that ended before it started",
      bad("x15", { status: "dead", alloc_end: "2024-02-28T00:00:00Z" }),
      "dead, with alloc_end before alloc_start",
      /^alloc_start \S+, alloc_end 2024-02-28T00:00:00.000000Z$/,
    ],
    // Deeper than 64 levels, the whole file is refused before it is parsed (archive.test.ts): its jobs cannot be told apart.
    ["nested arrays, 60 deep", raw(`${"[".repeat(60)}${"]".repeat(60)}`), "job is not an object", /^an array$/],
  ];

  it.each(jobs)("%s: the job is skipped and named with its reason and what was found, the rest of its snapshot kept", async (_, job, reason, detail) => {
    const archive = writeArchive({ [EXISTING]: withJobs(job) }, copyArchive(REFERENCE_ARCHIVE));
    const { tables, reports } = await loaded(archive);
    expect(addedProblem(tables)).toMatchObject({ file: `snapshots/${EXISTING}`, account: "ai4eosc", reason, detail: expect.stringMatching(detail) });
    expect(reports).toEqual(clean.reports);
  });

  it("a job listed twice in one snapshot counts once", async () => {
    const twice = JSON.parse(real().toString("utf8")) as Record<string, unknown[]>;
    twice.imagine = [...twice.imagine!, twice.imagine![0]];
    const archive = writeArchive({ [EXISTING]: twice }, copyArchive(REFERENCE_ARCHIVE));
    const { tables, reports } = await loaded(archive);
    expect(tables.problems.filter((p) => p.reason.includes("twice"))).toHaveLength(1);
    expect(reports).toEqual(clean.reports);
  });
});

describe("the tables", () => {
  it("hold the reference archive's snapshots, jobs and problems", () => {
    const times = new Set(clean.tables.snapshots.map((s) => s.time));
    expect(times.size).toBe(161);
    expect(clean.tables.snapshots).toHaveLength(161 * 3);
    expect(clean.tables.jobs).toHaveLength(567);
    expect(clean.tables.problems.map((p) => p.reason).sort()).toEqual(
      [...Array(29).fill("running job with no alloc_start"), "dead job with no alloc_end"].sort(),
    );
    const skipped = clean.tables.snapshots.reduce((sum, s) => sum + s.skipped, 0);
    expect(skipped).toBe(30);
  });

  it("read snapshots at any depth, in time order", async () => {
    const archive = writeArchive({
      "2024/03/2024-03-01T12:00:00.json": { vo: [jobJson()] },
      "a/b/c/2024-03-01T06:00:00.json": { vo: [jobJson()] },
      "2024-03-01T18:00:00.json": { vo: [jobJson()], empty: [] },
      "notes.txt": "not a snapshot",
    });
    const { tables } = await loaded(archive);
    expect(tables.snapshots.map((s) => [s.file, s.account, s.running])).toEqual([
      ["snapshots/a/b/c/2024-03-01T06:00:00.json", "empty", 0],
      ["snapshots/a/b/c/2024-03-01T06:00:00.json", "vo", 1],
      ["snapshots/2024/03/2024-03-01T12:00:00.json", "empty", 0],
      ["snapshots/2024/03/2024-03-01T12:00:00.json", "vo", 1],
      ["snapshots/2024-03-01T18:00:00.json", "empty", 0],
      ["snapshots/2024-03-01T18:00:00.json", "vo", 1],
    ]);
    expect(tables.problems).toEqual([]);
    expect(tables.intervals).toHaveLength(1);
  });

  it("give owners keyed pseudonyms, and names only in a private build", async () => {
    const archive = writeArchive({ "2024-03-01T12:00:00.json": { vo: [jobJson()] } });
    mkdirSync(join(archive, "users"));
    writeFileSync(join(archive, "users/user-db.json"), JSON.stringify({ "alice@egi.eu": { name: "Alice", email: "alice@example.org" } }));
    const publicTables = (await loaded(archive, { pseudonymKey: "k1" })).tables;
    const again = (await loaded(archive, { pseudonymKey: "k1" })).tables;
    const otherKey = (await loaded(archive, { pseudonymKey: "k2" })).tables;
    const privateTables = (await loaded(archive, { pseudonymKey: "k1", private: true })).tables;
    expect(publicTables.users).toEqual([{ owner: "alice@egi.eu", pseudonym: again.users[0]!.pseudonym, name: null, email: null }]);
    expect(publicTables.users[0]!.pseudonym).toMatch(/^user-[0-9a-f]{12}$/);
    expect(otherKey.users[0]!.pseudonym).not.toBe(publicTables.users[0]!.pseudonym);
    expect(privateTables.users[0]).toMatchObject({ name: "Alice", email: "alice@example.org" });
  });
});

describe("problems of hostile content", () => {
  it("give reasons that hold nothing of the archive: file content, field values and names are in the private detail only", async () => {
    const hostile = { markup: "<script>", owner: "7463950218", email: "bob@example.org", title: "]0;owned" };
    const archive = writeArchive({
      "2024-03-01T00:00:00.json": `${hostile.markup}alert('a broken file')</script>`,
      "2024-03-01T06:00:00.json": {
        vo: [
          jobJson(),
          jobJson({ job_ID: "owner-a-number", owner: Number(hostile.owner) }),
          jobJson({ job_ID: "an-email-for-a-time", alloc_start: hostile.email }),
          jobJson({ job_ID: "markup-for-resources", resources: `lots of ${hostile.markup}` }),
        ],
        [`vo\u001b${hostile.title}\u0007\u202e`]: [jobJson({ job_ID: "escape", owner: "" })],
      },
      "2024-03-01T12:00:00.json": { vo: [jobJson()], [`vo\u001b${hostile.title}\u0007`]: "not an array" },
      [`${hostile.markup}/2024-03-01T18:00:00.json`]: { vo: [jobJson()] },
    });
    symlinkSync(hostile.markup, join(archive, "snapshots", "zz-again"));
    mkdirSync(join(archive, "users"));
    writeFileSync(join(archive, "users", "user-db.json"), `{"${hostile.email}": <b>}`);
    const { problems } = (await loaded(archive, { pseudonymKey: "test", private: true })).tables;

    expect(problems.map((p) => p.reason).sort()).toEqual([
      "alloc_start is not a valid time",
      "not valid JSON",
      "not valid JSON",
      "owner is not a non-empty string",
      "owner is not a non-empty string",
      "resources is not an object",
      "same folder as another, read once (a symbolic link)",
      "wrong shape: a namespace is not an array of jobs",
    ]);
    const details = problems.map((p) => p.detail).join("\n");
    for (const text of Object.values(hostile)) expect(details, "what the files held reaches the detail").toContain(text);
    for (const { reason } of problems) {
      for (const text of [...Object.values(hostile), "alert", "vo", "@", '"']) expect(reason).not.toContain(text);
      expect(reason).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    }
  });
});
