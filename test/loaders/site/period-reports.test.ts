import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectorOf, type AccountingDatabase } from "../../../loaders/ingest/database.js";
import { readKnownIssues, type KnownIssue } from "../../../loaders/ingest/known-issues.js";
import { connectorPool, type Connector } from "../../../loaders/queries/sql.js";
import { periodCoverage } from "../../../loaders/queries/coverage.js";
import { periodReports, type PeriodReports } from "../../../loaders/site/period-reports.js";
import { periodInputs, type QueryMemo } from "../../../loaders/site/query-memo.js";
import { copyArchive, temporaryFolder } from "../../helpers/archive.js";
import { loadedDatabase } from "../../helpers/tables.js";

/** 2024-01-01 to 2024-03-15, a snapshot every 6 hours. */
const SAMPLE = "data/sample";
/** The sample's job of most CPU core-hours in January 2024 (3,163), and an image 11th that month (4,252): the job moves it into the top 10. */
const RENAMED_JOB = "dd917fb2-2868-7877-4092-04196ec0dffb";
const OTHER_IMAGE = "ai4oshub/ai4os-cvat";

let database: AccountingDatabase;
let knownIssues: KnownIssue[];
const archives: string[] = [];
beforeAll(async () => {
  database = await loadedDatabase(SAMPLE);
  knownIssues = await readKnownIssues(`${SAMPLE}/known-issues.json`);
});
afterAll(() => {
  database.close();
  for (const archive of archives) rmSync(archive, { recursive: true, force: true });
});

/** A connector that counts the queries it runs, and the most it ran at once, in `running` (its own, or shared). */
function counted(connector: Connector, running = { now: 0, most: 0, queries: 0 }) {
  const counting: Connector = {
    async query<T>(sql: string) {
      running.queries++;
      running.most = Math.max(running.most, ++running.now);
      try {
        return await connector.query<T>(sql);
      } finally {
        running.now--;
      }
    },
  };
  return { connector: counting, running };
}

/** A copy of the sample archive, its snapshots changed by `change`. */
function sampleCopy(change: (snapshots: string) => void): string {
  const archive = copyArchive(SAMPLE);
  archives.push(archive);
  change(join(archive, "snapshots"));
  return archive;
}

/** The memo periodReports keeps of an archive's tables, loaded with `key`. */
async function memoOf(archive: string, pseudonymKey?: string): Promise<QueryMemo> {
  const db = await loadedDatabase(archive, { pseudonymKey });
  try {
    const kept: QueryMemo = new Map();
    await periodReports(db, await readKnownIssues(join(archive, "known-issues.json")), { earlier: new Map(), kept });
    return kept;
  } finally {
    db.close();
  }
}

