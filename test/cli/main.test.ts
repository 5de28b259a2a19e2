import { execFile } from "node:child_process";
import { mkdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { METRICS } from "../../loaders/report.js";
import { jobJson, temporaryFolder, writeArchive } from "../helpers/archive.js";
import { runCli } from "../helpers/cli.js";
import { REFERENCE_ARCHIVE, REFERENCE_NAMESPACES, referencePeriods, upstreamView } from "../helpers/reference.js";

const run = promisify(execFile);

describe("accounting report", () => {
  it("prints the JSON report in exactly the documented shape", async () => {
    const { code, stdout } = await runCli(["report", "--archive", REFERENCE_ARCHIVE, "--format", "json", "--from", "2024-03-10", "--to", "2024-03-10"]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(Object.keys(report)).toEqual(["from", "to", "mode", "namespaces", "total", "coverage"]);
    expect([report.from, report.to, report.mode]).toEqual(["2024-03-10", "2024-03-10", "exact"]);
    expect(Object.keys(report.namespaces)).toEqual(["ai4eosc", "ai4life", "imagine"]);
    for (const usage of [...Object.values(report.namespaces), report.total]) expect(Object.keys(usage as object)).toEqual([...METRICS]);
    expect(upstreamView(report)).toEqual(referencePeriods("exact").find((p) => p.from === "2024-03-10")!.tables);
  });

  it("reproduces upstream in compat mode, namespaces in the order asked", async () => {
    const { stdout } = await runCli(["report", "--archive", REFERENCE_ARCHIVE, "--format", "json", "--mode", "compat", "--namespaces", REFERENCE_NAMESPACES.join(",")]);
    const report = JSON.parse(stdout);
    expect(Object.keys(report.namespaces)).toEqual(REFERENCE_NAMESPACES);
    expect(upstreamView(report)).toEqual(referencePeriods("compat").find((p) => !p.from)!.tables);
  });

  it("prints upstream's tables: whole hours, an aggregate, and the mode", async () => {
    const { stdout } = await runCli(["report", "--archive", REFERENCE_ARCHIVE, "--mode", "compat", "--from", "2024-03-01", "--to", "2024-03-31"]);
    expect(stdout).toContain("AI4EOSC accounting for the period 2024-03-01:2024-03-31");
    expect(stdout).toMatch(/cpu_num hours │\s+67795 │/);
    expect(stdout).toContain("Aggregated accounting for the period 2024-03-01:2024-03-31");
    expect(stdout).toMatch(/Nº active users │\s+30 │/);
    expect(stdout).toContain("Mode compat");
  });

  it("prints CSV with exact hours and a total row", async () => {
    const { stdout } = await runCli(["report", "--archive", REFERENCE_ARCHIVE, "--format", "csv", "--namespaces", "imagine"]);
    const [header, imagine, total, end] = stdout.split("\n");
    expect(header).toBe(`namespace,${METRICS.join(",")}`);
    expect(imagine!.startsWith("imagine,32990.3157")).toBe(true);
    expect(total!.startsWith("total,32990.3157")).toBe(true);
    expect(end).toBe("");
  });

  it("lists every skipped file and job on stderr, the report on stdout", async () => {
    const archive = writeArchive({
      "2024-03-01T00:00:00.json": { vo: [jobJson(), jobJson({ job_ID: "bad", resources: "lots" })] },
      "2024-03-01T06:00:00.json": "{ truncated",
      "2024-03-01T12:00:00.json": { vo: [jobJson()] },
    });
    const { code, stdout, stderr } = await runCli(["report", "--archive", archive, "--format", "json"]);
    expect(code).toBe(0);
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("2 files or jobs skipped: every number is what it would be without them");
    expect(lines[1]).toMatch(/^skipped snapshots\/2024-03-01T06:00:00.json: not valid JSON \(.+\)$/);
    expect(lines[0]).toBe('skipped snapshots/2024-03-01T00:00:00.json vo job bad: resources is the string "lots", not an object');
    expect(JSON.parse(stdout).total.cpu_num_hours).toBe(24);
  });

  it.each([
    [["report", "--frm", "2024-01-01"], "accounting: Unknown option '--frm'"],
    [["report", "--from", "2024-02-30"], 'accounting: --from "2024-02-30" is not a date (YYYY-MM-DD)'],
    [["report", "--to", "01/03/2024"], 'accounting: --to "01/03/2024" is not a date (YYYY-MM-DD)'],
    [["report", "--from", "2024-04-02", "--to", "2024-04-01"], "accounting: --from 2024-04-02 is after --to 2024-04-01"],
    [["report", "--mode", "fast"], 'accounting: --mode must be exact or compat, not "fast"'],
    [["report", "--format", "xml"], 'accounting: --format must be table or json or csv, not "xml"'],
    [["report", "--namespaces", "a,,b"], 'accounting: --namespaces "a,,b" has an empty name'],
    [["report", "--archive", "/no/such/archive"], "accounting: archive not found: /no/such/archive"],
    [["report", "--archive", REFERENCE_ARCHIVE, "--namespaces", "ai4eosc,nope"], 'accounting: unknown namespace "nope"; the archive has ai4eosc, ai4life, imagine'],
    [["report", "extra"], "accounting: Unexpected argument 'extra'"],
    [["report", "--from"], "accounting: Option '--from <value>' argument missing"],
    [["ingest"], "accounting: ingest needs --out DIR"],
    [["report", "--cache", "c", "--no-cache"], "accounting: --cache and --no-cache cannot go together"],
    [["ingest", "--out", "o", "--cache", ""], "accounting: --cache needs a folder"],
    [["frobnicate"], 'accounting: unknown command "frobnicate"; commands: report, ingest (see accounting --help)'],
  ])("%j: one line naming the problem, exit 2", async (args, message) => {
    const { code, stdout, stderr } = await runCli(args);
    expect([code, stdout, stderr]).toEqual([2, "", `${message}\n`]);
  });

  it.each([
    [["--from", "2030-01-01"], "accounting: the period is empty: it starts on 2030-01-01, after it ends on 2024-03-01 (the archive's last day)"],
    [["--to", "2024-02-29"], "accounting: the period is empty: it starts on 2024-03-01T06:00:00Z (the archive's first snapshot), after it ends on 2024-02-29"],
  ])("refuses the empty period %j with one line and exit 2, printing no number", async (period, message) => {
    const archive = writeArchive({ "2024-03-01T06:00:00.json": { vo: [jobJson()] }, "2024-03-01T12:00:00.json": { vo: [jobJson()] } });
    for (const format of ["table", "json", "csv"]) {
      const { code, stdout, stderr } = await runCli(["report", "--archive", archive, "--format", format, ...period]);
      expect([code, stdout, stderr]).toEqual([2, "", `${message}\n`]);
    }
  });

  it("says beside its numbers how much of the period the archive covers, what came before it, its gaps and known issues", async () => {
    const archive = writeArchive({
      "2024-03-01T06:00:00.json": { vo: [jobJson()] },
      "2024-03-01T12:00:00.json": { vo: [jobJson()] },
      "2024-03-02T12:00:00.json": { vo: [jobJson()] },
      "2024-03-02T18:00:00.json": { vo: [jobJson()] },
    });
    writeFileSync(join(archive, "known-issues.json"), JSON.stringify([{ from: "2024-03-02", to: "2024-03-02", title: "Cron stuck", description: "" }]));
    const table = await runCli(["report", "--archive", archive, "--from", "2024-02-28", "--to", "2024-03-03"]);
    expect(table.code).toBe(0);
    // The job started at 2024-03-01T00:00: 6 hours on 2 cores before the first snapshot.
    expect(table.stdout).toContain(
      [
        "Snapshots cover 1.5 days of the period's 5 days: the archive runs from 2024-03-01 06:00 UTC to 2024-03-02 18:00 UTC.",
        "Provisional: the period ends after the newest snapshot, so its numbers will grow as snapshots arrive.",
        "Of these numbers, 12 CPU core-hours and 6 GPU-hours were used before the first snapshot, by jobs already running when the archive starts.",
        "1 gap without a snapshot for more than 9 h (24 h in all; the longest 24 h from 2024-03-01 12:00 UTC): jobs that started and ended inside a gap are missing.",
        "Known issue, 2024-03-02: Cron stuck.",
      ].join("\n"),
    );
    const json = await runCli(["report", "--archive", archive, "--from", "2024-02-28", "--to", "2024-03-03", "--format", "json"]);
    const { coverage, total } = JSON.parse(json.stdout);
    expect(coverage).toMatchObject({ from: "2024-02-28", to: "2024-03-03", days: 5, covered_days: 1.5, provisional: true, gap_hours: 9 });
    expect(coverage.before_first_snapshot).toMatchObject({ cpu_num_hours: 12, gpu_num_hours: 6 });
    expect(total.cpu_num_hours).toBe(2 * 42);
    const csv = await runCli(["report", "--archive", archive, "--from", "2024-02-28", "--to", "2024-03-03", "--format", "csv"]);
    expect(csv.stdout.split("\n")[0]).toMatch(/^namespace,/);
    expect(csv.stderr).toContain("coverage: Snapshots cover 1.5 days of the period's 5 days");
  });

  it("warns about a broken known-issues file and reports all the same", async () => {
    const archive = writeArchive({ "2024-03-01T06:00:00.json": { vo: [jobJson()] } });
    writeFileSync(join(archive, "known-issues.json"), "[{");
    const { code, stderr } = await runCli(["report", "--archive", archive]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^warning: known issues file .*known-issues\.json: not JSON/);
  });

  it("exits 1 on an archive with no usable snapshot", async () => {
    const { code, stderr } = await runCli(["report", "--archive", writeArchive({ "2024-03-01T00:00:00.json": "" })]);
    expect(code).toBe(1);
    expect(stderr.split("\n").filter(Boolean).at(-1)).toMatch(/^accounting: no snapshot with jobs in .*snapshots$/);
  });

  it("documents every command and option in --help", async () => {
    const { code, stdout } = await runCli(["--help"]);
    expect(code).toBe(0);
    for (const word of ["report", "ingest", "--archive", "--from", "--to", "--mode", "--namespaces", "--format", "--out", "--private", "--cache", "--no-cache", "ACCOUNTING_PSEUDONYM_KEY", "ACCOUNTING_CACHE"]) expect(stdout).toContain(word);
    expect((await runCli(["report", "--help"])).stdout).toBe(stdout);
  });
});

describe("accounting ingest", () => {
  it("writes the Parquet tables and a one-paragraph summary", async () => {
    const out = temporaryFolder();
    const { code, stdout, stderr } = await runCli(["ingest", "--archive", REFERENCE_ARCHIVE, "--out", out], { ACCOUNTING_PSEUDONYM_KEY: "k" });
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^Read 161 snapshots from 2024-03-01T00:00:10.000000Z to 2024-04-14T18:00:26.000000Z in 3 namespaces: \d+ jobs, 570 intervals, \d+ users, 30 problems \(files or jobs skipped\)\. Wrote 5 Parquet files to .+\.\n$/,
    );
    expect(stderr).not.toContain("warning");
    expect(stderr.split("\n").filter(Boolean)).toHaveLength(31);
  });

  it("writes names, emails and job titles only with --private", async () => {
    const archive = writeArchive({ "2024-03-01T12:00:00.json": { vo: [jobJson({ title: "<b>Alice's thesis</b>" })] } });
    mkdirSync(join(archive, "users"));
    writeFileSync(join(archive, "users", "user-db.json"), JSON.stringify({ "alice@egi.eu": { name: "Alice", email: "alice@example.org" } }));
    const tables = async (...flags: string[]) => {
      const out = temporaryFolder();
      const { code, stdout } = await runCli(["ingest", "--archive", archive, "--out", out, "--no-cache", ...flags], { ACCOUNTING_PSEUDONYM_KEY: "k" });
      expect(code).toBe(0);
      const connection = await (await DuckDBInstance.create(":memory:")).connect();
      const read = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS();
      return {
        stdout,
        jobs: await read(`SELECT owner, title FROM '${join(out, "jobs.parquet")}'`),
        users: await read(`SELECT owner, name, email FROM '${join(out, "users.parquet")}'`),
      };
    };
    const published = await tables();
    expect(published.jobs).toEqual([{ owner: "alice@egi.eu", title: null }]);
    expect(published.users).toEqual([{ owner: "alice@egi.eu", name: null, email: null }]);
    const administrators = await tables("--private");
    expect(administrators.jobs).toEqual([{ owner: "alice@egi.eu", title: "<b>Alice's thesis</b>" }]);
    expect(administrators.users).toEqual([{ owner: "alice@egi.eu", name: "Alice", email: "alice@example.org" }]);
    expect(administrators.stdout).toContain("(PRIVATE: names, emails and job titles included, do not publish)");
  });

  it("warns when pseudonyms are random", async () => {
    const { stderr } = await runCli(["ingest", "--archive", REFERENCE_ARCHIVE, "--out", temporaryFolder()]);
    expect(stderr).toContain("warning: ACCOUNTING_PSEUDONYM_KEY is not set");
  });
});

describe("the ingest cache of the command line", () => {
  it("lets report reuse what ingest read, and --no-cache read the archive again", async () => {
    const archive = writeArchive({
      "2024-03-01T00:00:00.json": { vo: [jobJson()] },
      "2024-03-01T06:00:00.json": { vo: [jobJson()] },
    });
    const path = join(archive, "snapshots", "2024-03-01T06:00:00.json");
    const modified = new Date("2024-03-01T06:00:05Z");
    utimesSync(path, modified, modified);
    const cache = temporaryFolder();
    expect((await runCli(["ingest", "--archive", archive, "--out", temporaryFolder(), "--cache", cache], { ACCOUNTING_PSEUDONYM_KEY: "k" })).code).toBe(0);
    writeFileSync(path, JSON.stringify({ vo: [jobJson({ status: "queued" })] }).padEnd(statSync(path).size));
    utimesSync(path, modified, modified);
    const hours = async (...args: string[]) => JSON.parse((await runCli(["report", "--archive", archive, "--format", "json", ...args])).stdout).total.cpu_num_hours;
    expect(await hours("--cache", cache)).toBe(12);
    expect(await hours("--no-cache")).toBe(0);
    expect(await hours("--cache", cache)).toBe(12);
    expect(await hours(), "the default cache folder is another one").toBe(0);
    expect(await hours("--cache", temporaryFolder())).toBe(0);
  });

  it("goes on without a cache it cannot use, with a warning", async () => {
    const file = join(temporaryFolder(), "file");
    writeFileSync(file, "");
    const { code, stderr } = await runCli(["report", "--archive", REFERENCE_ARCHIVE, "--cache", join(file, "cache")]);
    expect(code).toBe(0);
    expect(stderr.split("\n")[0]).toMatch(/^warning: ingest cache .+ not used \(.+\): reading the whole archive$/);
  });
});

describe("the accounting executable", () => {
  it("runs as npx runs it, and fails without a stack trace", async () => {
    const ok = await run("node", ["bin/accounting.js", "report", "--archive", REFERENCE_ARCHIVE, "--format", "json"]);
    expect(JSON.parse(ok.stdout).total.jobs).toBe(548);
    const failed = await run("node", ["bin/accounting.js", "report", "--mode", "x"]).catch((error) => error);
    expect([failed.code, failed.stderr]).toEqual([2, 'accounting: --mode must be exact or compat, not "x"\n']);
  });
});
