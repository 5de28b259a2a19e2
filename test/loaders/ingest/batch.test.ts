import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ingestBatchFiles, listBatchFiles, type BatchListing } from "../../../loaders/ingest/batch.js";
import { createDatabase, createTable } from "../../../loaders/ingest/database.js";
import { CACHED_TABLES } from "../../../loaders/ingest/ingest-cache.js";
import type { TableSchema } from "../../../loaders/model/schema.js";
import type { BatchFile, BatchRecord, BatchSource } from "../../../loaders/sources/batch/records.js";
import { fluxLineResults } from "../../../loaders/sources/flux/source.js";
import { temporaryFolder } from "../../helpers/archive.js";
import { rows } from "../../helpers/engines.js";
import { ROOT } from "../../helpers/project.js";
import { archiveTables } from "../../helpers/tables.js";

const HOUR = 3_600_000_000;
const T0 = Date.UTC(2024, 4, 1) * 1000;

/** Writes files (path → text) into a new archive. */
function archiveOf(files: Record<string, string>): string {
  const archive = temporaryFolder("batch-");
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(archive, path)), { recursive: true });
    writeFileSync(join(archive, path), text);
  }
  return archive;
}

/**
 * An adapter of a toy format, to test what the ingest does with any adapter's records: `run start end cores`
 * (hours after T0; `-` for a run that never started), or `bad` for a problem.
 */
const toySource: BatchSource = {
  source: "flux",
  folder: "toy",
  matches: (name) => name.endsWith(".toy"),
  parser: (file: BatchFile) => ({
    line(text, number) {
      if (text === "") return null;
      const [run = "", start = "", end = "", cores = ""] = text.split(" ");
      if (run === "bad" || end === undefined || cores === "") {
        return { file: file.path, line: number, account: null, job: null, reason: "unreadable file", detail: text };
      }
      const common = { source: "flux", cluster: file.cluster, account: "a", jobId: run, owner: "u" } as const;
      const startTime = start === "-" ? null : T0 + Number(start) * HOUR;
      return {
        run,
        job: {
          ...common,
          ...{
            name: null,
            kind: null,
            title: null,
            dockerImage: null,
            datacenter: null,
            queue: null,
            qos: null,
            group: null,
            nodes: null,
            nodeNames: null,
            exitCode: null,
          },
          ...{ submitTime: T0, startTime, endTime: startTime === null ? null : T0 + Number(end) * HOUR, firstSeen: null, lastSeen: null, state: "x" },
        },
        interval:
          startTime === null
            ? null
            : {
                ...common,
                ...{ allocId: null, firstSnapshot: null, lastSnapshot: null, start: startTime, end: T0 + Number(end) * HOUR },
                resources: { cpu_num: Number(cores), cpu_MHz: null, gpu_num: 0, memory_MB: null, disk_MB: null },
              },
      };
    },
  }),
};

async function ingestToy(files: Record<string, string>) {
  const archive = archiveOf(files);
  const paths = Object.keys(files).sort((a, b) => (a < b ? -1 : 1));
  const listing: BatchListing = {
    folders: ["toy"],
    files: paths.map((path) => ({ source: toySource, path, cluster: "c", time: null })),
    problems: [],
  };
  const database = await createDatabase();
  for (const table of CACHED_TABLES) await createTable(database.connection, table as TableSchema<unknown>, []);
  await ingestBatchFiles(database.connection, archive, listing);
  const tables = {
    intervals: await rows(database, "SELECT job_id, epoch_us(start_time) AS s, epoch_us(end_time) AS e, cpu_num FROM intervals ORDER BY ALL"),
    jobs: await rows(database, "SELECT job_id, epoch_us(start_time) AS s, epoch_us(end_time) AS e FROM jobs ORDER BY ALL"),
    problems: await rows(database, "SELECT file, line, detail FROM problems ORDER BY ALL"),
  };
  database.close();
  return tables;
}

const h = (hours: number) => BigInt(T0 + hours * HOUR);

