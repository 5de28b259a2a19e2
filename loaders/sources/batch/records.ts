import type { IntervalRecord, JobRecord, Problem, Source } from "../../model/records.js";
import type { Micros } from "../../model/time.js";
import type { FluxReason } from "../flux/reasons.js";
import type { SgeReason } from "../sge/reasons.js";
import type { SlurmReason } from "../slurm/reasons.js";

/**
 * What every batch scheduler's adapter (Slurm, Grid Engine, Flux) gives the ingest: a parser per file that reads it
 * line by line, so that a file larger than memory streams, and turns each line into a record of the common model,
 * a problem, or nothing; a parser that can also read a long line in pieces (Flux's one-line documents) streams it. The ingest (loaders/ingest/batch.ts) lists the files, reads them, and keeps one record per
 * run across files: the one of the latest file.
 */

/** The longest line a parser without `stream` is given whole (in UTF-16 code units); a longer one is skipped. */
export const MAX_LINE = 64 * 1024 * 1024;
export const LINE_TOO_LONG = "a line longer than 64 Mi characters" as const;

/** Why a batch file or line is skipped, whatever its scheduler: fixed texts, holding nothing read from the archive. */
export type BatchReason =
  | "unreadable file"
  | "compressed in a format the ingest does not read (only gzip): decompress it, or gzip it"
  | "a job still running in a file whose name gives no time (YYYY-MM-DDTHH:MM:SS.<ext>)"
  | typeof LINE_TOO_LONG
  | SlurmReason
  | SgeReason
  | FluxReason;

/** A file of batch records, as the ingest hands it to its adapter. */
export interface BatchFile {
  /** Path relative to the archive, with `/` separators: `slurm/2024-05-01T00:00:00.txt`, `sge/cluster-a/accounting`. */
  path: string;
  /**
   * The cluster its records belong to unless they name one (Slurm's `Cluster`): the first folder below the source's
   * own (`sge/<cluster>/accounting`), else the source's name.
   */
  cluster: string;
  /**
   * When the file was written, if its name says so (`<YYYY-MM-DDTHH:MM:SS>.<ext>`, UTC): a job still running in it
   * runs until then. Null otherwise: such a job is reported and skipped.
   */
  time: Micros | null;
}

/** One run of a job read from a line of a batch file. */
export interface BatchRecord {
  job: JobRecord;
  /** What the run consumed over its time; null when it consumed nothing (it never started). */
  interval: IntervalRecord | null;
  /**
   * The run's identity across files: records with the same source, cluster and run in several files (overlapping
   * dumps, a rotated copy and the live file) are one run, described by the latest file (then the latest line).
   */
  run: string;
}

/** What a parser makes of one line: a record, a problem (the line skipped and why), or null for a line that holds no job (a header, a comment, a job step, a blank line). */
export type LineResult = BatchRecord | Problem | null;

export interface LineParser {
  /**
   * Reads a line, without its end of line; `number` counts from 1. A line may hold several jobs (Flux's
   * `flux jobs --json` document): a result for each.
   */
  line(text: string, number: number): LineResult | readonly LineResult[];
  /**
   * Reads line `number` in pieces, as it streams, when it is too long to be given whole (over a MiB): given, it
   * reads every such line, with the results `line` would give the whole line.
   */
  stream?(number: number): LineStream;
}

/** A line read as it streams. */
export interface LineStream {
  /** Reads the next piece of the line: the results of the records it completes. */
  write(text: string): readonly LineResult[];
  /**
   * The line's end: the results it completes. `retract` when what `write` gave does not stand (the line refused as a
   * whole, not valid JSON or cut short; or one record after all): the ingest then drops the records and problems
   * `write` gave, and keeps only these results.
   */
  end(): { results: readonly LineResult[]; retract: boolean };
}

export interface BatchSource {
  source: Exclude<Source, "nomad">;
  /** The folder of the archive its files are under: `slurm`, `sge`, `flux`. */
  folder: string;
  /**
   * Whether a file under that folder (its name, without folders, and without `.gz`: the ingest decompresses gzipped
   * files) holds records: Grid Engine's `accounting*`…
   */
  matches(name: string): boolean;
  /** A parser for one file, holding what earlier lines told (a header's field order). */
  parser(file: BatchFile): LineParser;
}

export const isProblem = (result: LineResult): result is Problem => result !== null && "reason" in result;
