import { parseArgs } from "node:util";
import { MODES, type Mode } from "../loaders/report.js";
import { parseDay } from "../loaders/time.js";

export const DEFAULT_ARCHIVE = "data/sample";
export const FORMATS = ["table", "json", "csv"] as const;
export type Format = (typeof FORMATS)[number];

/** Bad command-line input: reported in one line, exit status 2. */
export class UsageError extends Error {}

/** `--cache DIR`, `--no-cache`, or neither: the default folder. */
export type CacheChoice = { folder: string } | "none" | "default";

export interface ReportOptions {
  command: "report";
  archive: string;
  cache: CacheChoice;
  from?: string;
  to?: string;
  mode: Mode;
  namespaces?: string[];
  format: Format;
}

export interface IngestOptions {
  command: "ingest";
  archive: string;
  cache: CacheChoice;
  out: string;
  private: boolean;
}

export type Options = ReportOptions | IngestOptions | { command: "help" };

const COMMANDS = ["report", "ingest"];

type Values = Record<string, string | boolean | undefined>;

function parse(args: string[], options: Record<string, { type: "string" | "boolean" }>): Values {
  try {
    return parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.split(". ")[0] as string);
  }
}

function text(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} must be ${allowed.join(" or ")}, not ${JSON.stringify(value)}`);
  return value as T;
}

function day(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && parseDay(value) === undefined) throw new UsageError(`${flag} ${JSON.stringify(value)} is not a date (YYYY-MM-DD)`);
  return value;
}

function namespaceList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = [...new Set(value.split(",").map((name) => name.trim()))];
  if (names.some((name) => name === "")) throw new UsageError(`--namespaces ${JSON.stringify(value)} has an empty name`);
  return names;
}

const CACHE_OPTIONS = { cache: { type: "string" }, "no-cache": { type: "boolean" } } as const;

function cacheChoice(values: Values): CacheChoice {
  const folder = text(values, "cache");
  if (folder !== undefined && values["no-cache"]) throw new UsageError("--cache and --no-cache cannot go together");
  if (folder === "") throw new UsageError("--cache needs a folder");
  return folder !== undefined ? { folder } : values["no-cache"] ? "none" : "default";
}

function reportOptions(args: string[]): ReportOptions | Options {
  const values = parse(args, {
    ...CACHE_OPTIONS,
    archive: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    mode: { type: "string" },
    namespaces: { type: "string" },
    format: { type: "string" },
  });
  if (values.help) return { command: "help" };
  const from = day("--from", text(values, "from"));
  const to = day("--to", text(values, "to"));
  if (from !== undefined && to !== undefined && from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
  return {
    command: "report",
    archive: text(values, "archive") ?? DEFAULT_ARCHIVE,
    cache: cacheChoice(values),
    from,
    to,
    mode: oneOf("--mode", text(values, "mode"), MODES, "exact"),
    namespaces: namespaceList(text(values, "namespaces")),
    format: oneOf("--format", text(values, "format"), FORMATS, "table"),
  };
}

function ingestOptions(args: string[]): IngestOptions | Options {
  const values = parse(args, { ...CACHE_OPTIONS, archive: { type: "string" }, out: { type: "string" }, private: { type: "boolean" } });
  if (values.help) return { command: "help" };
  if (values.out === undefined) throw new UsageError("ingest needs --out DIR");
  return {
    command: "ingest",
    archive: text(values, "archive") ?? DEFAULT_ARCHIVE,
    cache: cacheChoice(values),
    out: text(values, "out") as string,
    private: values.private === true,
  };
}

export function parseOptions(argv: string[]): Options {
  const [command, ...args] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") return { command: "help" };
  if (command === "report") return reportOptions(args);
  if (command === "ingest") return ingestOptions(args);
  throw new UsageError(`unknown command ${JSON.stringify(command)}; commands: ${COMMANDS.join(", ")} (see accounting --help)`);
}