describe("ingestBatchFiles", () => {
  it("keeps a run seen in several files once, as the latest file tells it", async () => {
    const { intervals } = await ingestToy({ "toy/1.toy": "r1 0 2 4\nr2 0 1 1\n", "toy/2.toy": "r1 0 5 4\n" });
    expect(intervals).toEqual([
      { job_id: "r1", s: h(0), e: h(5), cpu_num: 4 },
      { job_id: "r2", s: h(0), e: h(1), cpu_num: 1 },
    ]);
  });

  it("keeps a job that never started among the jobs, with no interval", async () => {
    const { intervals, jobs } = await ingestToy({ "toy/1.toy": "r1 - - 4\n" });
    expect([intervals, jobs]).toEqual([[], [{ job_id: "r1", s: null, e: null }]]);
  });

  it("names each bad line with its file and line, and drops the problem of a last line that no end of line closes", async () => {
    const { intervals, problems } = await ingestToy({ "toy/1.toy": "bad\r\nr1 0 1 1\r\n\nr2 0 1", "toy/2.toy": "r3 0 1 1\nbad" });
    expect(intervals.map((row) => row.job_id)).toEqual(["r1", "r3"]);
    expect(problems).toEqual([{ file: "toy/1.toy", line: 1, detail: "bad" }]);
  });

  // Its memory: test/cli/batch-memory.test.ts.
  it("reads a file longer than a staging batch, every record kept", async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `r${i} 0 1 1`).join("\n");
    const { intervals } = await ingestToy({ "toy/1.toy": `${lines}\n` });
    expect(intervals).toHaveLength(20_000);
  }, 60_000);
});

describe("an archive of Flux records, through the production route", () => {
  it("reads every job of a `flux jobs -a --json` document, which holds them all on one line", async () => {
    const document = readFileSync(join(ROOT, "test/fixtures/flux/2024-05-02T00:00:00.json"), "utf8");
    const file = { path: "flux/2024-05-02T00:00:00.json", cluster: "flux", time: Date.UTC(2024, 4, 2) * 1000 };
    const records = fluxLineResults(document.trim(), 1, file);
    expect(records.length).toBeGreaterThan(1);
    const tables = await archiveTables(archiveOf({ [file.path]: document }));
    expect(tables.jobs.map((row) => row.job_id).sort()).toEqual(records.map((record) => (record as BatchRecord).job.jobId).sort());
    expect(tables.problems).toEqual([]);
  });
});

describe("a `flux jobs -a --json` document over a MiB, streamed job by job", () => {
  const documentOf = (first: number, count: number) =>
    JSON.stringify({
      jobs: Array.from({ length: count }, (_, i) => ({
        id: first + i,
        userid: 5000,
        bank: "b",
        t_run: 1714600000 + i,
        t_inactive: 1714603600 + i,
        ncores: 2,
        name: "x".repeat(100),
      })),
    });

  it("keeps its jobs and problems; a document cut short at the file's end (being written) gives neither, as a whole line would", async () => {
    const whole = documentOf(1, 8000);
    const broken = whole.replace('"id":2,', '"id":"two",');
    expect(whole.length).toBeGreaterThan(1024 * 1024);
    const archive = archiveOf({ "flux/2024-05-02T00:00:00.json": `${broken}\r\n${documentOf(10_000, 8000).slice(0, -1000)}` });
    const tables = await archiveTables(archive);
    expect(tables.intervals).toHaveLength(7999);
    expect(tables.problems.map(({ file, line, reason }) => ({ file, line, reason }))).toEqual([
      { file: "flux/2024-05-02T00:00:00.json", line: 1, reason: "a job record without a valid job id" },
    ]);
  });

  it("drops only its own jobs: an earlier file's jobs of the same line number stay", async () => {
    const archive = archiveOf({
      "flux/2024-05-01T00:00:00.json": `${documentOf(1, 3)}\n`,
      "flux/2024-05-02T00:00:00.json": documentOf(10_000, 8000).slice(0, -1000),
    });
    const tables = await archiveTables(archive);
    expect(tables.intervals.map((row) => row.job_id)).toEqual(["1", "2", "3"]);
  });

  it("drops the jobs it gave when a later part is not valid JSON, and names the line", async () => {
    const archive = archiveOf({ "flux/2024-05-02T00:00:00.json": `${documentOf(1, 20_000).slice(0, -2)}}]\n${documentOf(30_000, 3)}\n` });
    const tables = await archiveTables(archive);
    expect(tables.intervals).toHaveLength(3);
    expect(tables.problems.map(({ line, reason }) => [line, reason])).toEqual([[1, "a line that is not valid JSON"]]);
  });
});

