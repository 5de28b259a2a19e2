import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { METRICS } from "../../loaders/queries/report.js";
import { jobJson, temporaryFolder, writeArchive } from "../helpers/archive.js";
import { isStamped } from "../helpers/cache.js";
import { runCli } from "../helpers/cli.js";
import { INGEST_OUTPUT } from "../helpers/tables.js";
import { REFERENCE_ARCHIVE, REFERENCE_NAMESPACES, referencePeriods, upstreamView } from "../helpers/reference.js";

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
    const { stdout } = await runCli([
      "report",
      "--archive",
      REFERENCE_ARCHIVE,
      "--format",
      "json",
      "--mode",
      "compat",
      "--namespaces",
      REFERENCE_NAMESPACES.join(","),
    ]);
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

  it("prints CSV with exact hours and a total row, told apart from namespaces by the first column", async () => {
    const { stdout } = await runCli(["report", "--archive", REFERENCE_ARCHIVE, "--format", "csv", "--namespaces", "imagine"]);
    const [header, imagine, total, end] = stdout.split("\n");
    expect(header).toBe(`row,namespace,${METRICS.join(",")}`);
    expect(imagine!.startsWith("namespace,imagine,32990.3157")).toBe(true);
    expect(total!.startsWith("total,,32990.3157")).toBe(true);
    expect(end).toBe("");
  });

  it("keeps a hostile namespace inert in the table, JSON and CSV: control characters escaped, JSON parsed back exact", async () => {
    // Clears the screen, sets the window's title, turns text red and reverses what follows; then a C1 control.
    const hostile = "vo\u001b[2J\u001b]0;owned\u0007\u001b[31m\u202eevil\u009b";
    const archive = writeArchive({ "2024-03-01T00:00:00.json": { [hostile]: [jobJson()] }, "2024-03-01T06:00:00.json": { [hostile]: [jobJson()] } });
    writeFileSync(
      join(archive, "known-issues.json"),
      JSON.stringify([{ from: "2024-03-01", to: "2024-03-01", title: "Cron\u001b[2J stuck", description: "" }]),
    );
    const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
    const run = async (format: string) => {
      const { code, stdout, stderr } = await runCli(["report", "--archive", archive, "--format", format]);
      expect(code).toBe(0);
      expect(stdout).not.toMatch(RAW_CONTROL);
      expect(stderr).not.toMatch(RAW_CONTROL);
      return stdout;
    };
    const table = await run("table");
    expect(table).toContain("VO\\x1b[2J\\x1b]0;OWNED\\x07\\x1b[31M\\u202eEVIL\\x9b accounting for the period 2024-03-01:2024-03-01");
    expect(table).toContain("Known issue, 2024-03-01: Cron\\x1b[2J stuck.");
    const json = await run("json");
    expect(json).toContain('"vo\\u001b[2J\\u001b]0;owned\\u0007\\u001b[31m\\u202eevil\\u009b"');
    expect(Object.keys(JSON.parse(json).namespaces)).toEqual([hostile]);
    const csv = await run("csv");
    expect(csv.split("\n")[1]).toMatch(/^namespace,vo\\x1b\[2J\\x1b\]0;owned\\x07\\x1b\[31m\\u202eevil\\x9b,12,/);
  });

  it("counts skipped files and jobs per reason on stderr, the most frequent first, the report on stdout", async () => {
    const archive = writeArchive({
      "2024-03-01T00:00:00.json": { vo: [jobJson(), jobJson({ job_ID: "bad", resources: "lots" })] },
      "2024-03-01T06:00:00.json": "{ truncated",
      "2024-03-01T12:00:00.json": { vo: [jobJson(), jobJson({ job_ID: "bad", resources: "lots" })] },
      "2024-03-01T18:00:00.json": "",
    });
    const { code, stdout, stderr } = await runCli(["report", "--archive", archive, "--format", "json"]);
    expect(code).toBe(0);
    expect(stderr.split("\n")).toEqual([
      "accounting: skipped 2 jobs in 2 files: resources is not an object",
      "accounting: skipped 1 file: empty file",
      "accounting: skipped 1 file: not valid JSON",
      "accounting: 4 files or jobs skipped: every number is what it would be without them; --problems all lists each one",
      "",
    ]);
    expect(JSON.parse(stdout).total.cpu_num_hours).toBe(24);
  });

  it("shows the 10 most frequent reasons and counts the others in one line", async () => {
    const resources = jobJson().resources as Record<string, number>;
    // Twelve kinds of fault: each resource negative, then absurd; resources not an object; an owner that is a number.
    const faults = [
      ...Object.keys(resources).map((name) => ({ resources: { ...resources, [name]: -1 } })),
      ...Object.keys(resources).map((name) => ({ resources: { ...resources, [name]: 1e300 } })),
      { resources: "lots" },
      { owner: 12345 },
    ];
    const jobs = faults.map((fault, n) => jobJson({ job_ID: `bad-${n}`, ...fault }));
    const archive = writeArchive({ "2024-03-01T00:00:00.json": { vo: [jobJson(), ...jobs, jobs[11]] } });
    const { stderr } = await runCli(["report", "--archive", archive, "--no-cache"]);
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe("accounting: skipped 2 jobs in 1 file: owner is not a non-empty string");
    expect(lines[1]).toBe("accounting: skipped 1 job in 1 file: resources is not an object");
    expect(lines[2]).toBe("accounting: skipped 1 job in 1 file: resources.cpu_MHz is more than one job can hold");
    expect(lines[9]).toBe("accounting: skipped 1 job in 1 file: resources.gpu_num is not a non-negative number");
    expect(lines.slice(10)).toEqual([
      "accounting: and 2 more reasons: 2 files or jobs",
      "accounting: 13 files or jobs skipped: every number is what it would be without them; --problems all lists each one",
    ]);
  });

  it("lists every skipped file and job with --problems all, and none with --problems none", async () => {
    const archive = writeArchive({
      "2024-03-01T00:00:00.json": { vo: [jobJson(), jobJson({ job_ID: "bad", resources: "lots" })] },
      "2024-03-01T06:00:00.json": "{ truncated",
      "2024-03-01T12:00:00.json": { vo: [jobJson()] },
    });
    const all = await runCli(["report", "--archive", archive, "--format", "json", "--problems", "all"]);
    expect(all.code).toBe(0);
    expect(all.stderr.split("\n")).toEqual([
      'accounting: skipped snapshots/2024-03-01T00:00:00.json vo job bad: resources is not an object (the string "lots")',
      expect.stringMatching(/^accounting: skipped snapshots\/2024-03-01T06:00:00.json: not valid JSON \(.+ in JSON at position 2\)$/),
      "accounting: 2 files or jobs skipped: every number is what it would be without them",
      "",
    ]);
    const none = await runCli(["report", "--archive", archive, "--format", "json", "--problems", "none"]);
    expect([none.code, none.stderr, none.stdout]).toEqual([0, "", all.stdout]);
  });

  it("says what the archive holds in one line per message, control characters escaped", async () => {
    const namespace = "vo\n\u001b[31mred\u202e\u009b";
    const archive = writeArchive({
      "2024-03-01T00:00:00.json": { [namespace]: [jobJson(), jobJson({ job_ID: "bad\rjob\u2066", resources: "a\nb\u001b]0;x\u0007" })] },
    });
    for (const problems of ["summary", "all"]) {
      const { code, stderr } = await runCli(["report", "--archive", archive, "--problems", problems]);
      expect(code).toBe(0);
      expect(stderr).not.toMatch(/[\r\u001b\u0007\u009b\u202e\u2066]/);
      for (const line of stderr.trim().split("\n")) expect(line).toMatch(/^accounting: /);
    }
    const all = await runCli(["report", "--archive", archive, "--problems", "all"]);
    expect(all.stderr.split("\n")[0]).toBe(
      'accounting: skipped snapshots/2024-03-01T00:00:00.json vo\\x0a\\x1b[31mred\\u202e\\x9b job bad\\x0djob\\u2066: resources is not an object (the string "a\\nb\\u001b]0;x\\u0007")',
    );
  });

  it("prints nothing but the report with --quiet: no progress bar, no warning, no problem", async () => {
    const archive = writeArchive({
      "2024-03-01T00:00:00.json": { vo: [jobJson(), jobJson({ job_ID: "bad", resources: "lots" })] },
      "2024-03-01T06:00:00.json": "{ truncated",
    });
    const file = join(temporaryFolder(), "file");
    writeFileSync(file, "");
    const args = ["report", "--archive", archive, "--format", "json", "--cache", join(file, "cache")];
    const loud = await runCli(args, {}, { isTTY: true });
    expect(loud.stderr).toContain("\rfiles [");
    expect(loud.stderr).toContain("accounting: warning: ingest cache ");
    expect(loud.stderr).toContain("accounting: skipped 1 job in 1 file: ");
    const quiet = await runCli([...args, "--quiet"], {}, { isTTY: true });
    expect([quiet.code, quiet.stderr, quiet.stdout]).toEqual([0, "", loud.stdout]);
  });

  it.each([
    [["report", "--frm", "2024-01-01"], "accounting: unknown option '--frm'"],
    [["report", "--from", "2024-02-30"], 'accounting: --from "2024-02-30" is not a date (YYYY-MM-DD)'],
    [["report", "--to", "01/03/2024"], 'accounting: --to "01/03/2024" is not a date (YYYY-MM-DD)'],
    [["report", "--from", "2024-04-02", "--to", "2024-04-01"], "accounting: --from 2024-04-02 is after --to 2024-04-01"],
    [["report", "--mode", "fast"], 'accounting: --mode must be exact or compat, not "fast"'],
    [["report", "--format", "xml"], 'accounting: --format must be table or json or csv, not "xml"'],
    [["report", "--namespaces", "a,,b"], 'accounting: --namespaces "a,,b" has an empty name'],
    [["report", "--archive", "/no/such/archive"], "accounting: archive not found: /no/such/archive"],
    [["check", "--archive", "/no/such/archive"], "accounting: archive not found: /no/such/archive"],
    [
      ["report", "--archive", REFERENCE_ARCHIVE, "--namespaces", "ai4eosc,nope"],
      'accounting: unknown account "nope"; the archive has ai4eosc, ai4life, imagine',
    ],
    [["report", "extra"], "accounting: unexpected argument 'extra'"],
    [["report", "--from"], "accounting: option '--from <value>' argument missing"],
    [["ingest"], "accounting: ingest needs --out DIR"],
    [["ingest", "--out", ""], "accounting: ingest needs --out DIR"],
    [["report", "--problems", "some"], 'accounting: --problems must be summary or all or none, not "some"'],
    [["report", "--quiet", "--problems", "all"], "accounting: --quiet lists no problem: it cannot go with --problems all"],
    [["report", "--cache", "c", "--no-cache"], "accounting: --cache and --no-cache cannot go together"],
    [["ingest", "--out", "o", "--cache", ""], "accounting: --cache needs a folder"],
    [["check", "--no-cache", "--verify-content"], "accounting: --verify-content checks the ingest cache: it cannot go with --no-cache"],
    [
      ["frobnicate"],
      'accounting: unknown command "frobnicate"; commands: report, ingest, summarize, balance, check, collect, snapshot, users, key (see accounting --help)',
    ],
    [
      ["--bogus"],
      'accounting: unknown option "--bogus" before any command; commands: report, ingest, summarize, balance, check, collect, snapshot, users, key (see accounting --help)',
    ],
    [["report", "--from", "-5"], "accounting: option '--from' argument is ambiguous (a value starting with a dash: --from=-…)"],
    [["check", "--max-age", "-1"], "accounting: option '--max-age' argument is ambiguous (a value starting with a dash: --max-age=-…)"],
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
    expect(csv.stdout.split("\n")[0]).toMatch(/^row,namespace,/);
    expect(csv.stderr).toContain("accounting: coverage: Snapshots cover 1.5 days of the period's 5 days");
  });

  it("warns about a broken known-issues file and reports all the same", async () => {
    const archive = writeArchive({ "2024-03-01T06:00:00.json": { vo: [jobJson()] } });
    writeFileSync(join(archive, "known-issues.json"), "[{");
    const { code, stderr } = await runCli(["report", "--archive", archive]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^accounting: warning: known issues file .*known-issues\.json: not JSON/);
  });

  it("exits 1 on an archive with no usable snapshot, saying why in one line", async () => {
    const archive = writeArchive({
      "1999-12-31T00:00:00.json": { vo: [jobJson()] },
      "2024-03-01T00:00:00.json": "",
      "2024-03-01T06:00:00.json": "{ truncated",
      "2024-03-01T12:00:00.json": "[]",
      "2024-03-01T18:00:00.json": " ",
      "2024-03-02T00:00:00.json": Uint8Array.of(0x7b, 0),
    });
    const why =
      /^accounting: no snapshot with jobs in .+\/snapshots: 6 files skipped, 2: empty file; 1: binary file \(NUL byte\), not JSON; 1: not valid JSON; and 2 more reasons$/;
    for (const quiet of [[], ["--quiet"]]) {
      const { code, stdout, stderr } = await runCli(["report", "--archive", archive, ...quiet]);
      expect([code, stdout]).toEqual([1, ""]);
      expect(stderr).toMatch(new RegExp(`${why.source.slice(0, -1)}\n$`));
    }
    const empty = await runCli(["report", "--archive", writeArchive({ "2024-03-01T00:00:00.json": {} })]);
    expect([empty.code, empty.stderr]).toEqual([
      1,
      expect.stringMatching(/^accounting: no snapshot with jobs in .+\/snapshots: no \.json file there lists a namespace\n$/),
    ]);
  });

  it("documents every command and option in --help", async () => {
    const { code, stdout } = await runCli(["--help"]);
    expect(code).toBe(0);
    const words = [
      "report",
      "ingest",
      "check",
      "--archive",
      "--from",
      "--to",
      "--mode",
      "--namespaces",
      "--format",
      "--out",
      "--private",
      "--max-age",
      "--cache",
      "--no-cache",
      "--verify-content",
      "snapshot",
      "users update",
      "--nomad",
      "--token-file",
      "NOMAD_ADDR",
      "NOMAD_TOKEN",
      "NOMAD_CACERT",
      "NOMAD_CLIENT_CERT",
      "NOMAD_CLIENT_KEY",
      "NOMAD_TLS_SERVER_NAME",
    ];
    for (const word of [...words, "--quiet", "--problems", "--version", "ACCOUNTING_PSEUDONYM_KEY", "ACCOUNTING_CACHE", "Exit status"])
      expect(stdout).toContain(word);
    for (const command of ["report", "ingest", "check"]) expect((await runCli([command, "--help"])).stdout).toBe(stdout);
    for (const command of [["snapshot"], ["users", "update"], ["users"]]) expect((await runCli([...command, "--help"])).stdout).toBe(stdout);
  });

  it("prints the version of package.json with --version", async () => {
    const { version } = JSON.parse(readFileSync("package.json", "utf8"));
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    for (const args of [["--version"], ["report", "--version"], ["check", "--version"]])
      expect(await runCli(args)).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });
});

