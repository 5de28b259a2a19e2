import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseDay } from "../model/time.js";

/** A period the operators of an archive know its accounting is off, shown beside its numbers and on the timelines. */
export interface KnownIssue {
  /** First day, `YYYY-MM-DD` (UTC). */
  from: string;
  /** Last day included, `YYYY-MM-DD` (UTC). */
  to: string;
  title: string;
  description: string;
}

/** An archive's known issues: `<archive>/known-issues.json`, a list of KnownIssue. */
export function knownIssuesPath(archive: string): string {
  return join(archive, "known-issues.json");
}

function knownIssueOf(value: unknown, position: number): KnownIssue {
  const where = `entry ${position + 1}`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${where} is not an object`);
  const entry = value as Record<string, unknown>;
  const text = (field: keyof KnownIssue): string => {
    const found = entry[field];
    if (typeof found !== "string") throw new Error(`${where}: "${field}" is not a string`);
    return found;
  };
  const day = (field: "from" | "to"): string => {
    const found = text(field);
    if (parseDay(found) === undefined) throw new Error(`${where}: "${field}" is not a day YYYY-MM-DD: ${JSON.stringify(found)}`);
    return found;
  };
  const issue = { from: day("from"), to: day("to"), title: text("title"), description: text("description") };
  if (issue.title.trim() === "") throw new Error(`${where}: "title" is empty`);
  if (issue.from > issue.to) throw new Error(`${where}: "from" ${issue.from} is after "to" ${issue.to}`);
  return issue;
}

/** The known issues a JSON file lists, validated; none when the file does not exist. Throws on a bad file. */
export async function readKnownIssues(path: string): Promise<KnownIssue[]> {
  const failure = (reason: string) => new Error(`known issues file ${path}: ${reason}`);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw failure((error as Error).message);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw failure(`not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(value)) throw failure("not a list of known issues");
  try {
    return value.map(knownIssueOf);
  } catch (error) {
    throw failure((error as Error).message);
  }
}
