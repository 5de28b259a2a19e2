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
import {
  isProblem,
  LINE_TOO_LONG,
  MAX_LINE,
  type BatchFile,
  type BatchRecord,
  type BatchSource,
  type LineParser,
  type LineResult,
  type LineStream,
} from "../sources/batch/records.js";
import { BATCH_SOURCES } from "../sources/batch/sources.js";

/** A file of batch records found in the archive, with its adapter. */
export interface ListedFile extends BatchFile {
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
  /** Its place among its file's records: of two records of one line, the later wins. */
  seq: number;
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
    stagedColumn("seq", "INTEGER", (row) => row.seq),
    stagedColumn("file_time", "TIMESTAMPTZ", (row) => row.fileTime),
  ],
  orderBy: [],
};

/** Records are appended to DuckDB this many at a time: a file of any size is read in constant memory. */
const STAGED_BATCH = 16_384;
/** A line this long (in UTF-16 code units) goes to its parser's `stream`, when it has one, in pieces. */
const LONG_LINE = 1024 * 1024;

/** A file's bytes, decompressed when its name ends in `.gz`; a failure to read it fails the stream. */
function openBytes(path: string): Readable {
  const file = createReadStream(path);
  if (!/\.gz$/i.test(path)) return file;
  const gunzip = createGunzip();
  file.on("error", (error) => gunzip.destroy(error));
  return file.pipe(gunzip);
}

/**
 * What the parser made of (part of) line `number`. `last`: no end of line closed it (a file being written). `partial`:
 * the records a streamed line completed so far, more to come. `retract`: what earlier parts of the line gave does not
 * stand.
 */
interface LineResults {
  number: number;
  results: readonly LineResult[];
  last: boolean;
  partial: boolean;
  retract: boolean;
}

/**
 * The results of each line of a file, without its end of line (`\n` or `\r\n`), as it streams in (decompressed when
 * its name ends in `.gz`). Each chunk is scanned once: a line is kept as its pieces until it ends; one longer than a
 * MiB streams to the parser when it can read a line in pieces, and is skipped as too long past MAX_LINE otherwise.
 */
async function* lineResults(path: string, parser: LineParser, file: BatchFile): AsyncGenerator<LineResults> {
  const decoder = new TextDecoder("utf-8");
  let pieces: string[] = [];
  let length = 0;
  let number = 1;
  let stream: LineStream | undefined;
  let tooLong = false;
  const partial = (results: readonly LineResult[]): LineResults => ({ number, results, last: false, partial: true, retract: false });
  /** A piece of the current line: the records it completes when the line streams. */
  const take = (piece: string): readonly LineResult[] => {
    if (stream) return stream.write(piece);
    if (tooLong) return [];
    pieces.push(piece);
    length += piece.length;
    if (length <= LONG_LINE || (!parser.stream && length <= MAX_LINE)) return [];
    const held = pieces;
    pieces = [];
    length = 0;
    if (!parser.stream) {
      tooLong = true;
      return [];
    }
    const streamed = parser.stream(number);
    stream = streamed;
    return held.flatMap((text) => streamed.write(text));
  };
  const end = (last: boolean): LineResults => {
    const closed = { number, last, partial: false };
    if (stream) {
      const { results, retract } = stream.end();
      stream = undefined;
      return { ...closed, results, retract };
    }
    if (tooLong) {
      tooLong = false;
      return { ...closed, results: [{ file: file.path, line: number, account: null, job: null, reason: LINE_TOO_LONG, detail: null }], retract: false };
    }
    let text = pieces.length === 1 ? (pieces[0] as string) : pieces.join("");
    pieces = [];
    length = 0;
    if (!last && text.endsWith("\r")) text = text.slice(0, -1);
    return { ...closed, results: [parser.line(text, number)].flat(), retract: false };
  };
  for await (const chunk of openBytes(path)) {
    const text = decoder.decode(chunk as Buffer, { stream: true });
    let from = 0;
    for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", from)) {
      const results = take(text.slice(from, at));
      if (results.length > 0) yield partial(results);
      yield end(false);
      number++;
      from = at + 1;
    }
    if (from < text.length) {
      const results = take(text.slice(from));
      if (results.length > 0) yield partial(results);
    }
  }
  const rest = decoder.decode();
  if (rest !== "") take(rest);
  if (pieces.length > 0 || stream || tooLong) yield end(true);
}

/** A listed file to read, with its place in the listing (the record of the greatest wins). */
export interface RankedFile {
  file: ListedFile;
  rank: number;
}

