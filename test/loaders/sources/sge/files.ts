import { readFileSync } from "node:fs";
import type { Problem } from "../../../../loaders/model/records.js";
import type { BatchFile, BatchRecord, LineParser, LineResult } from "../../../../loaders/sources/batch/records.js";
import { sgeSource } from "../../../../loaders/sources/sge/source.js";

/** What the adapter makes of a whole file, line by line as the ingest hands them: records, problems, and lines that held nothing. */
export interface ParsedFile {
  records: BatchRecord[];
  problems: Problem[];
  nothing: number;
  /** Whether the last line has no end of line: the ingest drops its problem (a file being written). */
  unfinished: boolean;
}

/** What the parser makes of a line: one result, as a Grid Engine line holds at most one job. */
export function single(parser: LineParser, text: string, number: number): LineResult {
  const result = parser.line(text, number);
  if (Array.isArray(result)) throw new Error(`several results for line ${number}`);
  return result as LineResult;
}

/** The record a line gives, which must be one. */
export function recordOf(parser: LineParser, text: string): BatchRecord {
  const result = single(parser, text, 7);
  if (result === null || "reason" in result) throw new Error(`not a record: ${JSON.stringify(result)}`);
  return result;
}

export function parseFile(path: string, file: BatchFile): ParsedFile {
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  const unfinished = lines.at(-1) !== "";
  if (!unfinished) lines.pop();
  const parser = sgeSource.parser(file);
  const parsed: ParsedFile = { records: [], problems: [], nothing: 0, unfinished };
  for (const [index, line] of lines.entries()) {
    const result = single(parser, line.replace(/\r$/, ""), index + 1);
    if (result === null) parsed.nothing++;
    else if ("reason" in result) parsed.problems.push(result);
    else parsed.records.push(result);
  }
  return parsed;
}

/** Slot-hours of a record's interval: its cores times its hours. */
export const slotHours = ({ interval }: BatchRecord): number => (interval ? (interval.resources.cpu_num! * (interval.end - interval.start)) / 3.6e9 : 0);
