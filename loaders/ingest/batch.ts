import { createReadStream, type Dirent } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import type { DuckDBConnection } from "@duckdb/node-api";
import { appendRows, createTable } from "./database.js";
import { fileProblem, type Problem } from "../model/records.js";
import { intervalsTable, jobsTable, problemsTable, type CellValue, type TableSchema } from "../model/schema.js";
import { parseRfc3339, type Micros } from "../model/time.js";
import { sqlIdentifier as quote } from "../queries/sql.js";
import type { Progress } from "../sources/nomad/fold.js";
import { isProblem, type BatchFile, type BatchRecord, type BatchSource } from "../sources/batch/records.js";
import { BATCH_SOURCES } from "../sources/batch/sources.js";

/** A file of batch records found in the archive, with its adapter. */
interface ListedFile extends BatchFile {
  source: BatchSource;
}

export interface BatchListing {
  /** The batch folders the archive has (`slurm`…), whether or not they hold a file. */
  folders: string[];
  /** In the order in which later files win: by time (files whose name gives none first), then path. */
  files: ListedFile[];
  problems: Problem[];
}

/** Compressed files the ingest cannot read: named as problems rather than read as garbage (gzip is read). */
const UNREAD_COMPRESSION = /\.(bz2|xz|zst|lz4|lzma|Z|zip|7z)$/;

/** `2024-05-01T00:00:00.txt`: the time of a dump, from its name (UTC); any extension. */
function fileTime(name: string): Micros | null {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.[^/]*)?$/.exec(name);
  return (match && parseRfc3339(`${match[1]}Z`)) ?? null;
}

const byTimeThenPath = (a: ListedFile, b: ListedFile) => (a.time ?? -Infinity) - (b.time ?? -Infinity) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * Every file of every batch folder of the archive, at any depth (hidden ones aside), that its adapter reads. A folder
 * reached twice through a symbolic link is read once.
 */
export async function listBatchFiles(archive: string): Promise<BatchListing> {
  const folders: string[] = [];
  const files: ListedFile[] = [];
  const problems: Problem[] = [];
  for (const source of BATCH_SOURCES) {
    const root = join(archive, source.folder);
    const info = await stat(root).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    folders.push(source.folder);
    const visited = new Set<string>();
    const walk = async (folder: string, relative: string, cluster: string | null): Promise<void> => {
      let entries: Dirent[];
      try {
        const real = await realpath(folder);
        if (visited.has(real)) return;
        visited.add(real);
        entries = await readdir(folder, { withFileTypes: true });
      } catch (error) {
        problems.push(fileProblem(relative, "unreadable file", (error as NodeJS.ErrnoException).code ?? String(error)));
        return;
      }
      for (const entry of entries) {
        if (entry.name.startsWith(".")) continue;
        const path = join(folder, entry.name);
        const file = `${relative}/${entry.name}`;
        const isFolder = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isDirectory());
        const name = entry.name.replace(/\.gz$/i, "");
        if (isFolder) await walk(path, file, cluster ?? entry.name);
        else if (!source.matches(name.replace(UNREAD_COMPRESSION, ""))) continue;
        else if (UNREAD_COMPRESSION.test(name))
          problems.push(fileProblem(file, "compressed in a format the ingest does not read (only gzip): decompress it, or gzip it"));
        else files.push({ source, path: file, cluster: cluster ?? source.folder, time: fileTime(name) });
      }
    };
    await walk(root, source.folder, null);
  }
  files.sort(byTimeThenPath);
  return { folders, files, problems };
}

/** A record staged before the runs seen in several files are made one: with where it was read. */
interface StagedRecord extends BatchRecord {
  /** The file's place in the listing: the record of the greatest wins. */
  rank: number;
  line: number;
  fileTime: Micros | null;
}

const stagedColumn = (name: string, type: "VARCHAR" | "INTEGER" | "TIMESTAMPTZ", value: (row: StagedRecord) => CellValue) => ({ name, type, doc: "", value });

/** The staging table: a job's columns, its interval's (prefixed), the run and where it was read. */
const stagedTable: TableSchema<StagedRecord, "batch_records"> = {
  name: "batch_records",
  doc: "",
  columns: [
    ...jobsTable.columns.map((column) => ({ ...column, value: (row: StagedRecord) => column.value(row.job) })),
    ...intervalsTable.columns.map((column) => ({
      ...column,
      name: `interval_${column.name}`,
      value: (row: StagedRecord) => (row.interval ? column.value(row.interval) : null),
    })),
    stagedColumn("run", "VARCHAR", (row) => row.run),
    stagedColumn("rank", "INTEGER", (row) => row.rank),
    stagedColumn("line", "INTEGER", (row) => row.line),
    stagedColumn("file_time", "TIMESTAMPTZ", (row) => row.fileTime),
  ],
  orderBy: [],
};

/** Records are appended to DuckDB this many at a time: a file of any size is read in constant memory. */
const STAGED_BATCH = 16_384;

