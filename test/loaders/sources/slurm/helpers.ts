import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isProblem, type BatchFile, type BatchRecord, type LineParser, type LineResult } from "../../../../loaders/sources/batch/records.js";
import { slurmSource } from "../../../../loaders/sources/slurm/source.js";
import type { Problem } from "../../../../loaders/model/records.js";
import { parseRfc3339, type Micros } from "../../../../loaders/model/time.js";
import { ROOT } from "../../../helpers/project.js";

/** What the Slurm parser made of each line of a text, with its number (from 1). */
export interface Parsed {
  line: number;
  result: LineResult;
}

/** A time as sacct prints it (`2024-03-01T09:00:00`), read as UTC. */
export function utc(text: string): Micros {
  const time = parseRfc3339(`${text}Z`);
  if (time === undefined) throw new Error(`not a time: ${text}`);
  return time;
}

/** The lines of a file's text, as the ingest hands them over: without their end of line, none after the last. */
export const linesOf = (text: string) => text.replace(/\n$/, "").split("\n");

/** What a parser makes of a line: Slurm's gives one result per line (a line holds one job at most). */
export function lineResult(parser: LineParser, text: string, number: number): LineResult {
  const result = parser.line(text, number);
  if (Array.isArray(result)) throw new Error(`several results for line ${number}`);
  return result as LineResult;
}

/** Parses lines as one dump: by default `slurm/dump.log`, of the cluster `files`, whose name gives no time. */
export function parseLines(lines: readonly string[], file: Partial<BatchFile> = {}): Parsed[] {
  const parser = slurmSource.parser({ path: "slurm/dump.log", cluster: "files", time: null, ...file });
  return lines.map((text, index) => ({ line: index + 1, result: lineResult(parser, text, index + 1) }));
}

/** A file of test/fixtures/slurm/. */
export const fixture = (name: string) => readFileSync(join(ROOT, "test/fixtures/slurm", name), "utf8");

export const recordsOf = (parsed: readonly Parsed[]) => parsed.flatMap(({ result }) => (result === null || isProblem(result) ? [] : [result as BatchRecord]));
export const problemsOf = (parsed: readonly Parsed[]) => parsed.flatMap(({ result }) => (result !== null && isProblem(result) ? [result as Problem] : []));
