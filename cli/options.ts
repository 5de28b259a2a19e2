import { parseArgs } from "node:util";
import { MODES, type Mode } from "../loaders/queries/report.js";
import { BINS, DIMENSIONS, type Bin, type Dimension } from "../loaders/queries/breakdown.js";
import { parseDay, parseRfc3339 } from "../loaders/model/time.js";

export const DEFAULT_ARCHIVE = "data/sample";
export const FORMATS = ["table", "json", "csv"] as const;
export type Format = (typeof FORMATS)[number];
/** How skipped files and jobs are told on stderr: counted per reason, each on its own line, or not at all. */
const PROBLEM_LISTINGS = ["summary", "all", "none"] as const;
type ProblemListing = (typeof PROBLEM_LISTINGS)[number];

/** Bad command-line input: reported in one line, exit status 2. */
export class UsageError extends Error {}

/** `--cache DIR`, `--no-cache`, or neither: the default folder. */
type CacheChoice = { folder: string } | "none" | "default";

/** What every command that reads an archive takes. */
export interface ReadingOptions {
  archive: string;
  cache: CacheChoice;
  /** Tell snapshot files apart by a hash of their bytes too, not only by name, size and modification time. */
  verifyContent: boolean;
  /** No progress bar, no warning, no problem: only errors. */
  quiet: boolean;
  problems: ProblemListing;
}

export interface ReportOptions extends ReadingOptions {
  command: "report";
  from?: string;
  to?: string;
  mode: Mode;
  namespaces?: string[];
  format: Format;
  /** `--by`: the usage per value of a dimension instead of per account, with `--top` or `--least` groups, per `--bin`. */
  by?: Dimension;
  top?: number;
  least?: number;
  bin?: Bin;
}

export interface IngestOptions extends ReadingOptions {
  command: "ingest";
  out: string;
  private: boolean;
}

/** `summarize`: upstream's summary files of the Nomad namespaces into `out`. */
export interface SummarizeOptions extends ReadingOptions {
  command: "summarize";
  out: string;
  from?: string;
  to?: string;
  namespaces?: string[];
  /** Also the users' rows joined with the user database, names and emails. */
  private: boolean;
}

/** `balance`: each bank's grant, use and remaining units on a day. */
export interface BalanceOptions extends ReadingOptions {
  command: "balance";
  /** `YYYY-MM-DD`; by default the archive's last day. */
  at?: string;
  format: Format;
}

export interface CheckOptions extends ReadingOptions {
  command: "check";
  /** The oldest the newest snapshot may be, in hours; by default twice the time between snapshots. */
  maxAge?: number;
}

/** `collect slurm`: a dump of the scheduler's accounting, added to the archive. */
export interface CollectOptions {
  command: "collect";
  scheduler: "slurm";
  archive: string;
  /** `YYYY-MM-DDTHH:MM:SS`, UTC; by default the newest dump's time. */
  since?: string;
  /** Nothing on stdout: only errors. */
  quiet: boolean;
}

/** What `snapshot` and `users update` need to read Nomad; the environment (Nomad's own variables) fills the rest. */
interface NomadOptions {
  archive: string;
  /** `--nomad ADDR`; else `$NOMAD_ADDR`. */
  nomad?: string;
  /** `--token-file F`: the file holding the ACL token; else `$NOMAD_TOKEN`. */
  tokenFile?: string;
  namespaces?: string[];
  /** Nothing on stdout and no progress: only warnings and errors. */
  quiet: boolean;
}

/** `snapshot`: the state of Nomad's deployments, written into the archive as upstream's take_snapshot.py writes it. */
export interface SnapshotOptions extends NomadOptions {
  command: "snapshot";
}

/** `users update`: the owners of Nomad's jobs, with their names and emails, into the archive's user database. */
export interface UsersOptions extends NomadOptions {
  command: "users";
  action: "update";
}

type Options =
  | SnapshotOptions
  | UsersOptions
  | ReportOptions
  | IngestOptions
  | SummarizeOptions
  | BalanceOptions
  | CheckOptions
  | CollectOptions
  | { command: "help" }
  | { command: "version" }
  | { command: "key" };

const COMMANDS = ["report", "ingest", "summarize", "balance", "check", "collect", "snapshot", "users", "key"];

type Values = Record<string, string | boolean | undefined>;
type OptionTypes = Record<string, { type: "string" | "boolean" }>;

/**
 * node:util's messages, as every message of the command: lower case, one line, its first sentence; for a value taken
 * for an option (`--from -5`), how to give it.
 */
function usageErrorOf(error: Error): UsageError {
  const message = error.message.split(/\.\s/)[0] as string;
  const dash = /use '(--[^=']+)=-XYZ'/.exec(error.message)?.[1];
  return new UsageError(`${message.charAt(0).toLowerCase()}${message.slice(1)}${dash ? ` (a value starting with a dash: ${dash}=-…)` : ""}`);
}

