import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import {
  createDatabase,
  isParquetOutput,
  NULL_PARTITION,
  onEveryCore,
  PARTITION_RECORD,
  PARTITION_TIMES,
  writeParquet,
  type AccountingDatabase,
} from "../../../loaders/ingest/database.js";
import { TABLES } from "../../../loaders/model/schema.js";
import { sqlIdentifier as quote, sqlString } from "../../../loaders/queries/sql.js";
import { generateArchive } from "../../../scripts/archive-generator.js";
import { copyArchive, temporaryFolder } from "../../helpers/archive.js";
import { REFERENCE_ARCHIVE } from "../../helpers/reference.js";
import { archiveTables, loadedDatabase } from "../../helpers/tables.js";

/** Every file under `folder`, relative to it, sorted. */
function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
    .sort();
}

/** The files holding a table's rows: its one file, or each of its months'. */
const filesOf = (folder: string, table: string) =>
  filesUnder(folder)
    .filter((path) => path === `${table}.parquet` || path.startsWith(`${table}/`))
    .map((path) => join(folder, path));

/** A table as read in place: its one file, or its months' files with `year` and `month` from their folders. */
const readInPlace = (folder: string, table: string) =>
  table in PARTITION_TIMES
    ? `read_parquet(${sqlString(join(folder, table, "**", "*.parquet"))}, hive_partitioning = true)`
    : sqlString(join(folder, `${table}.parquet`));

const MONTH = (year: number, month: number) => `year=${year}/month=${month}/data_0.parquet`;
const NULL_MONTH = `year=${NULL_PARTITION}/month=${NULL_PARTITION}/data_0.parquet`;

async function rowsOf(database: AccountingDatabase, sql: string): Promise<unknown[][]> {
  return (await database.connection.runAndReadAll(sql)).getRowsJson();
}

async function countOf(database: AccountingDatabase, sql: string): Promise<number> {
  return Number((await rowsOf(database, `SELECT count(*)::INTEGER FROM (${sql})`))[0]![0]);
}

/**
 * Each large table, read in place with hive_partitioning, holds exactly the database's rows; each row lies in the UTC
 * month of its instant (checked here in JavaScript, whatever DuckDB's time zone), and each month's file holds that
 * month's rows in the table's order.
 */
async function expectSameTablesInPlace(database: AccountingDatabase, folder: string): Promise<void> {
  for (const table of TABLES.filter((table) => table.name in PARTITION_TIMES)) {
    const time = PARTITION_TIMES[table.name]!.instant;
    const columns = table.columns.map((column) => quote(column.name)).join(", ");
    const read = readInPlace(folder, table.name);
    const rows = await countOf(database, `SELECT * FROM ${table.name}`);
    expect(await countOf(database, `SELECT * FROM ${read}`), table.name).toBe(rows);
    expect(await countOf(database, `SELECT ${columns} FROM ${read} EXCEPT ALL SELECT ${columns} FROM ${table.name}`), table.name).toBe(0);
    expect(await countOf(database, `SELECT ${columns} FROM ${table.name} EXCEPT ALL SELECT ${columns} FROM ${read}`), table.name).toBe(0);

    for (const [year, month, micros] of await rowsOf(database, `SELECT year::INTEGER, month::INTEGER, epoch_us(${time})::DOUBLE FROM ${read}`)) {
      const instant = micros === null ? null : new Date(Number(micros) / 1000);
      expect([year, month]).toEqual(instant === null ? [null, null] : [instant.getUTCFullYear(), instant.getUTCMonth() + 1]);
    }

    const order = table.orderBy.length ? ` ORDER BY ${table.orderBy.map(quote).join(", ")}` : "";
    for (const file of filesOf(folder, table.name)) {
      const [, year, month] = /year=([^/]+)\/month=([^/]+)\/data_0\.parquet$/.exec(file)!;
      const where =
        year === NULL_PARTITION
          ? `${time} IS NULL`
          : `epoch_us(${time}) >= ${Date.UTC(Number(year), Number(month) - 1) * 1000} AND epoch_us(${time}) < ${Date.UTC(Number(year), Number(month)) * 1000}`;
      expect(await rowsOf(database, `SELECT ${columns} FROM ${sqlString(file)}`), file).toEqual(
        await rowsOf(database, `SELECT ${columns} FROM ${table.name} WHERE ${where}${order}`),
      );
    }
  }
}

