import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateArchive } from "../../scripts/archive-generator.js";
import { jobJson, temporaryFolder, writeArchive } from "../helpers/archive.js";
import { runCli } from "../helpers/cli.js";
import { REFERENCE, REFERENCE_ARCHIVE, REFERENCE_NAMESPACES } from "../helpers/reference.js";
import { upstreamSummaries } from "../helpers/upstream-summaries.js";

const SUMMARIES = join(REFERENCE, "summaries");
const MIXED = join(REFERENCE, "..", "archives", "mixed");
const KINDS = ["timeseries", "users-agg", "full-agg"];

/** Every file of a folder, name -> text. */
function filesOf(folder: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(folder)
      .sort()
      .map((name) => [name, readFileSync(join(folder, name), "utf8")]),
  );
}

async function summarize(archive: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string; out: string }> {
  const out = join(temporaryFolder(), "summaries");
  const run = await runCli(["summarize", "--archive", archive, "--out", out, "--no-cache", ...args]);
  return { ...run, out };
}

describe("accounting summarize", () => {
  it("writes upstream summarize.py's files of the reference archive, cell for cell", async () => {
    const { code, stdout, out } = await summarize(REFERENCE_ARCHIVE, "--quiet");
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^Summarized 161 snapshots from 2024-03-01T00:00:10\.000000Z to 2024-04-14T18:00:26\.000000Z for 3 namespaces: wrote 9 files to .+\/summaries\.\n$/,
    );
    const expected = filesOf(SUMMARIES);
    expect(Object.keys(expected)).toHaveLength(9);
    expect(filesOf(out)).toEqual(expected);
  });

  it("gives the same files for the namespaces named, in any order, and for every namespace by default", async () => {
    const { code, out } = await summarize(REFERENCE_ARCHIVE, "--quiet", "--namespaces", [...REFERENCE_NAMESPACES].reverse().join(","));
    expect(code).toBe(0);
    expect(filesOf(out)).toEqual(filesOf(SUMMARIES));
  });

  it("with --private, joins the user database as merge-userdb-stats.py: its users in its order, numbers per day", async () => {
    const { code, stdout, out } = await summarize(REFERENCE_ARCHIVE, "--quiet", "--private");
    expect(code).toBe(0);
    expect(stdout).toContain("(PRIVATE: users' names and emails included, do not publish)");
    const database = JSON.parse(readFileSync(join(REFERENCE_ARCHIVE, "users", "user-db.json"), "utf8")) as Record<string, { name: string; email: string }>;
    const files = filesOf(out);
    expect(Object.keys(files)).toHaveLength(12);
    for (const namespace of REFERENCE_NAMESPACES) {
      const [header, ...lines] = readFileSync(join(SUMMARIES, `${namespace}-users-agg.csv`), "utf8")
        .trimEnd()
        .split("\n");
      const numbers = new Map(lines.map((line) => [line.split(";")[0]!, line.split(";").slice(1)]));
      const merged = Object.entries(database)
        .filter(([owner]) => numbers.has(owner))
        .map(([owner, { name, email }]) => [owner, name, email, ...numbers.get(owner)!].join(";"));
      expect(merged.length).toBeGreaterThan(15);
      const columns = [
        "user id",
        "name",
        "email",
        ...header!
          .split(";")
          .slice(1)
          .map((name) => `${name} / day`),
      ];
      expect(files[`${namespace}-users-agg-merged.csv`]).toBe([columns.join(";"), ...merged, ""].join("\n"));
    }
  });

  it("writes files readable by their owner only, in a folder it creates for its owner only, and replaces a previous set", async () => {
    const { out } = await summarize(REFERENCE_ARCHIVE, "--quiet", "--namespaces", "imagine", "--private");
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(out)).toBe(0o700);
    expect(readdirSync(out).sort()).toEqual(["imagine-full-agg.csv", "imagine-timeseries.csv", "imagine-users-agg-merged.csv", "imagine-users-agg.csv"]);
    for (const name of readdirSync(out)) expect([name, mode(join(out, name))]).toEqual([name, 0o600]);
    const again = await runCli(["summarize", "--archive", REFERENCE_ARCHIVE, "--out", out, "--quiet", "--namespaces", "ai4life"]);
    expect(again.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(KINDS.map((kind) => `ai4life-${kind}.csv`).sort());
    expect(readdirSync(dirname(out)).filter((name) => name.includes(".accounting-"))).toEqual([]);
  });

  it("leaves a mixed archive's batch accounts out, with a warning, and summarizes its Nomad namespaces", async () => {
    const { code, stderr, out } = await summarize(MIXED, "--problems", "none");
    expect(code).toBe(0);
    expect(stderr).toBe(
      'accounting: warning: summarize reads Nomad snapshots only: slurm account "bio", sge account "chemistry", flux account "ml", flux account "physics", sge account "physics", slurm account "physics" left out\n',
    );
    expect(filesOf(out)).toEqual(upstreamSummaries(MIXED, ["ai4eosc", "ai4life", "imagine"]));
  });

  describe("on an archive the reference never saw", () => {
    let archive: string;
    const namespaces = ["ai4eosc", "imagine", "ai4life"];
    beforeAll(async () => {
      archive = temporaryFolder();
      // Missed, 4-hourly and off-schedule snapshots, legacy cores in cpu_MHz, running jobs with no alloc_start: the
      // generator's quirks are all records upstream reads as they are, as the oracle does.
      await generateArchive(archive, { seed: 11, start: "2024-05-01", days: 24, layout: "nested", snapshotHours: 4, missingSnapshotRate: 0.2 });
    });

    it("equals the transcription of summarize.py over the whole archive", async () => {
      const { code, out } = await summarize(archive, "--quiet");
      expect(code).toBe(0);
      expect(filesOf(out)).toEqual(upstreamSummaries(archive, namespaces));
    });

    it("equals it over a period and a subset of namespaces, whose snapshots alone set each day's count", async () => {
      const { code, out } = await summarize(archive, "--quiet", "--from", "2024-05-06", "--to", "2024-05-19", "--namespaces", "imagine,ai4life");
      expect(code).toBe(0);
      expect(filesOf(out)).toEqual(upstreamSummaries(archive, ["imagine", "ai4life"], "2024-05-06", "2024-05-19"));
    });
  });

  // Expected texts below are what upstream summarize.py printed (pandas 1.5.3) for the same snapshots.
  const at = (hour: number, day = 1) => `2024-03-0${day}T${String(hour).padStart(2, "0")}:00:00.json`;
  const running = (id: string, owner: string, cores: number, extra: Record<string, unknown> = {}) =>
    jobJson({
      job_ID: id,
      owner,
      resources: { cpu_num: cores, cpu_MHz: 1000 * cores, gpu_num: 0, memory_MB: 100 * cores, disk_MB: 1000 },
      ...extra,
    });
  const dead = (id: string, owner: string, cores: number) => running(id, owner, cores, { status: "dead", alloc_end: "2024-03-01T00:00:00Z" });

  it("leaves out of a day's means the snapshots where a namespace listed only other jobs, and writes no status never seen", async () => {
    const archive = writeArchive({
      [at(0)]: { a: [running("1", "u1", 1)], b: [running("3", "u2", 3)] },
      [at(6)]: { a: [dead("1", "u1", 1)], b: [dead("3", "u2", 3)] },
      [at(12)]: { a: [running("4", "u1", 2)], b: [running("3", "u2", 3)] },
      [at(0, 2)]: { a: [], b: [running("3", "u2", 3)] },
      [at(6, 2)]: { b: [running("3", "u2", 3)] },
    });
    const { code, out } = await summarize(archive, "--quiet");
    expect(code).toBe(0);
    expect(filesOf(out)).toEqual({
      "a-full-agg.csv": "cpu_num;cpu_MHz;memory_MB;disk_MB;gpu_num\n2;1500;150;1000;0\n",
      "a-timeseries.csv": "date;cpu_num;cpu_MHz;memory_MB;disk_MB;gpu_num;running\n2024-03-01;2;1500;150;1000;0;1\n2024-03-02;0;0;0;0;0;0\n",
      "a-users-agg.csv": "owner;cpu_num;cpu_MHz;memory_MB;disk_MB;gpu_num\nu1;2;1500;150;1000;0\n",
      "b-full-agg.csv": "cpu_num;cpu_MHz;memory_MB;disk_MB;gpu_num\n6;6000;600;2000;0\n",
      "b-timeseries.csv": "date;cpu_num;cpu_MHz;memory_MB;disk_MB;gpu_num;running\n2024-03-01;3;3000;300;1000;0;1\n2024-03-02;3;3000;300;1000;0;1\n",
      "b-users-agg.csv": "owner;cpu_num;cpu_MHz;memory_MB;disk_MB;gpu_num\nu2;6;6000;600;2000;0\n",
    });
  });

  it("counts queued jobs (and running ones with no alloc_start), gives their owners zeros, and a namespace no one used its zeros", async () => {
    const archive = writeArchive({
      [at(0)]: { a: [running("1", "u1", 1, { status: "queued", alloc_start: null })], b: [] },
      [at(0, 2)]: { a: [running("2", "u3", 1, { alloc_start: "" })], b: [] },
    });
    const { code, out } = await summarize(archive, "--quiet");
    expect(code).toBe(0);
    expect(filesOf(out)).toEqual({
      "a-full-agg.csv": "cpu_num;cpu_MHz;memory_MB;disk_MB;gpu_num\n0;0;0;0;0\n",
      "a-timeseries.csv": "date;cpu_num;cpu_MHz;memory_MB;disk_MB;gpu_num;queued\n2024-03-01;0;0;0;0;0;1\n2024-03-02;0;0;0;0;0;1\n",
      "a-users-agg.csv": "owner;cpu_num;cpu_MHz;memory_MB;disk_MB;gpu_num\nu1;0;0;0;0;0\nu3;0;0;0;0;0\n",
      "b-full-agg.csv": "owner;cpu_num;cpu_MHz;memory_MB;disk_MB;gpu_num\n0;0;0;0;0;0\n",
      "b-timeseries.csv": "date;cpu_num;cpu_MHz;memory_MB;disk_MB;gpu_num;queued\n2024-03-01;0;0;0;0;0;0\n2024-03-02;0;0;0;0;0;0\n",
      "b-users-agg.csv": "owner;cpu_num;cpu_MHz;memory_MB;disk_MB;gpu_num\n",
    });
  });

  it("writes a namespace's single day as upstream does, as a column under the namespace's name; rounds halves to even", async () => {
    const archive = writeArchive({
      [at(0)]: { a: [running("1", "u1", 1)], b: [running("2", "u2", 1, { status: "queued" })] },
      [at(6)]: { a: [running("1", "u1", 1), running("5", "u1", 3)], b: [] },
    });
    const { code, out } = await summarize(archive, "--quiet");
    expect(code).toBe(0);
    // a: 1 core, then 4: 2.5 a snapshot, rounded to 2; 1.5 running jobs, rounded to 2.
    expect(filesOf(out)).toEqual({
      "a-full-agg.csv": "cpu_num;cpu_MHz;memory_MB;disk_MB;gpu_num\n2;2500;250;1500;0\n",
      "a-timeseries.csv": "a\n2024-03-01\n2\n2500\n250\n1500\n0\n0\n2\n",
      "a-users-agg.csv": "owner;cpu_num;cpu_MHz;memory_MB;disk_MB;gpu_num\nu1;2;2500;250;1500;0\n",
      "b-full-agg.csv": "cpu_num;cpu_MHz;memory_MB;disk_MB;gpu_num\n0;0;0;0;0\n",
      "b-timeseries.csv": "b\n2024-03-01\n0\n0\n0\n0\n0\n1\n0\n",
      "b-users-agg.csv": "owner;cpu_num;cpu_MHz;memory_MB;disk_MB;gpu_num\nu2;0;0;0;0;0\n",
    });
  });

  it("is in --help, which summarize --help prints too", async () => {
    const { stdout } = await runCli(["--help"]);
    expect(stdout).toContain("accounting summarize [--archive DIR] [--namespaces a,b]");
    expect(stdout).toContain("<ns>-users-agg-merged.csv");
    expect((await runCli(["summarize", "--help"])).stdout).toBe(stdout);
  });

  describe("refuses, with one line", () => {
    it("no --out, exit 2", async () => {
      expect(await runCli(["summarize", "--archive", REFERENCE_ARCHIVE])).toEqual({ code: 2, stdout: "", stderr: "accounting: summarize needs --out DIR\n" });
    });

    it("an unknown namespace, exit 2, writing nothing", async () => {
      const { code, stdout, stderr, out } = await summarize(REFERENCE_ARCHIVE, "--quiet", "--namespaces", "imagine,nope");
      expect([code, stdout, stderr]).toEqual([2, "", 'accounting: unknown namespace "nope"; the archive has ai4eosc, ai4life, imagine\n']);
      expect(() => readdirSync(out)).toThrow();
    });

    it("an archive of batch records, and a batch account of a mixed archive, exit 2", async () => {
      const slurm = await summarize(join(REFERENCE, "..", "archives", "slurm-only"), "--quiet");
      expect([slurm.code, slurm.stdout]).toEqual([2, ""]);
      expect(slurm.stderr).toMatch(/^accounting: summarize reads Nomad snapshots, and the archive has none .+\n$/);
      const refused = await summarize(MIXED, "--quiet", "--namespaces", "imagine,bio");
      expect([refused.code, refused.stderr]).toEqual([
        2,
        'accounting: "bio" is a slurm account: summarize reads Nomad snapshots only; report gives its usage\n',
      ]);
    });

    it("a period with no snapshot, exit 1", async () => {
      const { code, stdout, stderr } = await summarize(REFERENCE_ARCHIVE, "--quiet", "--from", "2024-03-26", "--to", "2024-03-27");
      expect([code, stdout, stderr]).toEqual([1, "", "accounting: no snapshot from 2024-03-26 to 2024-03-27: nothing to summarize\n"]);
    });

    it("--private without a user database to join, exit 1", async () => {
      const archive = temporaryFolder();
      cpSync(join(REFERENCE_ARCHIVE, "snapshots"), join(archive, "snapshots"), { recursive: true });
      const { code, stderr } = await summarize(archive, "--quiet", "--private");
      expect([code, stderr]).toEqual([1, "accounting: --private joins the user database, and the archive has no users/user-db.json\n"]);
    });

    it("a folder holding other files, exit 2, and loses none", async () => {
      const out = temporaryFolder();
      writeFileSync(join(out, "notes.txt"), "mine");
      const { code, stderr } = await runCli(["summarize", "--archive", REFERENCE_ARCHIVE, "--out", out, "--quiet"]);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^accounting: .+ holds a file not written by this command \(notes\.txt\): name an empty or new folder\n$/);
      expect(readdirSync(out)).toEqual(["notes.txt"]);
    });

    it("an output it cannot write, exit 3", async () => {
      const file = join(temporaryFolder(), "file");
      writeFileSync(file, "");
      const { code, stdout, stderr } = await runCli(["summarize", "--archive", REFERENCE_ARCHIVE, "--out", join(file, "out"), "--quiet"]);
      expect([code, stdout]).toEqual([3, ""]);
      expect(stderr).toMatch(/^accounting: cannot write the summaries into .+\/file\/out: E(NOTDIR|EXIST): [^\n]+\n$/);
    });
  });
});