function parse(args: string[], options: OptionTypes): Values {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" }, version: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw usageErrorOf(error as Error);
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

/** A number of hours written as digits, with a decimal point or not, more than 0. */
function hours(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || number <= 0) throw new UsageError(`${flag} must be a positive number of hours, not ${JSON.stringify(value)}`);
  return number;
}

const READING_OPTIONS = {
  archive: { type: "string" },
  cache: { type: "string" },
  "no-cache": { type: "boolean" },
  "verify-content": { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  problems: { type: "string" },
} as const;

function cacheChoice(values: Values): CacheChoice {
  const folder = text(values, "cache");
  if (folder !== undefined && values["no-cache"]) throw new UsageError("--cache and --no-cache cannot go together");
  if (folder === "") throw new UsageError("--cache needs a folder");
  if (values["verify-content"] && values["no-cache"]) throw new UsageError("--verify-content checks the ingest cache: it cannot go with --no-cache");
  return folder !== undefined ? { folder } : values["no-cache"] ? "none" : "default";
}

function readingOptions(values: Values): ReadingOptions {
  const quiet = values.quiet === true;
  const problems = oneOf("--problems", text(values, "problems"), PROBLEM_LISTINGS, quiet ? "none" : "summary");
  if (quiet && problems !== "none") throw new UsageError(`--quiet lists no problem: it cannot go with --problems ${problems}`);
  return { archive: text(values, "archive") ?? DEFAULT_ARCHIVE, cache: cacheChoice(values), verifyContent: values["verify-content"] === true, quiet, problems };
}

/** The options of `command`, or help or the version when asked for. */
function commandOptions(args: string[], options: OptionTypes, command: (values: Values) => Options): Options {
  const values = parse(args, { ...READING_OPTIONS, ...options });
  if (values.help) return { command: "help" };
  if (values.version) return { command: "version" };
  return command(values);
}

/** A number of groups for `--top` and `--least`: a whole number, 1 or more. */
function groupCount(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < 1)
    throw new UsageError(`${flag} must be a whole number of groups, 1 or more, not ${JSON.stringify(value)}`);
  return Number(value);
}

/** `--by`, `--top`, `--least` and `--bin`: a breakdown, or none. */
function breakdownOptions(values: Values, mode: Mode): Pick<ReportOptions, "by" | "top" | "least" | "bin"> {
  const byText = text(values, "by");
  const by = byText === undefined ? undefined : oneOf("--by", byText, DIMENSIONS, "account");
  const given = (["top", "least", "bin"] as const).find((flag) => values[flag] !== undefined);
  if (by === undefined && given) throw new UsageError(`--${given} needs --by DIMENSION`);
  if (values.top !== undefined && values.least !== undefined) throw new UsageError("--top and --least cannot go together");
  const binText = text(values, "bin");
  const bin = binText === undefined ? undefined : oneOf("--bin", binText, BINS, "month");
  if (bin !== undefined && mode !== "exact")
    throw new UsageError("--bin needs the exact mode: compat stops each bin at its last snapshot, so the bins would not add up to the period");
  return { by, top: groupCount("--top", text(values, "top")), least: groupCount("--least", text(values, "least")), bin };
}

