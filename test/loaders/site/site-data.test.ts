import { existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { extract } from "tar-stream";
import { describe, expect, it } from "vitest";
import { assertUsableArchive, UnusableArchiveError } from "../../../loaders/ingest/database.js";
import { loadArchive } from "../../../loaders/ingest/load.js";
import { contentFingerprint, dropStaleLoaderOutputs } from "../../../loaders/site/fingerprint.js";
import { pseudonym } from "../../../loaders/ingest/pseudonym.js";
import { problemsSql } from "../../../loaders/queries/quality.js";
import { MODES, reportOf, reportSql, runReport, type ReportRow } from "../../../loaders/queries/report.js";
import {
  KEYED_SITE_DATA_OUTPUTS,
  packSiteTables,
  SITE_DATA_OUTPUTS,
  siteBuildFrom,
  siteDataFingerprint,
  writeSiteTables,
} from "../../../loaders/site/site-data.js";
import { MONTHLY_SITE_TABLES, type SiteManifest } from "../../../loaders/site/site-tables.js";
import { jobJson, temporaryFolder, writeArchive } from "../../helpers/archive.js";
import { REFERENCE_ARCHIVE, referencePeriods } from "../../helpers/reference.js";
import { loadedDatabase } from "../../helpers/tables.js";

/**
 * The site's data of an archive as the build makes it (src/reports/pages.ts: the archive loaded through its cache,
 * refused when unusable, its site tables written to a folder, then packed by the data loader), as one tar.
 */
async function tarOf(archive: string, env: Record<string, string>): Promise<Buffer> {
  const build = siteBuildFrom({ XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, ACCOUNTING_ARCHIVE: archive, ...env }, () => {});
  const database = await loadArchive(build.archive, { cache: build.cache, users: build.users, verifyContent: build.verifyContent });
  try {
    await assertUsableArchive(database, build.archive);
    const folder = temporaryFolder("accounting-site-");
    await writeSiteTables(database, folder);
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on("data", (chunk: Buffer) => chunks.push(chunk));
    await packSiteTables(folder, output);
    return Buffer.concat(chunks);
  } finally {
    database.close();
  }
}

/** The tar's members, in order. */
async function entries(tar: Buffer): Promise<Map<string, Buffer>> {
  const members = new Map<string, Buffer>();
  const reader = extract();
  reader.on("entry", (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
    stream.on("end", () => {
      members.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  const done = new Promise<void>((resolve) => reader.on("finish", () => resolve()));
  reader.end(tar);
  await done;
  return members;
}

/** The site's tables, from the tar, in native DuckDB: the monthly ones of every month, each row once, in order. */
async function siteTablesOf(tar: Buffer): Promise<DuckDBConnection> {
  const folder = temporaryFolder("accounting-site-tables-");
  const connection = await (await DuckDBInstance.create(":memory:")).connect();
  const members = await entries(tar);
  for (const [name, bytes] of members) {
    mkdirSync(dirname(join(folder, name)), { recursive: true });
    writeFileSync(join(folder, name), bytes);
    if (!name.includes("/") && name.endsWith(".parquet"))
      await connection.run(`CREATE TABLE "${name.replace(/\.parquet$/, "")}" AS SELECT * FROM '${join(folder, name)}'`);
  }
  const manifest = JSON.parse(members.get("manifest.json")!.toString()) as SiteManifest;
  for (const { name, key } of MONTHLY_SITE_TABLES) {
    const files = Object.values(manifest.months).map((month) => `'${join(folder, month[name])}'`);
    const rows = `SELECT DISTINCT ON (${key.join(", ")}) * FROM read_parquet([${files.join(", ")}], hive_partitioning = false)`;
    // The intervals in the CLI's order: by their places in it.
    const order = name === "intervals" ? "(SELECT place FROM run_order o WHERE o.job_id = x.job_id AND o.run = x.run)" : key.join(", ");
    await connection.run(`CREATE OR REPLACE TABLE "${name}" AS SELECT * FROM (${rows}) x ORDER BY ${order}`);
  }
  return connection;
}

const described = async (connection: DuckDBConnection, table: string) =>
  (await connection.runAndReadAll(`DESCRIBE "${table}"`)).getRowObjectsJS().map((row) => `${String(row.column_name)} ${String(row.column_type)}`);

describe("writeSiteData", () => {
  const owners = ["alice@egi.eu", "bob@egi.eu", "carol@egi.eu", "dave@egi.eu", "erin@egi.eu"];
  const jobs = owners.map((owner, i) => jobJson({ job_ID: `job-${i}`, name: `module-${i}`, owner, alloc_ID: `alloc-${i}` }));
  const archive = writeArchive({ "2024-03-01T00:00:00.json": { vo: jobs }, "2024-03-01T06:00:00.json": { vo: jobs, other: [jobs[0]] } });

  it("writes the site's copy of the tables into one tar, the monthly ones Hive-style, byte for byte the same for the same archive and key", async () => {
    const tar = await tarOf(archive, { ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" });
    const members = await entries(tar);
    const manifest = JSON.parse(members.get("manifest.json")!.toString()) as SiteManifest;
    expect(Object.keys(manifest.months)).toEqual(["2024-03"]);
    expect(manifest.months["2024-03"]!.intervals).toMatch(/^intervals\/year=2024\/month=3\/[0-9a-f]{16}\.parquet$/);
    expect(manifest.months["2024-03"]!.jobs).toMatch(/^jobs\/year=2024\/month=3\/[0-9a-f]{16}\.parquet$/);
    expect(manifest.months["2024-03"]!.run_order).toMatch(/^run_order\/year=2024\/month=3\/[0-9a-f]{16}\.parquet$/);
    expect([...members.keys()]).toEqual(
      [
        "accounts.parquet",
        manifest.months["2024-03"]!.intervals,
        "intervals.parquet",
        manifest.months["2024-03"]!.jobs,
        "jobs.parquet",
        manifest.months["2024-03"]!.run_order,
        "run_order.parquet",
        "manifest.json",
        "problems.parquet",
        "recorded_resources.parquet",
        "snapshots.parquet",
        "spans.parquet",
        "users.parquet",
      ].sort(),
    );
    expect(tar.equals(await tarOf(archive, { ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" }))).toBe(true);
  });

  it("writes again only the months whose rows changed, the others linked from the last build's: the same files as written anew", async () => {
    const env = { ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" };
    const february = jobJson({ job_ID: "job-b", alloc_ID: "alloc-b", submit_time: "2024-02-09 00:00:00", alloc_start: "2024-02-09T00:00:00Z" });
    const march = jobJson({ job_ID: "job-c", alloc_ID: "alloc-c", owner: "bob@egi.eu", alloc_start: "2024-03-09T00:00:00Z" });
    const snapshots = {
      "2024-02-10T00:00:00.json": { vo: [february] },
      "2024-02-20T00:00:00.json": { vo: [] },
      "2024-03-10T00:00:00.json": { vo: [march] },
    };
    // A new job whose id sorts before the others', of an owner not seen before: it shifts the others' places.
    const newcomer = jobJson({ job_ID: "job-a", alloc_ID: "alloc-a", owner: "zed@egi.eu", alloc_start: "2024-03-19T00:00:00Z" });
    const written = async (archive: string, previous?: string) => {
      const build = siteBuildFrom({ XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, ACCOUNTING_ARCHIVE: archive, ...env }, () => {});
      const database = await loadArchive(build.archive, { cache: build.cache, users: build.users, verifyContent: build.verifyContent });
      try {
        const folder = temporaryFolder("accounting-site-");
        return { folder, manifest: await writeSiteTables(database, folder, previous) };
      } finally {
        database.close();
      }
    };
    const archive = writeArchive(snapshots);
    const before = await written(archive);
    writeArchive({ "2024-03-20T00:00:00.json": { vo: [march, newcomer] } }, archive);
    const after = await written(archive, before.folder);
    const fresh = await written(writeArchive({ ...snapshots, "2024-03-20T00:00:00.json": { vo: [march, newcomer] } }));
    expect(after.manifest).toEqual(fresh.manifest);
    expect(Object.keys(after.manifest.months)).toEqual(["2024-02", "2024-03"]);
    const inode = (folder: string, path: string) => statSync(join(folder, path)).ino;
    for (const table of ["intervals", "jobs"] as const) {
      const path = before.manifest.months["2024-02"]![table];
      expect(after.manifest.months["2024-02"]![table]).toBe(path);
      expect(inode(after.folder, path)).toBe(inode(before.folder, path));
      expect(after.manifest.months["2024-03"]![table]).not.toBe(before.manifest.months["2024-03"]![table]);
    }
    // The runs' places shifted in both months.
    expect(after.manifest.months["2024-02"]!.run_order).not.toBe(before.manifest.months["2024-02"]!.run_order);
    // A kept file altered since, or a record of another writer, and the month is written anew.
    const kept = join(after.folder, after.manifest.months["2024-02"]!.intervals);
    const bytes = readFileSync(kept);
    rmSync(kept);
    writeFileSync(kept, Buffer.concat([bytes.subarray(0, 8), Buffer.from("x"), bytes.subarray(9)]));
    const record = JSON.parse(readFileSync(join(after.folder, "months.json"), "utf8")) as Record<string, { writer: string }>;
    record.jobs!.writer = "another";
    writeFileSync(join(after.folder, "months.json"), JSON.stringify(record));
    const again = await written(archive, after.folder);
    expect(again.manifest).toEqual(fresh.manifest);
    expect(readFileSync(join(again.folder, again.manifest.months["2024-02"]!.intervals)).equals(bytes)).toBe(true);
    expect(inode(again.folder, again.manifest.months["2024-02"]!.intervals)).not.toBe(statSync(kept).ino);
    const jobs = again.manifest.months["2024-02"]!.jobs;
    expect(inode(again.folder, jobs)).not.toBe(inode(after.folder, jobs));
    expect(inode(again.folder, again.manifest.months["2024-03"]!.intervals)).toBe(inode(after.folder, after.manifest.months["2024-03"]!.intervals));
  });

  it("ships only the columns the pages query, with jobs and owners as small integers, those first seen together in the order of the owners' pseudonyms", async () => {
    for (const key of ["0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"]) {
      const site = await siteTablesOf(await tarOf(archive, { ACCOUNTING_PSEUDONYM_KEY: key }));
      expect(await described(site, "intervals")).toEqual([
        "job_id INTEGER",
        "run INTEGER",
        ...["source", "cluster", "account"].map((name) => `${name} VARCHAR`),
        "owner INTEGER",
        ...["start_time", "end_time", "first_snapshot", "last_snapshot"].map((name) => `${name} TIMESTAMP WITH TIME ZONE`),
        ...["cpu_num", "cpu_MHz", "gpu_num", "memory_MB", "disk_MB"].map((name) => `${name} DOUBLE`),
      ]);
      expect(await described(site, "snapshots")).toEqual(["time TIMESTAMP WITH TIME ZONE", "account VARCHAR", "running INTEGER", "queued INTEGER"]);
      expect(await described(site, "problems")).toEqual(["file VARCHAR", "line INTEGER", "account VARCHAR", "job VARCHAR", "reason VARCHAR"]);
      expect(await described(site, "accounts")).toEqual(["source VARCHAR", "cluster VARCHAR", "account VARCHAR"]);
      expect((await site.runAndReadAll("SELECT * FROM accounts")).getRowObjectsJS()).toEqual(
        ["other", "vo"].map((account) => ({ source: "nomad", cluster: "nomad", account })),
      );
      expect((await site.runAndReadAll("SELECT source, cluster, epoch_us(first_time) AS f, epoch_us(last_time) AS l FROM spans")).getRowObjectsJS()).toEqual([
        { source: "nomad", cluster: "nomad", f: BigInt(Date.UTC(2024, 2, 1)) * 1000n, l: BigInt(Date.UTC(2024, 2, 1, 6)) * 1000n },
      ]);
      const numbered = (await site.runAndReadAll("SELECT account, job_id, owner FROM intervals ORDER BY account, owner")).getRowObjectsJS();
      const byPseudonym = [...owners].sort((a, b) => (pseudonym(key, a) < pseudonym(key, b) ? -1 : 1));
      // other's job is alice's job-0: another namespace, so another job, and the same owner.
      const alice = byPseudonym.indexOf("alice@egi.eu") + 1;
      expect(numbered).toEqual([
        { account: "other", job_id: 1, owner: alice },
        ...byPseudonym.map((owner, i) => ({ account: "vo", job_id: 2 + owners.indexOf(owner), owner: i + 1 })),
      ]);
    }
  });

  it("ships the owners and jobs of intervals under their numbers; names, emails and titles only in a private build; problems' details in none", async () => {
    const named = writeArchive({
      "2024-03-01T00:00:00.json": { vo: jobs },
      "2024-03-01T03:00:00.json": "<b>alice@egi.eu</b>",
      "2024-03-01T06:00:00.json": { vo: jobs },
    });
    mkdirSync(join(named, "users"));
    writeFileSync(
      join(named, "users", "user-db.json"),
      JSON.stringify({ "alice@egi.eu": { name: "Alice <b>A</b>", email: "alice@example.org" }, "zed@egi.eu": { name: "Zed", email: "z@x" } }),
    );
    const byPseudonym = [...owners].sort((a, b) =>
      pseudonym("0123456789abcdef0123456789abcdef", a) < pseudonym("0123456789abcdef0123456789abcdef", b) ? -1 : 1,
    );
    for (const privateBuild of [false, true]) {
      const site = await siteTablesOf(
        await tarOf(named, { ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef", ...(privateBuild ? { ACCOUNTING_PRIVATE: "1" } : {}) }),
      );
      expect(await described(site, "users")).toEqual(["owner INTEGER", "pseudonym VARCHAR", "name VARCHAR", "email VARCHAR"]);
      const users = (await site.runAndReadAll("SELECT * FROM users")).getRowObjectsJS();
      expect(users).toEqual(
        byPseudonym.map((owner, i) => ({
          owner: i + 1,
          pseudonym: pseudonym("0123456789abcdef0123456789abcdef", owner),
          name: privateBuild && owner === "alice@egi.eu" ? "Alice <b>A</b>" : null,
          email: privateBuild && owner === "alice@egi.eu" ? "alice@example.org" : null,
        })),
      );
      expect(await described(site, "jobs")).toEqual([
        "job_id INTEGER",
        "source VARCHAR",
        "cluster VARCHAR",
        "account VARCHAR",
        "kind VARCHAR",
        "title VARCHAR",
        ...["docker_image", "datacenter", "queue", "qos", "unix_group", "node_names"].map((name) => `${name} VARCHAR`),
        "submit_time TIMESTAMP WITH TIME ZONE",
      ]);
      expect((await site.runAndReadAll("SELECT * FROM jobs")).getRowObjectsJS()).toEqual(
        jobs.map((_, i) => ({
          job_id: i + 1,
          source: "nomad",
          cluster: "nomad",
          account: "vo",
          kind: "module",
          title: privateBuild ? "demo" : null,
          docker_image: "ai4oshub/demo",
          datacenter: "dc1",
          queue: null,
          qos: null,
          unix_group: null,
          node_names: null,
          submit_time: expect.anything(),
        })),
      );
      expect((await site.runAndReadAll("SELECT * FROM problems")).getRowObjectsJS()).toEqual([
        { file: "snapshots/2024-03-01T03:00:00.json", line: null, account: null, job: null, reason: "not valid JSON" },
      ]);
    }
  });

  it("gives the same reports and problems as the documented tables, for every reference period in both modes, to the last bit", async () => {
    const build = siteBuildFrom({ ACCOUNTING_ARCHIVE: REFERENCE_ARCHIVE, ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" }, () => {});
    const documented = await loadedDatabase(REFERENCE_ARCHIVE, build.users);
    const site = await siteTablesOf(await tarOf(REFERENCE_ARCHIVE, { ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" }));
    try {
      for (const mode of MODES) {
        for (const { from, to } of referencePeriods(mode)) {
          const request = { from, to, mode };
          const fromSite = reportOf(request, (await site.runAndReadAll(reportSql(request))).getRowObjectsJS() as unknown as ReportRow[]);
          expect(JSON.stringify(fromSite), `${mode} ${from ?? ""}:${to ?? ""}`).toBe(JSON.stringify(await runReport(documented, request)));
        }
      }
      const problems = (await site.runAndReadAll(problemsSql())).getRowObjectsJS();
      expect(problems.length).toBeGreaterThan(0);
      expect(problems).toEqual((await documented.connection.runAndReadAll(problemsSql())).getRowObjectsJS());
    } finally {
      documented.close();
    }
  }, 60_000);

  it("refuses an archive with no usable snapshot with the command line's one line, before writing anything", async () => {
    const empty = writeArchive({});
    mkdirSync(join(empty, "snapshots"));
    const broken = writeArchive({ "2024-03-01T00:00:00.json": "", "2024-03-01T06:00:00.json": "{}" });
    for (const [archive, why] of [
      [empty, "no .json file there lists a namespace"],
      [broken, "1 file skipped, 1: empty file"],
    ] as const) {
      const refused = tarOf(archive, { ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" });
      await expect(refused).rejects.toThrow(UnusableArchiveError);
      await expect(refused).rejects.toThrow(`no snapshot with jobs in ${join(archive, "snapshots")}: ${why}`);
    }
  });

  it("warns when pseudonyms are random, and builds privately only when asked", () => {
    const warnings: string[] = [];
    expect(siteBuildFrom({}, (message) => warnings.push(message))).toMatchObject({ archive: "data/sample", users: { private: false } });
    expect(warnings).toEqual(["ACCOUNTING_PSEUDONYM_KEY is not set: pseudonyms are random and change from one build to the next"]);
    expect(siteBuildFrom({ ACCOUNTING_PRIVATE: "1", ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" }, () => {}).users.private).toBe(true);
    expect(siteBuildFrom({ ACCOUNTING_PRIVATE: "yes", ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" }, () => {}).users.private).toBe(false);
  });

  it("tells snapshots apart by content only with ACCOUNTING_VERIFY_CONTENT=1: a snapshot corrected with the same size and time", async () => {
    expect(siteBuildFrom({ ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" }, () => {}).verifyContent).toBe(false);
    expect(siteBuildFrom({ ACCOUNTING_VERIFY_CONTENT: "yes", ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" }, () => {}).verifyContent).toBe(
      false,
    );
    const job = jobJson({ resources: { cpu_num: 2, cpu_MHz: 3000, gpu_num: 0, memory_MB: 8000, disk_MB: 10000 } });
    const archive = writeArchive({ "2024-03-01T00:00:00.json": { vo: [job] }, "2024-03-01T06:00:00.json": { vo: [job] } });
    const path = join(archive, "snapshots", "2024-03-01T06:00:00.json");
    const dated = new Date("2024-03-01T06:00:00Z");
    utimesSync(path, dated, dated);
    /** The site's core-hours of the whole archive, through the ingest cache of the archive's default folder. */
    const coreHours = async (env: Record<string, string>) => {
      const site = await siteTablesOf(await tarOf(archive, { ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef", ...env }));
      const request = { mode: "exact" as const };
      return reportOf(request, (await site.runAndReadAll(reportSql(request))).getRowObjectsJS() as unknown as ReportRow[]).total.cpu_num_hours;
    };
    expect(await coreHours({})).toBe(12);
    // The operators correct the snapshot: its 2 cores were 4. Same size, dated again by its name.
    writeFileSync(path, readFileSync(path, "utf8").replace('"cpu_num":2', '"cpu_num":4'));
    utimesSync(path, dated, dated);
    expect(await coreHours({}), "without the variable, the cached tables stand").toBe(12);
    expect(await coreHours({ ACCOUNTING_VERIFY_CONTENT: "1" })).toBe(24);
  });
});

describe("the loader cache", () => {
  it("is fingerprinted on the content of folders and on settings", () => {
    const archive = writeArchive({ "2024-03-01T00:00:00.json": { vo: [jobJson()] } });
    const first = contentFingerprint([archive], ["k", "false"]);
    expect(contentFingerprint([archive], ["k", "false"])).toBe(first);
    expect(contentFingerprint([archive], ["k", "true"])).not.toBe(first);
    writeArchive({ "2024-03-01T06:00:00.json": { vo: [jobJson()] } }, archive);
    const second = contentFingerprint([archive], ["k", "false"]);
    expect(second).not.toBe(first);
    writeFileSync(join(archive, "snapshots", "2024-03-01T06:00:00.json"), JSON.stringify({ vo: [] }));
    expect(contentFingerprint([archive, temporaryFolder()], ["k", "false"])).not.toBe(contentFingerprint([archive], ["k", "false"]));
    expect(contentFingerprint([archive], ["k", "false"])).not.toBe(second);
  });

  it("covers the archive's known issues too, whose loader Framework caches as well, even rewritten with the same size and time", () => {
    const archive = writeArchive({ "2024-03-01T00:00:00.json": { vo: [jobJson()] } });
    const issues = join(archive, "known-issues.json");
    const env = { ACCOUNTING_ARCHIVE: archive, ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" };
    expect(siteBuildFrom(env, () => {}).knownIssues).toBe(issues);
    const missing = siteDataFingerprint(siteBuildFrom(env, () => {}));
    writeFileSync(issues, "[]");
    const empty = siteDataFingerprint(siteBuildFrom(env, () => {}));
    const issue = (title: string) => `[{"from":"2024-03-01","to":"2024-03-01","title":"${title}","description":"d"}]`;
    writeFileSync(issues, issue("a"));
    utimesSync(issues, new Date("2030-01-01"), new Date("2030-01-01"));
    const one = siteDataFingerprint(siteBuildFrom(env, () => {}));
    writeFileSync(issues, issue("b"));
    utimesSync(issues, new Date("2030-01-01"), new Date("2030-01-01"));
    expect(new Set([missing, empty, one, siteDataFingerprint(siteBuildFrom(env, () => {}))]).size).toBe(4);
  });

  it("holds nothing derived from the pseudonym key, and remakes the outputs that depend on it at every build", () => {
    const archive = writeArchive({ "2024-03-01T00:00:00.json": { vo: [jobJson()] } });
    const fingerprint = (key: string) => siteDataFingerprint(siteBuildFrom({ ACCOUNTING_ARCHIVE: archive, ACCOUNTING_PSEUDONYM_KEY: key }, () => {}));
    expect(fingerprint("0123456789abcdef0123456789abcdef")).toBe(fingerprint("fedcba9876543210fedcba9876543210"));
    const cache = temporaryFolder();
    mkdirSync(join(cache, "data/accounting"), { recursive: true });
    writeFileSync(join(cache, "data/accounting.tar"), "x");
    writeFileSync(join(cache, "data/known-issues.json"), "[]");
    dropStaleLoaderOutputs(cache, SITE_DATA_OUTPUTS, "same", KEYED_SITE_DATA_OUTPUTS);
    writeFileSync(join(cache, "data/accounting.tar"), "x");
    writeFileSync(join(cache, "data/known-issues.json"), "[]");
    expect(dropStaleLoaderOutputs(cache, SITE_DATA_OUTPUTS, "same", KEYED_SITE_DATA_OUTPUTS)).toBe(false);
    expect([
      existsSync(join(cache, "data/accounting.tar")),
      existsSync(join(cache, "data/accounting")),
      existsSync(join(cache, "data/known-issues.json")),
    ]).toEqual([false, false, true]);
    expect(readFileSync(join(cache, "archive.sha256"), "utf8")).toBe("same");
  });

  it("refuses a pseudonym key shorter than 32 hexadecimal digits, naming how to make one", () => {
    for (const key of ["k", "secret", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdeg"]) {
      expect(() => siteBuildFrom({ ACCOUNTING_PSEUDONYM_KEY: key }, () => {}), key).toThrow(
        /ACCOUNTING_PSEUDONYM_KEY must be at least 32 hexadecimal digits of randomness .*`accounting key` makes one/,
      );
    }
    expect(siteBuildFrom({ ACCOUNTING_PSEUDONYM_KEY: "0123456789ABCDEF0123456789abcdef" }, () => {}).users.pseudonymKey).toBe(
      "0123456789ABCDEF0123456789abcdef",
    );
  });

  it("drops Framework's cached loader outputs when the fingerprint changes, and only then", () => {
    const cache = temporaryFolder();
    const cached = () => ["data/accounting.tar", "data/accounting/intervals.parquet", "data/other.json"].filter((path) => existsSync(join(cache, path)));
    const fill = () => {
      mkdirSync(join(cache, "data/accounting"), { recursive: true });
      for (const path of ["data/accounting.tar", "data/accounting/intervals.parquet", "data/other.json"]) writeFileSync(join(cache, path), "x");
    };
    const outputs = ["data/accounting.tar", "data/accounting"];
    fill();
    expect(dropStaleLoaderOutputs(cache, outputs, "a")).toBe(true);
    expect(cached()).toEqual(["data/other.json"]);
    fill();
    expect(dropStaleLoaderOutputs(cache, outputs, "a")).toBe(false);
    expect(cached()).toHaveLength(3);
    expect(dropStaleLoaderOutputs(cache, outputs, "b")).toBe(true);
    expect(cached()).toEqual(["data/other.json"]);
    expect(readFileSync(join(cache, "archive.sha256"), "utf8")).toBe("b");
  });
});