/** An empty staging table (`batch_records`), for stageBatchFiles to fill and mergeBatchRecords to empty. */
export function createBatchStage(connection: DuckDBConnection): Promise<void> {
  return createTable(connection, stagedTable, []);
}

/**
 * Reads `files` into the staging table, each record with its file's rank, line and place among the file's records
 * (`seq`). Returns each file's problems (by rank), in the order found.
 */
export async function stageBatchFiles(
  connection: DuckDBConnection,
  archive: string,
  files: readonly RankedFile[],
  onProgress?: Progress,
): Promise<Map<number, Problem[]>> {
  const found = new Map<number, Problem[]>();
  let staged: StagedRecord[] = [];
  const flush = async () => {
    await appendRows(connection, stagedTable, staged);
    staged = [];
  };
  for (const [index, { file, rank }] of files.entries()) {
    const parser = file.source.parser(file);
    let problems: Problem[] = [];
    let seq = 0;
    /** Whether records of the line being streamed went to DuckDB already; problems of it noted since `firstProblem`. */
    let flushedLine = false;
    let firstProblem = 0;
    try {
      for await (const { number, results, last, partial, retract } of lineResults(join(archive, file.path), parser, file)) {
        if (retract) {
          staged = staged.filter((record) => record.rank !== rank || record.line !== number);
          if (flushedLine) await connection.run(`DELETE FROM batch_records WHERE rank = ${rank} AND line = ${number}`);
        }
        // A streamed line's problems stand only once it ends closed (not a file being written) and not refused.
        if (retract || last) problems = problems.filter((problem, at) => at < firstProblem || problem.line !== number || problem.file !== file.path);
        for (const result of results) {
          if (result === null) continue;
          if (isProblem(result)) {
            if (!last) problems.push(result);
          } else {
            staged.push({ ...result, rank, line: number, seq: seq++, fileTime: file.time });
          }
        }
        if (staged.length >= STAGED_BATCH) {
          await flush();
          flushedLine = partial;
        }
        if (!partial) {
          flushedLine = false;
          firstProblem = problems.length;
        }
      }
    } catch (error) {
      // A file that cannot be read (its records so far kept); anything else is a fault of ours.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === undefined) throw error;
      problems.push(fileProblem(file.path, "unreadable file", code));
    }
    found.set(rank, problems);
    onProgress?.(index + 1, files.length);
  }
  await flush();
  return found;
}

/**
 * The staged records made into the archive's tables: the intervals and jobs of every run (one per run across files,
 * the latest file's), the owners; and the problems, in the order given.
 */
async function mergeBatchRecords(connection: DuckDBConnection, problems: readonly Problem[]): Promise<void> {
  await appendRows(connection, problemsTable, problems);
  for (const sql of mergeRunsSql()) await connection.run(sql);
}

/** Reads every listed file into the archive's tables, and the problems of every file and line (no cache). */
export async function ingestBatchFiles(connection: DuckDBConnection, archive: string, listing: BatchListing, onProgress?: Progress): Promise<void> {
  await createBatchStage(connection);
  const found = await stageBatchFiles(
    connection,
    archive,
    listing.files.map((file, rank) => ({ file, rank })),
    onProgress,
  );
  await mergeBatchRecords(connection, [...listing.problems, ...listing.files.flatMap((_, rank) => found.get(rank) ?? [])]);
}

/** A run's identity across files (BatchRecord.run): its records are one run. */
export const RUN_KEY = ["source", "cluster", "run"] as const;
/** A job's identity: its runs are one job. */
export const JOB_KEY = ["source", "cluster", "job_id"] as const;
/** Of a run's records, the one that describes it comes first: the latest file's (its rank), then line, then place in it. */
export const LATEST_RECORD_FIRST = "rank DESC, line DESC, seq DESC";

/**
 * The job rows of the runs in table `runs` (one record per run): one per job id (a requeued Slurm job has a run per
 * requeue), described by its latest run, from its first submission and start to its last end; in their documented
 * order if `ordered`. `ranked` reads the runs whose jobs to make, as `r`, with their file's `rank`: by default every
 * run, ranked by its column.
 */