function reportOptions(args: string[]): Options {
  const options = {
    from: { type: "string" },
    to: { type: "string" },
    mode: { type: "string" },
    namespaces: { type: "string" },
    format: { type: "string" },
    by: { type: "string" },
    top: { type: "string" },
    least: { type: "string" },
    bin: { type: "string" },
  } as const;
  return commandOptions(args, options, (values) => {
    const from = day("--from", text(values, "from"));
    const to = day("--to", text(values, "to"));
    if (from !== undefined && to !== undefined && from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
    const mode = oneOf("--mode", text(values, "mode"), MODES, "exact");
    return {
      command: "report",
      ...readingOptions(values),
      from,
      to,
      mode,
      namespaces: namespaceList(text(values, "namespaces")),
      format: oneOf("--format", text(values, "format"), FORMATS, "table"),
      ...breakdownOptions(values, mode),
    };
  });
}

function ingestOptions(args: string[]): Options {
  return commandOptions(args, { out: { type: "string" }, private: { type: "boolean" } }, (values) => {
    const out = text(values, "out");
    if (!out) throw new UsageError("ingest needs --out DIR");
    return { command: "ingest", ...readingOptions(values), out, private: values.private === true };
  });
}

function summarizeOptions(args: string[]): Options {
  const options = {
    out: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    namespaces: { type: "string" },
    private: { type: "boolean" },
  } as const;
  return commandOptions(args, options, (values) => {
    const out = text(values, "out");
    if (!out) throw new UsageError("summarize needs --out DIR");
    const from = day("--from", text(values, "from"));
    const to = day("--to", text(values, "to"));
    if (from !== undefined && to !== undefined && from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
    return {
      command: "summarize",
      ...readingOptions(values),
      out,
      from,
      to,
      namespaces: namespaceList(text(values, "namespaces")),
      private: values.private === true,
    };
  });
}

function balanceOptions(args: string[]): Options {
  return commandOptions(args, { at: { type: "string" }, format: { type: "string" } }, (values) => ({
    command: "balance",
    ...readingOptions(values),
    at: day("--at", text(values, "at")),
    format: oneOf("--format", text(values, "format"), FORMATS, "table"),
  }));
}

function checkOptions(args: string[]): Options {
  return commandOptions(args, { "max-age": { type: "string" } }, (values) => ({
    command: "check",
    ...readingOptions(values),
    maxAge: hours("--max-age", text(values, "max-age")),
  }));
}

/** A time `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS` (UTC), as `YYYY-MM-DDTHH:MM:SS`. */
function instant(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const time = /^\d{4}-\d\d-\d\d$/.test(value) ? `${value}T00:00:00` : value;
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(time) || parseRfc3339(`${time}Z`) === undefined)
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not a time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, UTC)`);
  return time;
}

function collectOptions(args: string[]): Options {
  const [scheduler, ...rest] = args;
  if (scheduler === "--help" || scheduler === "-h") return { command: "help" };
  if (scheduler !== "slurm") throw new UsageError(`collect takes a scheduler, slurm${scheduler === undefined ? "" : `, not ${JSON.stringify(scheduler)}`}`);
  const values = parse(rest, { archive: READING_OPTIONS.archive, since: { type: "string" }, quiet: READING_OPTIONS.quiet });
  if (values.help) return { command: "help" };
  if (values.version) return { command: "version" };
  return {
    command: "collect",
    scheduler,
    archive: text(values, "archive") ?? DEFAULT_ARCHIVE,
    since: instant("--since", text(values, "since")),
    quiet: values.quiet === true,
  };
}

const NOMAD_OPTIONS = {
  archive: READING_OPTIONS.archive,
  nomad: { type: "string" },
  "token-file": { type: "string" },
  namespaces: { type: "string" },
  quiet: READING_OPTIONS.quiet,
} as const;

function nomadOptions(values: Values): NomadOptions {
  const nomad = text(values, "nomad");
  const tokenFile = text(values, "token-file");
  if (nomad === "") throw new UsageError("--nomad needs Nomad's address, such as https://nomad.example.org:4646");
  if (tokenFile === "") throw new UsageError("--token-file needs a file");
  return {
    archive: text(values, "archive") ?? DEFAULT_ARCHIVE,
    nomad,
    tokenFile,
    namespaces: namespaceList(text(values, "namespaces")),
    quiet: values.quiet === true,
  };
}

function snapshotOptions(args: string[]): Options {
  const values = parse(args, NOMAD_OPTIONS);
  if (values.help) return { command: "help" };
  if (values.version) return { command: "version" };
  return { command: "snapshot", ...nomadOptions(values) };
}

function usersOptions(args: string[]): Options {
  const [action, ...rest] = args;
  if (action === "--help" || action === "-h") return { command: "help" };
  if (action !== "update") throw new UsageError(`users takes an action, update${action === undefined ? "" : `, not ${JSON.stringify(action)}`}`);
  const values = parse(rest, NOMAD_OPTIONS);
  if (values.help) return { command: "help" };
  if (values.version) return { command: "version" };
  return { command: "users", action, ...nomadOptions(values) };
}

export function parseOptions(argv: string[]): Options {
  const [command, ...args] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") return { command: "help" };
  if (command === "--version") return { command: "version" };
  if (command === "report") return reportOptions(args);
  if (command === "ingest") return ingestOptions(args);
  if (command === "summarize") return summarizeOptions(args);
  if (command === "balance") return balanceOptions(args);
  if (command === "check") return checkOptions(args);
  if (command === "collect") return collectOptions(args);
  if (command === "snapshot") return snapshotOptions(args);
  if (command === "users") return usersOptions(args);
  if (command === "key") {
    if (args.length) throw new UsageError(`key takes no argument, not ${JSON.stringify(args[0])}`);
    return { command: "key" };
  }
  const what = command.startsWith("-") ? `option ${JSON.stringify(command)} before any command` : `command ${JSON.stringify(command)}`;
  throw new UsageError(`unknown ${what}; commands: ${COMMANDS.join(", ")} (see accounting --help)`);
}