describe("accounting ingest", () => {
  it("writes the Parquet tables and a one-paragraph summary", async () => {
    const out = temporaryFolder();
    const { code, stdout, stderr } = await runCli(["ingest", "--archive", REFERENCE_ARCHIVE, "--out", out], {
      ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef",
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^Read 161 snapshots from 2024-03-01T00:00:10.000000Z to 2024-04-14T18:00:26.000000Z in 3 namespaces: \d+ jobs, 570 intervals, \d+ users, 30 problems \(files, lines or jobs skipped\)\. Wrote 12 Parquet files to .+\.\n$/,
    );
    expect(stderr).toBe(
      [
        "accounting: skipped 29 jobs in 28 files: running job with no alloc_start",
        "accounting: skipped 1 job in 1 file: dead job with no alloc_end",
        "accounting: 30 files or jobs skipped: every number is what it would be without them; --problems all lists each one",
        "",
      ].join("\n"),
    );
  });

  it("writes files readable by their owner only, in folders it creates for its owner only, the large tables by month", async () => {
    const created = join(temporaryFolder(), "new", "out");
    expect(
      (await runCli(["ingest", "--archive", REFERENCE_ARCHIVE, "--out", created], { ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" })).code,
    ).toBe(0);
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(created)).toBe(0o700);
    // A folder of the layout before tables were cut by month: written by this command, replaced.
    const existing = temporaryFolder();
    chmodSync(existing, 0o755);
    writeFileSync(join(existing, "intervals.parquet"), "older");
    chmodSync(join(existing, "intervals.parquet"), 0o644);
    expect(
      (await runCli(["ingest", "--archive", REFERENCE_ARCHIVE, "--out", existing], { ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" })).code,
    ).toBe(0);
    for (const folder of [created, existing]) {
      expect(readdirSync(folder).sort()).toEqual(INGEST_OUTPUT);
      const entries = readdirSync(folder, { recursive: true, withFileTypes: true });
      const relative = (entry: (typeof entries)[number]) => join(entry.parentPath, entry.name).slice(folder.length + 1);
      expect(
        entries
          .filter((entry) => entry.isFile())
          .map(relative)
          .filter((path) => path.startsWith("intervals/"))
          .sort(),
      ).toEqual(["intervals/year=2024/month=2/data_0.parquet", "intervals/year=2024/month=3/data_0.parquet", "intervals/year=2024/month=4/data_0.parquet"]);
      expect(entries.filter((entry) => entry.isFile())).toHaveLength(13);
      for (const entry of entries)
        expect([relative(entry), mode(join(entry.parentPath, entry.name))]).toEqual([relative(entry), entry.isFile() ? 0o600 : 0o700]);
    }
    expect(
      readFileSync(join(existing, "intervals", "year=2024", "month=3", "data_0.parquet"))
        .subarray(0, 4)
        .toString(),
    ).toBe("PAR1");
    // The folder replaced keeps its mode, and nothing is left beside it.
    expect(mode(existing)).toBe(0o755);
    expect(readdirSync(dirname(existing)).filter((name) => name.includes(".accounting-"))).toEqual([]);
  });

  it.each([
    ["beside the tables", "notes.txt", /\(notes\.txt\)/],
    ["in a table's folder", "intervals/notes.txt", /\(intervals\/notes\.txt\)/],
    ["in a month's folder", "jobs/year=2024/month=3/notes.txt", /\(jobs\/year=2024\/month=3\/notes\.txt\)/],
    ["named as a table's folder", "accounts/data_0.parquet", /\(accounts\)/],
  ])("refuses, with one line and exit 2, a folder holding a file it did not write (%s), and loses none", async (_, foreign, named) => {
    const existing = temporaryFolder();
    mkdirSync(join(existing, "intervals", "year=2024", "month=3"), { recursive: true });
    writeFileSync(join(existing, "intervals", "year=2024", "month=3", "data_0.parquet"), "older");
    mkdirSync(dirname(join(existing, foreign)), { recursive: true });
    writeFileSync(join(existing, foreign), "mine");
    const { code, stdout, stderr } = await runCli(["ingest", "--archive", REFERENCE_ARCHIVE, "--out", existing, "--quiet"], {
      ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef",
    });
    expect([code, stdout]).toEqual([2, ""]);
    expect(stderr).toMatch(/^accounting: .+ holds a file not written by this command \(.+\): name an empty or new folder\n$/);
    expect(stderr).toMatch(named);
    expect(readFileSync(join(existing, foreign), "utf8")).toBe("mine");
    expect(readFileSync(join(existing, "intervals", "year=2024", "month=3", "data_0.parquet"), "utf8")).toBe("older");
  });

  it("exits 3 with one line when it cannot write the tables, and leaves the cache it read them from to be checked whole", async () => {
    const file = join(temporaryFolder(), "file");
    writeFileSync(file, "");
    const cache = temporaryFolder();
    const ingest = (out: string) =>
      runCli(["ingest", "--archive", REFERENCE_ARCHIVE, "--out", out, "--cache", cache, "--quiet"], {
        ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef",
      });
    expect((await ingest(temporaryFolder())).code).toBe(0);
    expect(isStamped(cache)).toBe(true);
    const { code, stdout, stderr } = await ingest(join(file, "out"));
    expect([code, stdout]).toEqual([3, ""]);
    expect(stderr).toMatch(/^accounting: cannot write the tables into .+\/file\/out: E(NOTDIR|EXIST): [^\n]+\n$/);
    // It read the tables in the cache (in place): the next run hashes every row of it before trusting it again.
    expect(isStamped(cache)).toBe(false);
    expect((await ingest(temporaryFolder())).code).toBe(0);
    expect(isStamped(cache)).toBe(true);
  });

  it("writes names, emails, job titles and what skipped files and jobs held only with --private", async () => {
    const archive = writeArchive({
      "2024-03-01T12:00:00.json": { vo: [jobJson({ title: "<b>Alice's thesis</b>" }), jobJson({ job_ID: "bad", alloc_start: "alice@example.org" })] },
      "2024-03-01T18:00:00.json": "<script>alert(1)</script>",
    });
    mkdirSync(join(archive, "users"));
    writeFileSync(join(archive, "users", "user-db.json"), JSON.stringify({ "alice@egi.eu": { name: "Alice", email: "alice@example.org" } }));
    const tables = async (...flags: string[]) => {
      const out = temporaryFolder();
      const { code, stdout } = await runCli(["ingest", "--archive", archive, "--out", out, "--no-cache", ...flags], {
        ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef",
      });
      expect(code).toBe(0);
      const connection = await (await DuckDBInstance.create(":memory:")).connect();
      const read = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS();
      return {
        stdout,
        jobs: await read(`SELECT owner, title FROM read_parquet('${join(out, "jobs", "**", "*.parquet")}')`),
        users: await read(`SELECT owner, name, email FROM '${join(out, "users.parquet")}'`),
        problems: await read(`SELECT job, reason, detail FROM '${join(out, "problems.parquet")}' ORDER BY file`),
      };
    };
    const published = await tables();
    expect(published.jobs).toEqual([{ owner: "alice@egi.eu", title: null }]);
    expect(published.users).toEqual([{ owner: "alice@egi.eu", name: null, email: null }]);
    expect(published.problems).toEqual([
      { job: "bad", reason: "alloc_start is not a valid time", detail: null },
      { job: null, reason: "not valid JSON", detail: null },
    ]);
    const administrators = await tables("--private");
    expect(administrators.jobs).toEqual([{ owner: "alice@egi.eu", title: "<b>Alice's thesis</b>" }]);
    expect(administrators.users).toEqual([{ owner: "alice@egi.eu", name: "Alice", email: "alice@example.org" }]);
    expect(administrators.problems).toEqual([
      { job: "bad", reason: "alloc_start is not a valid time", detail: 'the string "alice@example.org"' },
      { job: null, reason: "not valid JSON", detail: expect.stringContaining('"<script>al') },
    ]);
    expect(administrators.stdout).toContain("(PRIVATE: names, emails, job titles and problem details included, do not publish)");
  });

  it("refuses a short pseudonym key with one line and exit 2, and `accounting key` makes a good one", async () => {
    const out = temporaryFolder();
    const weak = await runCli(["ingest", "--archive", REFERENCE_ARCHIVE, "--out", join(out, "tables")], { ACCOUNTING_PSEUDONYM_KEY: "secret" });
    expect([weak.code, weak.stdout, weak.stderr]).toEqual([
      2,
      "",
      "accounting: ACCOUNTING_PSEUDONYM_KEY must be at least 32 hexadecimal digits of randomness (it has 6 characters, not all hexadecimal): `accounting key` makes one\n",
    ]);
    expect(readdirSync(out)).toEqual([]);
    const keys = await Promise.all([runCli(["key"]), runCli(["key"])]);
    for (const { code, stdout, stderr } of keys) expect([code, stderr, stdout]).toEqual([0, "", expect.stringMatching(/^[0-9a-f]{64}\n$/)]);
    expect(keys[0]!.stdout).not.toBe(keys[1]!.stdout);
    const good = await runCli(["ingest", "--archive", REFERENCE_ARCHIVE, "--out", join(out, "tables"), "--quiet"], {
      ACCOUNTING_PSEUDONYM_KEY: keys[0]!.stdout.trim(),
    });
    expect(good.code).toBe(0);
    expect((await runCli(["key", "extra"])).code).toBe(2);
  });

  it("warns when pseudonyms are random", async () => {
    const { stderr } = await runCli(["ingest", "--archive", REFERENCE_ARCHIVE, "--out", temporaryFolder()]);
    expect(stderr).toContain("accounting: warning: ACCOUNTING_PSEUDONYM_KEY is not set: pseudonyms are random and change from one run to the next\n");
    const quiet = await runCli(["ingest", "--archive", REFERENCE_ARCHIVE, "--out", temporaryFolder(), "--quiet"]);
    expect([quiet.code, quiet.stderr]).toEqual([0, ""]);
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
    expect(
      (
        await runCli(["ingest", "--archive", archive, "--out", temporaryFolder(), "--cache", cache], {
          ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef",
        })
      ).code,
    ).toBe(0);
    writeFileSync(path, JSON.stringify({ vo: [jobJson({ status: "queued" })] }).padEnd(statSync(path).size));
    utimesSync(path, modified, modified);
    const hours = async (...args: string[]) =>
      JSON.parse((await runCli(["report", "--archive", archive, "--format", "json", ...args])).stdout).total.cpu_num_hours;
    expect(await hours("--cache", cache)).toBe(12);
    expect(await hours("--no-cache")).toBe(0);
    expect(await hours("--cache", cache)).toBe(12);
    expect(await hours(), "the default cache folder is another one").toBe(0);
    expect(await hours("--cache", temporaryFolder())).toBe(0);
  });

  it("reads again, with --verify-content, a snapshot corrected with the same size and modification time; without, the cache hides it", async () => {
    const archive = writeArchive({ "2024-03-01T00:00:00.json": { vo: [jobJson()] }, "2024-03-01T06:00:00.json": { vo: [jobJson()] } });
    const path = join(archive, "snapshots", "2024-03-01T06:00:00.json");
    const dated = new Date("2024-03-01T06:00:00Z");
    utimesSync(path, dated, dated);
    /** The operators correct the snapshot's cores, and the file keeps its size; the workflow dates it by its name again. */
    const correct = (cores: number) => {
      writeFileSync(path, readFileSync(path, "utf8").replace(/"cpu_num":\d/, `"cpu_num":${cores}`));
      utimesSync(path, dated, dated);
    };
    const cache = temporaryFolder();
    const run = (command: string, ...args: string[]) =>
      runCli(
        [command, "--archive", archive, "--cache", cache, ...args],
        { ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" },
        { now: () => Date.parse("2024-03-01T07:00:00Z") },
      );
    const hours = async (...args: string[]) => JSON.parse((await run("report", "--format", "json", ...args)).stdout).total.cpu_num_hours;
    expect(await hours()).toBe(12);
    correct(4);
    expect(await hours(), "name, size and time alone: the cache's numbers stand").toBe(12);
    expect(await hours("--verify-content"), "a cache written without hashes is not trusted").toBe(24);
    correct(3);
    expect(await hours("--verify-content"), "hashes told apart").toBe(18);
    correct(5);
    expect((await run("ingest", "--out", temporaryFolder(), "--verify-content")).code).toBe(0);
    expect(await hours(), "what ingest read again, in the cache").toBe(30);
    correct(1);
    expect((await run("check", "--verify-content")).stdout).toBe("ok: newest snapshot 2024-03-01T06:00:00Z, 1.0 h old (limit 12.0 h)\n");
    expect(await hours()).toBe(6);
  });

  it("goes on without a cache it cannot use, with a warning", async () => {
    const file = join(temporaryFolder(), "file");
    writeFileSync(file, "");
    const { code, stderr } = await runCli(["report", "--archive", REFERENCE_ARCHIVE, "--cache", join(file, "cache")]);
    expect(code).toBe(0);
    expect(stderr.split("\n")[0]).toMatch(/^accounting: warning: ingest cache .+ cannot be written \(.+\): reading the whole archive$/);
  });
});

describe("accounting check", () => {
  /** An archive of snapshots `hours` apart, from 2024-03-01 00:00 UTC on; `broken` files after them. */
  const archiveEvery = (hours: number, count: number, broken: Record<string, unknown> = {}) =>
    writeArchive({
      ...Object.fromEntries(
        Array.from({ length: count }, (_, n) => [`${new Date(Date.UTC(2024, 2, 1, n * hours)).toISOString().slice(0, 19)}.json`, { vo: [jobJson()] }]),
      ),
      ...broken,
    });
  const hoursAfter = (time: string, hours: number) => () => Date.parse(time) + hours * 3_600_000;
  const check = (archive: string, now: () => number, ...args: string[]) => runCli(["check", "--archive", archive, ...args], {}, { now });

  it("passes while the newest snapshot is younger than twice the time between snapshots", async () => {
    const archive = archiveEvery(6, 4);
    expect(await check(archive, hoursAfter("2024-03-01T18:00:00Z", 3.1))).toEqual({
      code: 0,
      stdout: "ok: newest snapshot 2024-03-01T18:00:00Z, 3.1 h old (limit 12.0 h)\n",
      stderr: "",
    });
    expect(await check(archive, hoursAfter("2024-03-01T18:00:00Z", 30.2))).toEqual({
      code: 1,
      stdout: "",
      stderr: "accounting: the newest snapshot, 2024-03-01T18:00:00Z, is 30.2 h old; more than the 12.0 h allowed\n",
    });
  });

  it("takes its default limit from the archive's cadence: 8 h for snapshots every 4 h", async () => {
    const archive = archiveEvery(4, 5);
    const young = await check(archive, hoursAfter("2024-03-01T16:00:00Z", 7.9));
    expect([young.code, young.stdout]).toEqual([0, "ok: newest snapshot 2024-03-01T16:00:00Z, 7.9 h old (limit 8.0 h)\n"]);
    const old = await check(archive, hoursAfter("2024-03-01T16:00:00Z", 8.1));
    expect([old.code, old.stderr]).toEqual([1, "accounting: the newest snapshot, 2024-03-01T16:00:00Z, is 8.1 h old; more than the 8.0 h allowed\n"]);
  });

  it("goes by --max-age when given", async () => {
    const archive = archiveEvery(6, 4);
    const now = hoursAfter("2024-03-01T18:00:00Z", 3.1);
    expect(await check(archive, now, "--max-age", "2.5")).toEqual({
      code: 1,
      stdout: "",
      stderr: "accounting: the newest snapshot, 2024-03-01T18:00:00Z, is 3.1 h old; more than the 2.5 h allowed\n",
    });
    expect((await check(archive, now, "--max-age", "4")).stdout).toBe("ok: newest snapshot 2024-03-01T18:00:00Z, 3.1 h old (limit 4.0 h)\n");
  });

  it("counts only usable snapshots, and tells the problems as report does", async () => {
    const archive = archiveEvery(6, 3, { "2024-03-01T18:00:00.json": "{ truncated" });
    const { code, stdout, stderr } = await check(archive, hoursAfter("2024-03-01T18:00:00Z", 1));
    expect([code, stdout]).toEqual([0, "ok: newest snapshot 2024-03-01T12:00:00Z, 7.0 h old (limit 12.0 h)\n"]);
    expect(stderr).toMatch(/^accounting: skipped 1 file: not valid JSON\naccounting: 1 file or job skipped: .+\n$/);
  });

  it("prints nothing with --quiet when it passes, and the one line when it fails", async () => {
    const archive = archiveEvery(6, 3, { "2024-03-01T18:00:00.json": "{ truncated" });
    expect(await check(archive, hoursAfter("2024-03-01T12:00:00Z", 11), "--quiet")).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await check(archive, hoursAfter("2024-03-01T12:00:00Z", 13), "--quiet")).toEqual({
      code: 1,
      stdout: "",
      stderr: "accounting: the newest snapshot, 2024-03-01T12:00:00Z, is 13.0 h old; more than the 12.0 h allowed\n",
    });
  });

  it("needs --max-age on an archive of a single snapshot", async () => {
    const archive = archiveEvery(6, 1);
    const now = hoursAfter("2024-03-01T00:00:00Z", 5);
    expect(await check(archive, now)).toEqual({
      code: 2,
      stdout: "",
      stderr: "accounting: the archive has a single snapshot, so no time between snapshots to go by: give --max-age HOURS\n",
    });
    expect((await check(archive, now, "--max-age", "6")).code).toBe(0);
  });

  it("exits 1 when the archive has no usable snapshot", async () => {
    const { code, stderr } = await check(writeArchive({ "2024-03-01T00:00:00.json": "" }), Date.now);
    expect([code, stderr]).toEqual([1, expect.stringMatching(/^accounting: no snapshot with jobs in .+: 1 file skipped, 1: empty file\n$/)]);
  });

  it.each(["0", "-1", "x", "1e3", "", "12h"])("refuses --max-age=%j with one line, exit 2", async (value) => {
    expect(await runCli(["check", "--archive", REFERENCE_ARCHIVE, `--max-age=${value}`])).toEqual({
      code: 2,
      stdout: "",
      stderr: `accounting: --max-age must be a positive number of hours, not ${JSON.stringify(value)}\n`,
    });
  });
});