describe("writeParquet", () => {
  it("writes every table as zstd Parquet with the documented columns, UTC microsecond times and stable bytes", async () => {
    const tables = await archiveTables(REFERENCE_ARCHIVE);
    const write = async () => {
      const database = await loadedDatabase(REFERENCE_ARCHIVE);
      const folder = temporaryFolder();
      const paths = await writeParquet(database, folder);
      database.close();
      return { folder, paths };
    };
    const [first, again] = [await write(), await write()];
    const { folder } = first;
    // The paths returned are every file written, table by table, months in time order.
    expect(first.paths.map((path) => relative(folder, path))).toEqual([
      ...[MONTH(2024, 2), MONTH(2024, 3), MONTH(2024, 4)].map((file) => `intervals/${file}`),
      ...[MONTH(2024, 3), MONTH(2024, 4)].map((file) => `snapshots/${file}`),
      "problems.parquet",
      ...[MONTH(2024, 2), MONTH(2024, 3), MONTH(2024, 4)].map((file) => `jobs/${file}`),
      "accounts.parquet",
      "spans.parquet",
      "users.parquet",
    ]);
    // Beside them, the record the next run into the folder reads.
    expect(filesUnder(folder)).toEqual([PARTITION_RECORD, ...first.paths.map((path) => relative(folder, path))].sort());
    expect(filesUnder(again.folder)).toEqual(filesUnder(folder));
    for (const path of first.paths.map((path) => relative(folder, path))) {
      expect(readFileSync(join(folder, path)).equals(readFileSync(join(again.folder, path))), path).toBe(true);
    }

    const reader = await (await DuckDBInstance.create(":memory:")).connect();
    const all = async (sql: string) => (await reader.runAndReadAll(sql)).getRowObjectsJS();
    for (const table of TABLES) {
      const files = filesOf(folder, table.name);
      // The files hold the documented columns, no partition key.
      const list = `[${files.map(sqlString).join(", ")}]`;
      const columns = await all(`DESCRIBE SELECT * FROM read_parquet(${list}, hive_partitioning = false)`);
      expect(columns.map((c) => [c.column_name, c.column_type])).toEqual(
        table.columns.map((c) => [c.name, c.type === "TIMESTAMPTZ" ? "TIMESTAMP WITH TIME ZONE" : c.type]),
      );
      const count = (await all(`SELECT count(*)::INTEGER AS n FROM ${readInPlace(folder, table.name)}`))[0]!.n;
      expect(count).toBe(tables[table.name].length);
      for (const file of files) {
        const codecs = await all(`SELECT DISTINCT compression FROM parquet_metadata(${sqlString(file)})`);
        if (count) expect(codecs.map((c) => c.compression)).toEqual(["ZSTD"]);
      }
    }
    const snapshots = readInPlace(folder, "snapshots");
    const earliest = (await all(`SELECT epoch_us(min(time))::BIGINT AS t FROM ${snapshots}`))[0]!.t;
    expect(Number(earliest)).toBe(Date.UTC(2024, 2, 1, 0, 0, 10) * 1000);
    const logical = (
      await all(`SELECT logical_type FROM parquet_schema(${sqlString(join(folder, "intervals", MONTH(2024, 3)))}) WHERE name = 'start_time'`)
    )[0]!.logical_type;
    expect(String(logical)).toContain("isAdjustedToUTC=1");
    expect(String(logical)).toContain("MICROS=MicroSeconds()");
  });

  it("cuts intervals, jobs and snapshots by UTC month, whatever the session's time zone: read in place, they are the database's tables", async () => {
    const database = await loadedDatabase(REFERENCE_ARCHIVE);
    try {
      // UTC+14: a snapshot taken in a month's last 14 hours (UTC) is in the next month there.
      await database.connection.run("SET GLOBAL TimeZone = 'Pacific/Kiritimati'");
      const late = await countOf(database, "SELECT * FROM snapshots WHERE month(time) <> month(make_timestamp(epoch_us(time)))");
      expect(late, "the archive has snapshots whose month differs in UTC+14").toBeGreaterThan(0);
      const folder = temporaryFolder();
      await writeParquet(database, folder);
      await expectSameTablesInPlace(database, folder);
    } finally {
      database.close();
    }
  });

  it("writes a table of many months a few months at a time: each month's file holds its own rows, in order", async () => {
    // Ten months of daily snapshots: each a tenth of the rows, so that the months written together (a quarter of a
    // table's rows at most) are two or three.
    const archive = temporaryFolder();
    await generateArchive(archive, { seed: 11, start: "2024-01-01", days: 300, snapshotHours: 24, jobsPerNamespace: 4 });
    const database = await loadedDatabase(archive);
    try {
      const folder = temporaryFolder();
      await writeParquet(database, folder);
      expect(filesUnder(folder).filter((path) => path.startsWith("intervals/")).length).toBeGreaterThanOrEqual(10);
      await expectSameTablesInPlace(database, folder);
    } finally {
      database.close();
    }
  });

  it("puts jobs with no submit, start nor first sighting in the null partition, and writes a table with no row as one empty file there", async () => {
    // Slurm dumps only (no snapshot); job 12 never started and Slurm knows no submit time; nor job 13's, which ran in May
    // (its month's rows are taken out of the table by their submit times or none: written, it must be there).
    const archive = temporaryFolder();
    mkdirSync(join(archive, "slurm"));
    writeFileSync(
      join(archive, "slurm", "2024-06-01T00:00:00.txt"),
      [
        "JobID|JobIDRaw|Cluster|Partition|Account|User|Submit|Start|End|State|NNodes|NCPUS|AllocTRES|ExitCode|JobName",
        "10|10|c1|p|acct-a|alice|2024-05-31T20:00:00|2024-05-31T23:30:00|2024-06-01T00:00:00|COMPLETED|1|4|cpu=4,node=1|0:0|j10",
        "11|11|c1|p|acct-a|alice|2024-04-30T23:00:00|2024-05-01T01:00:00|2024-05-01T02:00:00|COMPLETED|1|2|cpu=2,node=1|0:0|j11",
        "12|12|c1|p|acct-b|bob|Unknown|Unknown|Unknown|PENDING|1|2||0:0|j12",
        "13|13|c1|p|acct-b|bob|Unknown|2024-05-10T00:00:00|2024-05-10T01:00:00|COMPLETED|1|2|cpu=2,node=1|0:0|j13",
        "",
      ].join("\n"),
    );
    const database = await loadedDatabase(archive);
    try {
      const folder = temporaryFolder();
      await writeParquet(database, folder);
      // Job 11 was submitted in April (UTC) and ran in May; job 10 ran into June, begun in May.
      expect(filesUnder(folder).filter((path) => path.includes("/"))).toEqual([
        `intervals/${MONTH(2024, 5)}`,
        ...[MONTH(2024, 4), MONTH(2024, 5), NULL_MONTH].map((file) => `jobs/${file}`),
        `snapshots/${NULL_MONTH}`,
      ]);
      const jobs = await rowsOf(database, `SELECT job_id, year, month FROM ${readInPlace(folder, "jobs")} ORDER BY job_id`);
      expect(jobs).toEqual([
        ["10", "2024", "5"],
        ["11", "2024", "4"],
        ["12", null, null],
        ["13", "2024", "5"],
      ]);
      // No snapshot: an empty file, that readers still find with its columns.
      expect(await countOf(database, `SELECT * FROM ${readInPlace(folder, "snapshots")}`)).toBe(0);
      const columns = await rowsOf(
        database,
        `SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(${sqlString(join(folder, "snapshots", NULL_MONTH))}, hive_partitioning = false))`,
      );
      expect(columns.map(([name]) => name)).toEqual(TABLES.find((table) => table.name === "snapshots")!.columns.map((column) => column.name));
      await expectSameTablesInPlace(database, folder);
    } finally {
      database.close();
    }
  });

  it("writes again only the months whose rows changed: after one more snapshot, the others are the previous files, and every file holds the bytes a first write gives", async () => {
    // The reference archive without its newest snapshot, written; then with it, into the same folder.
    const archive = copyArchive(REFERENCE_ARCHIVE);
    const snapshots = join(archive, "snapshots");
    const newest = readdirSync(snapshots).sort().at(-1)!;
    const held = readFileSync(join(snapshots, newest));
    rmSync(join(snapshots, newest));
    const folder = temporaryFolder();
    const write = async (into: string) => {
      const database = await loadedDatabase(archive);
      try {
        return (await writeParquet(database, into)).map((path) => relative(into, path));
      } finally {
        database.close();
      }
    };
    const inodes = () => Object.fromEntries(filesUnder(folder).map((path) => [path, statSync(join(folder, path)).ino]));
    const first = await write(folder);
    const before = inodes();
    const bytesBefore = Object.fromEntries(first.map((path) => [path, readFileSync(join(folder, path))]));
    writeFileSync(join(snapshots, newest), held);
    const paths = await write(folder);
    const after = inodes();
    // Every file, kept or written, is what a first write of the whole archive gives.
    const fresh = temporaryFolder();
    expect(await write(fresh)).toEqual(paths);
    for (const path of [...paths, PARTITION_RECORD]) expect(readFileSync(join(folder, path)).equals(readFileSync(join(fresh, path))), path).toBe(true);
    // A month's file is the previous one exactly when its bytes did not change; the tables of one file are written.
    const unchanged = paths.filter((path) => path.includes("/") && bytesBefore[path]?.equals(readFileSync(join(fresh, path))));
    expect(paths.filter((path) => after[path] === before[path])).toEqual(unchanged);
    // The newest snapshot, of April 14th, leaves February and the snapshots of March as they were (runs begun in
    // March and still running grow longer: March's intervals and jobs change).
    expect(unchanged).toEqual(expect.arrayContaining([`intervals/${MONTH(2024, 2)}`, `jobs/${MONTH(2024, 2)}`, `snapshots/${MONTH(2024, 3)}`]));
    expect(unchanged).not.toContain(`snapshots/${MONTH(2024, 4)}`);

    // A file altered since it was written, or a record another writer made, is not trusted: written again.
    const altered = `intervals/${MONTH(2024, 2)}`;
    writeFileSync(join(folder, altered), readFileSync(join(folder, `intervals/${MONTH(2024, 3)}`)));
    const record = JSON.parse(readFileSync(join(folder, PARTITION_RECORD), "utf8")) as { writer: string };
    await write(folder);
    expect(readFileSync(join(folder, altered)).equals(readFileSync(join(fresh, altered)))).toBe(true);
    const rewritten = inodes();
    expect(paths.filter((path) => rewritten[path] === after[path] && path !== altered).length).toBe(paths.filter((path) => path.includes("/")).length - 1);
    writeFileSync(join(folder, PARTITION_RECORD), JSON.stringify({ ...record, writer: "another" }));
    const other = inodes();
    await write(folder);
    const again = inodes();
    expect(paths.filter((path) => again[path] === other[path])).toEqual([]);
  });

  it.each([
    [PARTITION_RECORD, true],
    ["intervals.parquet", true],
    ["users.parquet", true],
    ["intervals", true],
    ["jobs/year=2024", true],
    ["snapshots/year=2024/month=11", true],
    ["intervals/year=2024/month=3/data_0.parquet", true],
    [`jobs/year=${NULL_PARTITION}/month=${NULL_PARTITION}/data_0.parquet`, true],
    ["notes.txt", false],
    ["users", false],
    ["accounts/year=2024", false],
    ["intervals/notes.txt", false],
    ["intervals/year=2024/data_0.parquet", false],
    ["intervals/year=2024/month=3/data_1.parquet", false],
    ["intervals/year=2024/month=3/data_0.parquet/x", false],
    ["intervals/month=3", false],
  ])("counts %s as its own output: %s", (path, ours) => {
    expect(isParquetOutput(path)).toBe(ours);
  });
});

describe("onEveryCore", () => {
  const threadsOf = async (database: AccountingDatabase) => Number((await rowsOf(database, "SELECT current_setting('threads')::INTEGER"))[0]![0]);

  it("runs the work on the threads asked, then puts the database back on one; a failed work leaves it for its caller to close", async () => {
    const database = await createDatabase();
    try {
      expect(await threadsOf(database)).toBe(1);
      expect(await onEveryCore(database, () => threadsOf(database), 3)).toBe(3);
      expect(await threadsOf(database)).toBe(1);
      await expect(onEveryCore(database, () => database.connection.run("SELECT * FROM no_such_table"), 3)).rejects.toThrow(/no_such_table/);
      expect(await threadsOf(database)).toBe(3);
    } finally {
      database.close();
    }
  });
});