/** A file's bytes, decompressed when its name ends in `.gz`; a failure to read it fails the stream. */
function openBytes(path: string): Readable {
  const file = createReadStream(path);
  if (!/\.gz$/i.test(path)) return file;
  const gunzip = createGunzip();
  file.on("error", (error) => gunzip.destroy(error));
  return file.pipe(gunzip);
}

/**
 * Each line of a file, without its end of line (`\n` or `\r\n`), as it streams in (decompressed when its name ends
 * in `.gz`); `last` tells the final line that no end of line closed: a file being written.
 */
async function* readLines(path: string): AsyncGenerator<{ text: string; last: boolean }> {
  const decoder = new TextDecoder("utf-8");
  let rest = "";
  for await (const chunk of openBytes(path)) {
    const text = rest + decoder.decode(chunk as Buffer, { stream: true });
    const lines = text.split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) yield { text: line.endsWith("\r") ? line.slice(0, -1) : line, last: false };
  }
  rest += decoder.decode();
  if (rest !== "") yield { text: rest, last: true };
}

/**
 * Reads every listed file into the archive's tables: the intervals and jobs of every run (one per run across files,
 * the latest file's), the owners, and the problems of every file and line.
 */
export async function ingestBatchFiles(connection: DuckDBConnection, archive: string, listing: BatchListing, onProgress?: Progress): Promise<void> {
  await createTable(connection, stagedTable, []);
  const problems: Problem[] = [...listing.problems];
  let staged: StagedRecord[] = [];
  const flush = async () => {
    await appendRows(connection, stagedTable, staged);
    staged = [];
  };
  for (const [rank, file] of listing.files.entries()) {
    const parser = file.source.parser(file);
    let number = 0;
    try {
      for await (const { text, last } of readLines(join(archive, file.path))) {
        for (const result of [parser.line(text, ++number)].flat()) {
          if (result === null) continue;
          if (isProblem(result)) {
            if (!last) problems.push(result);
          } else {
            staged.push({ ...result, rank, line: number, fileTime: file.time });
          }
        }
        if (staged.length >= STAGED_BATCH) await flush();
      }
    } catch (error) {
      // A file that cannot be read (its records so far kept); anything else is a fault of ours.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === undefined) throw error;
      problems.push(fileProblem(file.path, "unreadable file", code));
    }
    onProgress?.(rank + 1, listing.files.length);
  }
  await flush();
  await appendRows(connection, problemsTable, problems);
  for (const sql of mergeRunsSql()) await connection.run(sql);
}

/**
 * The runs read, made one per run: the record of the latest file (then line); one job row per job id (a requeued
 * Slurm job has a run per requeue), described by its latest run, from its first submission and start to its last end.
 */
function mergeRunsSql(): string[] {
  const intervalColumns = intervalsTable.columns.map((column) => column.name);
  const jobColumns = jobsTable.columns.map((column) => column.name);
  const jobValue = (name: string) => (name === "submit_time" || name === "start_time" || name === "end_time" ? `job_${name}` : quote(name));
  return [
    `CREATE TEMP TABLE batch_latest AS
     FROM batch_records QUALIFY row_number() OVER (PARTITION BY source, cluster, run ORDER BY rank DESC, line DESC) = 1`,
    `INSERT INTO intervals (${intervalColumns.map(quote).join(", ")})
     SELECT ${intervalColumns.map((name) => quote(`interval_${name}`)).join(", ")}
     FROM batch_latest WHERE interval_start_time IS NOT NULL
     ORDER BY interval_source, interval_cluster, interval_account, interval_job_id, interval_start_time, run`,
    `INSERT INTO jobs (${jobColumns.map(quote).join(", ")})
     SELECT ${jobColumns.map(jobValue).join(", ")} FROM (
       SELECT *, min(submit_time) OVER job AS job_submit_time, min(start_time) OVER job AS job_start_time, max(end_time) OVER job AS job_end_time,
         row_number() OVER (job ORDER BY submit_time DESC NULLS LAST, rank DESC, line DESC) AS n
       FROM batch_latest WINDOW job AS (PARTITION BY source, cluster, job_id)
     ) WHERE n = 1 ORDER BY source, cluster, account, job_id`,
    "INSERT INTO owners SELECT DISTINCT owner FROM batch_latest WHERE owner NOT IN (SELECT owner FROM owners) ORDER BY owner",
    `CREATE TEMP TABLE batch_spans AS
     SELECT source, cluster, min(interval_start_time) AS first_time, greatest(max(file_time), max(interval_end_time)) AS last_time
     FROM batch_latest GROUP BY source, cluster HAVING count(interval_start_time) > 0`,
    "DROP TABLE batch_records",
  ];
}

/** Inserts the batch sources' accounts (every account of a job read) and spans (first start to last dump or end). */
export function batchAccountsAndSpansSql(): string[] {
  return [
    "INSERT INTO accounts SELECT DISTINCT source, cluster, account FROM jobs WHERE source <> 'nomad' ORDER BY ALL",
    "INSERT INTO spans SELECT * FROM batch_spans ORDER BY source, cluster",
    "DROP TABLE batch_spans",
    "DROP TABLE batch_latest",
  ];
}