describe("compressed files", () => {
  const dump = sacct("13|13|c1|p|acct-b|bob|2024-05-01T20:00:00|2024-05-01T22:00:00|2024-05-01T23:00:00|FAILED|1|2|cpu=2,node=1|1:0|j13");

  it("reads a gzipped file as its text, and names one that is not gzip inside as unreadable", async () => {
    const archive = archiveOf({ "slurm/broken.txt.gz": "not gzip" });
    writeFileSync(join(archive, "slurm/2024-05-02T00:00:00.txt.gz"), gzipSync(dump));
    const tables = await archiveTables(archive);
    expect(tables.intervals.map((row) => [row.job_id, row.cpu_num])).toEqual([["13", 2]]);
    expect(tables.problems.map(({ file, reason, detail }) => ({ file, reason, detail }))).toEqual([
      { file: "slurm/broken.txt.gz", reason: "unreadable file", detail: "Z_DATA_ERROR" },
    ]);
  });

  it("names a file compressed otherwise, and does not read it", async () => {
    const archive = archiveOf({ "slurm/2024-05-02T00:00:00.txt": dump, "slurm/old.txt.bz2": "BZh9", "sge/accounting.1.xz": "" });
    const tables = await archiveTables(archive);
    expect(tables.intervals).toHaveLength(1);
    expect(tables.problems.map(({ file, reason }) => [file, reason])).toEqual([
      ["slurm/old.txt.bz2", "compressed in a format the ingest does not read (only gzip): decompress it, or gzip it"],
      ["sge/accounting.1.xz", "compressed in a format the ingest does not read (only gzip): decompress it, or gzip it"],
    ]);
  });
});

describe("listBatchFiles", () => {
  it("lists each source's files at any depth, the cluster from the first folder, the time from the name, later files last", async () => {
    const archive = archiveOf({
      "slurm/2024-05-02T00:00:00.txt": "",
      "slurm/old-dump.txt": "",
      "slurm/.hidden": "",
      "sge/cluster-a/accounting": "",
      "sge/cluster-a/deeper/accounting.1": "",
      "sge/notes.txt": "",
      "flux/jobs.jsonl": "",
    });
    symlinkSync(join(archive, "sge"), join(archive, "sge", "cluster-a", "loop"));
    const { folders, files, problems } = await listBatchFiles(archive);
    expect(folders).toEqual(["slurm", "sge", "flux"]);
    expect(files.map(({ source, path, cluster, time }) => [source.source, path, cluster, time])).toEqual([
      ["flux", "flux/jobs.jsonl", "flux", null],
      ["sge", "sge/cluster-a/accounting", "cluster-a", null],
      ["sge", "sge/cluster-a/deeper/accounting.1", "cluster-a", null],
      ["slurm", "slurm/old-dump.txt", "slurm", null],
      ["slurm", "slurm/2024-05-02T00:00:00.txt", "slurm", Date.UTC(2024, 4, 2) * 1000],
    ]);
    expect(problems).toEqual([]);
  });
});

/** `sacct --parsable2` with a header, as `accounting collect slurm` asks for it (a subset of the fields, any order). */
const SACCT_HEADER = "JobID|JobIDRaw|Cluster|Partition|Account|User|Submit|Start|End|State|NNodes|NCPUS|AllocTRES|ExitCode|JobName";
const sacct = (...lines: string[]) => [SACCT_HEADER, ...lines, ""].join("\n");