export function jobsOfRunsSql(runs: string, ranked = { from: `${runs} r`, rank: "r.rank" }, ordered = false): string {
  const key = JOB_KEY.map((column) => `r.${column}`).join(", ");
  const jobValue = (name: string) => (name === "submit_time" || name === "start_time" || name === "end_time" ? `l.job_${name}` : `b.${quote(name)}`);
  return `SELECT ${jobsTable.columns.map((column) => `${jobValue(column.name)} AS ${quote(column.name)}`).join(", ")} FROM ${runs} b JOIN (
       SELECT ${key}, min(r.submit_time) AS job_submit_time, min(r.start_time) AS job_start_time, max(r.end_time) AS job_end_time,
         arg_max(r.rowid, (coalesce(epoch_us(r.submit_time), -9223372036854775807), ${ranked.rank}, r.line, r.seq)) AS latest
       FROM ${ranked.from} GROUP BY ${key}
     ) l ON b.rowid = l.latest${ordered ? ` ORDER BY ${jobsTable.orderBy.map((column) => `b.${quote(column)}`).join(", ")}` : ""}`;
}

/** A run's interval columns (the staging table's), in the order of the archive's intervals table. */
const RUN_INTERVAL_COLUMNS = intervalsTable.columns.map((column) => ({ run: quote(`interval_${column.name}`), interval: quote(column.name) }));

/** The intervals of the runs in `runs` (a record per run) that started, as the archive's intervals table has them. */
export function intervalsOfRunsSql(runs: string): string {
  return `SELECT ${RUN_INTERVAL_COLUMNS.map((column) => `${column.run} AS ${column.interval}`).join(", ")} FROM ${runs} WHERE interval_start_time IS NOT NULL`;
}

/** The owners of the runs in `runs` not yet in the owners table, and the batch sources' spans (temp.batch_spans). */
export function ownersAndSpansSql(runs: string): string[] {
  return [
    `INSERT INTO owners SELECT DISTINCT owner FROM ${runs} WHERE owner NOT IN (SELECT owner FROM owners) ORDER BY owner`,
    `CREATE TEMP TABLE batch_spans AS
     SELECT source, cluster, min(interval_start_time) AS first_time, greatest(max(file_time), max(interval_end_time)) AS last_time
     FROM ${runs} GROUP BY source, cluster HAVING count(interval_start_time) > 0`,
  ];
}

/**
 * Fills the archive's tables from the runs made one (`runs`: a record per run) and their jobs (`jobs`, a query of job
 * rows in their documented order): intervals and jobs in their documented order (by their keys: the same tables
 * whatever order the rows come in), the owners, the batch sources' spans. Each table filled is compressed (CHECKPOINT)
 * before the next is, unless `compress` is false (inside a transaction, which leaves that to its caller).
 */
export function tablesOfRunsSql(runs: string, jobs: string, compress = true): string[] {
  const checkpoint = compress ? ["CHECKPOINT"] : [];
  return [
    `INSERT INTO intervals (${RUN_INTERVAL_COLUMNS.map((column) => column.interval).join(", ")}) ${intervalsOfRunsSql(runs)}
     ORDER BY interval_source, interval_cluster, interval_account, interval_job_id, interval_start_time, run`,
    ...checkpoint,
    `INSERT INTO jobs (${jobsTable.columns.map((column) => quote(column.name)).join(", ")}) ${jobs}`,
    ...checkpoint,
    ...ownersAndSpansSql(runs),
  ];
}

/**
 * The runs read, made one per run (the record of the latest file, then line, then place in it), and the archive's
 * tables filled from them (tablesOfRunsSql). The staging table is made so in place (its other records deleted, told by
 * a sort of their keys alone) and read from directly: no copy of it is made, which would not be compressed.
 */
function mergeRunsSql(): string[] {
  return [
    `DELETE FROM batch_records WHERE rowid IN (
       SELECT rowid FROM batch_records QUALIFY row_number() OVER (PARTITION BY ${RUN_KEY.join(", ")} ORDER BY ${LATEST_RECORD_FIRST}) > 1)`,
    ...tablesOfRunsSql("batch_records", jobsOfRunsSql("batch_records", undefined, true)),
    "DROP TABLE batch_records",
    "CHECKPOINT",
  ];
}

/** Inserts the batch sources' accounts (every account of a job read) and spans (first start to last dump or end). */
export function batchAccountsAndSpansSql(): string[] {
  return [
    "INSERT INTO accounts SELECT DISTINCT source, cluster, account FROM jobs WHERE source <> 'nomad' ORDER BY ALL",
    "INSERT INTO spans SELECT * FROM batch_spans ORDER BY source, cluster",
    "DROP TABLE batch_spans",
  ];
}