describe("periodReports", () => {
  it("gives the same numbers, to the last bit, through a pool of connections running its queries side by side", async () => {
    const alone = await periodReports(database, knownIssues);
    const connections = await Promise.all([database.connect(), database.connect()]);
    // Each connection's queries counted apart, and how many ran at once on both.
    const each = connections.map((connection) => counted(connectorOf(connection)));
    const together = { now: 0, most: 0, queries: 0 };
    const pool = connectorPool(each.map(({ connector }) => counted(connector, together).connector));
    try {
      const pooled = await periodReports(pool, knownIssues);
      expect(together.most).toBe(2);
      for (const { running } of each) expect(running.queries).toBeGreaterThan(10);
      expect(pooled.periods.map((report) => report.period.name)).toEqual(["2024-03", "2024-02", "2024-01", "2024-Q1", "2024"]);
      expect(pooled).toEqual(alone);
      expect(pooled.periods[0]?.report.total.jobs).toBeGreaterThan(0);
    } finally {
      await pool.close();
      for (const connection of connections) connection.closeSync();
    }
  });

  it("gives every period the coverage the CLI gives it, the archive's cadence read once for all", async () => {
    // No snapshot from 2024-02-29T12 to 2024-03-01T06: a gap of 30 hours across two months, in none of January's.
    const gapped = sampleCopy((snapshots) => {
      for (const name of readdirSync(snapshots)) if (name >= "2024-02-29T12" && name < "2024-03-01T12") rmSync(join(snapshots, name));
    });
    const db = await loadedDatabase(gapped);
    try {
      const issues = await readKnownIssues(join(gapped, "known-issues.json"));
      const cadences = counted(db);
      const counting: Connector = { query: (sql) => (sql.includes("median(") ? cadences.connector.query(sql) : db.query(sql)) };
      const reports = await periodReports(counting, issues);
      expect(cadences.running.queries).toBe(1);
      const gaps = Object.fromEntries(reports.periods.map(({ period, coverage }) => [period.name, coverage.gaps.map((gap) => gap.start.slice(0, 10))]));
      const made = (name: string) => gaps[name]?.filter((day) => day === "2024-02-29").length;
      expect(["2024-03", "2024-02", "2024-01", "2024-Q1", "2024"].map(made)).toEqual([1, 1, 0, 1, 1]);
      // The sample's own gaps too, each in the periods it overlaps: a quarter's are its months', the gap across two once.
      expect(gaps["2024-Q1"]).toEqual([...gaps["2024-01"]!, ...gaps["2024-02"]!, ...gaps["2024-03"]!.slice(1)]);
      for (const { period, coverage } of reports.periods)
        expect(coverage).toEqual(await periodCoverage(db, { from: period.from, to: period.to, mode: "exact" }, issues));
    } finally {
      db.close();
    }
  });

  it("runs again, after new snapshots, only the queries of the periods they change, and gives what running all of them gives", async () => {
    // The archive as it was on 2024-03-10: its memo serves the whole archive's build.
    const earlier = sampleCopy((snapshots) => {
      for (const name of readdirSync(snapshots)) if (name >= "2024-03-10") rmSync(join(snapshots, name));
    });
    const memo = { earlier: await memoOf(earlier), kept: new Map() as QueryMemo };
    const fresh = counted(database);
    const expected = await periodReports(fresh.connector, knownIssues);
    const reusing = counted(database);
    expect(await periodReports(reusing.connector, knownIssues, memo)).toEqual(expected);
    // March, Q1 and 2024 changed: their report, three rankings (account, user, image) and usage before the first
    // snapshot (five queries) ran again; January's and February's did not, though runs going on into March grew (as
    // each period sees them, they did not change), nor the seven periods of 2023 compared with (the same rows).
    const reused = [...memo.kept.keys()].filter((key) => memo.earlier.has(key)).length;
    expect(reused).toBe(memo.kept.size - 3 * 5);
    // Without a memo each of these queries runs; with one, a query of the period inputs' checksums more.
    expect(fresh.running.queries - (reusing.running.queries - 1)).toBe(reused);
  });

  it("runs again, after a new Slurm dump, only the queries of the periods its jobs reach", async () => {
    const header = "JobID|JobIDRaw|Cluster|Partition|Account|User|Submit|Start|End|State|NNodes|NCPUS|AllocTRES|ExitCode|JobName";
    const job = (id: number, day: string) =>
      `${id}|${id}|c1|p|acct-a|alice|${day}T01:00:00|${day}T01:00:00|${day}T05:00:00|COMPLETED|1|4|cpu=4,mem=8G,node=1|0:0|j${id}`;
    const dumps: [string, string][] = [
      ["slurm/2024-01-16T00:00:00.txt", job(1, "2024-01-15")],
      ["slurm/2024-02-16T00:00:00.txt", job(2, "2024-02-15")],
      ["slurm/2024-03-16T00:00:00.txt", job(3, "2024-03-15")],
    ];
    const archive = temporaryFolder();
    archives.push(archive);
    const write = (count: number) => {
      mkdirSync(join(archive, "slurm"), { recursive: true });
      for (const [path, line] of dumps.slice(0, count)) writeFileSync(join(archive, path), `${header}\n${line}\n`);
    };
    write(2);
    const memo = { earlier: await memoOf(archive), kept: new Map() as QueryMemo };
    const db = await loadedDatabase(archive);
    write(3);
    const later = await loadedDatabase(archive);
    try {
      const expected = await periodReports(later, []);
      expect(await periodReports(later, [], memo)).toEqual(expected);
      const periods = expected.periods.map((report) => report.period);
      expect(periods.map((period) => period.name)).toEqual(["2024-03", "2024-02", "2024-01", "2024-Q1", "2024"]);
      // March, Q1 and 2024 hold the new job: their inputs changed, and their queries ran again; January's and
      // February's did not.
      const [before, after] = [await periodInputs(db, periods), await periodInputs(later, periods)];
      expect(periods.filter((period) => before.get(period.name) === after.get(period.name)).map((period) => period.name)).toEqual(["2024-02", "2024-01"]);
      expect([...memo.kept.keys()].filter((key) => memo.earlier.has(key)).length).toBeGreaterThan(0);
    } finally {
      db.close();
      later.close();
    }
  });

  it("reuses no period's numbers whose rows changed: a snapshot inserted, a run's cores, a job's image, another pseudonym key", async () => {
    const sampleMemo = await memoOf(SAMPLE);
    /** The archive's numbers through the sample's memo, which must be what running every query gives; and the queries reused. */
    const throughSampleMemo = async (archive: string) => {
      const db = await loadedDatabase(archive);
      try {
        const memo = { earlier: sampleMemo, kept: new Map() as QueryMemo };
        const expected = await periodReports(db, knownIssues);
        expect(await periodReports(db, knownIssues, memo)).toEqual(expected);
        return { expected, reused: [...memo.kept.keys()].filter((key) => memo.earlier.has(key)).length };
      } finally {
        db.close();
      }
    };
    /** Rewrites every snapshot holding the renamed job, `change` given each of its entries. */
    const changeJob = (change: (job: Record<string, unknown> & { resources: Record<string, number> }, file: string) => void) =>
      sampleCopy((snapshots) => {
        for (const name of readdirSync(snapshots)) {
          const text = readFileSync(join(snapshots, name), "utf8");
          if (!text.includes(RENAMED_JOB)) continue;
          const snapshot = JSON.parse(text) as Record<string, (Record<string, unknown> & { resources: Record<string, number> })[]>;
          for (const job of Object.values(snapshot).flat()) if (job.job_ID === RENAMED_JOB) change(job, name);
          writeFileSync(join(snapshots, name), JSON.stringify(snapshot));
        }
      });
    const sample = await periodReports(database, knownIssues);
    const january = (reports: PeriodReports) => reports.periods[2]!;
    expect(january(sample).period.name).toBe("2024-01");
    // January, Q1 and 2024 run again; February's and March's five queries, and the report and usage before the first
    // snapshot of the seven periods of 2023 compared with, are reused.
    const reusable = 2 * 5 + 7 * 2;

    // A snapshot more in January, the same jobs as the one before it, an hour later: its time, and runs that end later.
    const inserted = sampleCopy((snapshots) => copyFileSync(join(snapshots, "2024-01-10T12:00:17.json"), join(snapshots, "2024-01-10T13:00:17.json")));
    expect((await throughSampleMemo(inserted)).reused).toBe(reusable);
    // The job's cores doubled in one snapshot: the same snapshot times and jobs, other runs.
    const cores = await throughSampleMemo(changeJob((job, file) => file.startsWith("2024-01-20T12") && (job.resources.cpu_num! *= 2)));
    expect(january(cores.expected).report.total.cpu_num_hours).toBeGreaterThan(january(sample).report.total.cpu_num_hours!);
    expect(cores.reused).toBe(reusable);
    // The job's image another, in every snapshot: the same runs, another ranking of images.
    const imageRanking = (reports: PeriodReports) =>
      january(reports)
        .top.find((ranking) => ranking.by === "image")
        ?.groups.map((group) => group.value);
    const image = await throughSampleMemo(changeJob((job) => (job.docker_image = OTHER_IMAGE)));
    expect(imageRanking(image.expected)).toContain(OTHER_IMAGE);
    expect(imageRanking(image.expected)).not.toEqual(imageRanking(sample));
    expect(image.reused).toBe(reusable);

    const otherKey = { earlier: await memoOf(SAMPLE, "another key"), kept: new Map() as QueryMemo };
    expect(await periodReports(database, knownIssues, otherKey)).toEqual(sample);
    // Every period's owners have other pseudonyms: only the periods with no run at all are the same, the first quarter of
    // 2023 and its months (December 2023 holds runs begun before the first snapshot): their two queries each.
    expect([...otherKey.kept.keys()].filter((key) => otherKey.earlier.has(key))).toHaveLength(4 * 2);
  });
});