describe("an archive of Slurm dumps, through the production route", () => {
  it("counts a job running in an older dump once, ended as the newer dump says; a job running in the newest ends at its time", async () => {
    const archive = archiveOf({
      "slurm/2024-05-01T12:00:00.txt": sacct(
        "10|10|c1|p|acct-a|alice|2024-05-01T00:00:00|2024-05-01T01:00:00|Unknown|RUNNING|1|4|billing=4,cpu=4,mem=8G,node=1|0:0|j10",
        "10.batch|10.batch|c1|p|acct-a||2024-05-01T01:00:00|2024-05-01T01:00:00|Unknown|RUNNING|1|4||0:0|batch",
      ),
      "slurm/2024-05-02T00:00:00.txt": sacct(
        "10|10|c1|p|acct-a|alice|2024-05-01T00:00:00|2024-05-01T01:00:00|2024-05-01T13:00:00|COMPLETED|1|4|billing=4,cpu=4,mem=8G,node=1|0:0|j10",
        "11|11|c1|p|acct-b|bob|2024-05-01T20:00:00|2024-05-01T22:00:00|Unknown|RUNNING|1|2|cpu=2,gres/gpu=1,node=1|0:0|j11",
        "12|12|c1|p|acct-b|bob|2024-05-01T20:00:00|Unknown|Unknown|PENDING|1|2||0:0|j12",
      ),
    });
    const tables = await archiveTables(archive);
    const intervals = tables.intervals.map((row) => [
      row.account,
      row.job_id,
      row.owner,
      row.start_time,
      row.end_time,
      row.cpu_num,
      row.gpu_num,
      row.memory_MB,
    ]);
    expect(intervals).toEqual([
      ["acct-a", "10", "alice", Date.UTC(2024, 4, 1, 1) * 1000, Date.UTC(2024, 4, 1, 13) * 1000, 4, 0, 8192],
      ["acct-b", "11", "bob", Date.UTC(2024, 4, 1, 22) * 1000, Date.UTC(2024, 4, 2) * 1000, 2, 1, null],
    ]);
    expect(tables.jobs.map((row) => [row.job_id, row.state])).toEqual([
      ["10", "COMPLETED"],
      ["11", "RUNNING"],
      ["12", "PENDING"],
    ]);
    expect(tables.accounts.map((row) => [row.source, row.cluster, row.account])).toEqual([
      ["slurm", "c1", "acct-a"],
      ["slurm", "c1", "acct-b"],
    ]);
    expect(tables.spans.map((row) => [row.source, row.cluster, row.first_time, row.last_time])).toEqual([
      ["slurm", "c1", Date.UTC(2024, 4, 1, 1) * 1000, Date.UTC(2024, 4, 2) * 1000],
    ]);
    expect(tables.users.map((row) => row.owner)).toEqual(["alice", "bob"]);
  });

  it("skips and names a job still running in a dump whose name gives no time", async () => {
    const archive = archiveOf({
      "slurm/dump.txt": sacct(
        "11|11|c1|p|acct-b|bob|2024-05-01T20:00:00|2024-05-01T22:00:00|Unknown|RUNNING|1|2|cpu=2,node=1|0:0|j11",
        "13|13|c1|p|acct-b|bob|2024-05-01T20:00:00|2024-05-01T22:00:00|2024-05-01T23:00:00|FAILED|1|2|cpu=2,node=1|1:0|j13",
      ),
    });
    const tables = await archiveTables(archive);
    expect(tables.intervals.map((row) => row.job_id)).toEqual(["13"]);
    expect(tables.problems.map(({ file, line, job, reason }) => ({ file, line, job, reason }))).toEqual([
      { file: "slurm/dump.txt", line: 2, job: "11", reason: "a job still running in a file whose name gives no time (YYYY-MM-DDTHH:MM:SS.<ext>)" },
    ]);
  });
});
