import { resolve } from "node:path";
import { ArchiveError } from "../loaders/archive.js";
import { loadArchive, type LoadOptions } from "../loaders/archive-database.js";
import { runReport } from "../loaders/report.js";
import { describeArchive, writeParquet, type AccountingDatabase, type ArchiveSummary } from "../loaders/database.js";
import { cacheFolderFor, CACHE_VARIABLE } from "../loaders/ingest-cache.js";
import { PSEUDONYM_KEY_VARIABLE, pseudonymKeyFrom } from "../loaders/pseudonym.js";
import { coverageSentences, PeriodError, periodCoverage } from "../loaders/coverage.js";
import { knownIssuesPath, readKnownIssues, type KnownIssue } from "../loaders/known-issues.js";
import { formatInstant } from "../loaders/time.js";
import { formatProblem, formatReport } from "./format.js";
import { DEFAULT_ARCHIVE, FORMATS, parseOptions, UsageError, type CacheChoice, type IngestOptions, type ReportOptions } from "./options.js";
import { createProgress } from "./progress.js";

export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
}

const HELP = `accounting: resource accounting of a Nomad cluster from its snapshot archive

Usage:
  accounting report [--archive DIR] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
                    [--mode exact|compat] [--namespaces a,b] [--format table|json|csv]
                    [--cache DIR | --no-cache]
  accounting ingest [--archive DIR] --out DIR [--private] [--cache DIR | --no-cache]
  accounting --help

report   CPU-, GPU-, memory- and disk-hours, jobs and active users per namespace
         and in total, for the days FROM to TO (both included, UTC).
  --archive DIR      archive with snapshots/**/<YYYY-MM-DDTHH:MM:SS>.json (default ${DEFAULT_ARCHIVE})
  --from DAY         first day; default: the first snapshot
  --to DAY           last day; default: the last snapshot's day
  --mode exact       usage clipped to [FROM 00:00, TO+1 00:00): adjacent periods add up (default)
  --mode compat      upstream usage_stats.py's numbers, which stop at the period's last snapshot
  --namespaces a,b   these namespaces, in this order; default: every namespace of the archive
  --format FORMAT    ${FORMATS.join(", ")} (default table: whole hours, as upstream; json and csv: exact hours)

ingest   write the archive's tables as Parquet (zstd) into DIR: intervals, snapshots,
         problems, jobs, users; then print a summary.
  --out DIR          output folder (created if missing)
  --private          put names and emails of users/user-db.json in the users table and
                     job titles in the jobs table: never publish such output
  Owners get pseudonyms keyed by $${PSEUDONYM_KEY_VARIABLE} (random when unset).

Both commands keep what they read in an ingest cache and, when the archive has only gained
newer snapshot files since, read just those; any other change to the archive means reading
all of it again. The cache holds owner ids and job titles: keep it private.
  --cache DIR        the cache's folder (default $${CACHE_VARIABLE}, else
                     $XDG_CACHE_HOME/cluster-accounting/<hash of the archive's path>)
  --no-cache         read the whole archive, keep nothing

Files and jobs that cannot be read are skipped and listed on stderr; every number is
what it would be without them. Exit status: 0 done, 1 an archive with no usable snapshot, 2 bad arguments or no archive.
`;

/** An archive that was read but holds nothing to account for. */
class UnusableArchive extends Error {}

interface Loaded {
  database: AccountingDatabase;
  summary: ArchiveSummary;
}

async function load(archive: string, cache: CacheChoice, io: Io, users?: LoadOptions["users"]): Promise<Loaded> {
  const progress = createProgress(io.stderr, "snapshots");
  const database = await loadArchive(archive, {
    cache: cache === "none" ? undefined : cache === "default" ? cacheFolderFor(archive, io.env) : cache.folder,
    users,
    onProgress: progress.update,
    onWarning: (message) => io.stderr.write(`warning: ${message}\n`),
  });
  progress.done();
  const summary = await describeArchive(database);
  if (summary.snapshots === 0) {
    database.close();
    throw new UnusableArchive(`no snapshot with jobs in ${resolve(archive, "snapshots")}`);
  }
  return { database, summary };
}

function listProblems({ problems }: ArchiveSummary, io: Io): void {
  for (const problem of problems) io.stderr.write(`${formatProblem(problem)}\n`);
  const count = problems.length;
  if (count) io.stderr.write(`${count} ${count === 1 ? "file or job" : "files or jobs"} skipped: every number is what it would be without them\n`);
}

function checkNamespaces({ namespaces }: ArchiveSummary, requested: string[] | undefined): void {
  const unknown = (requested ?? []).filter((name) => !namespaces.includes(name));
  if (unknown.length) throw new UsageError(`unknown namespace ${unknown.map((n) => JSON.stringify(n)).join(", ")}; the archive has ${namespaces.join(", ")}`);
}

/** The archive's known issues; none, with a warning, when its file is broken: they qualify numbers, never change them. */
async function knownIssuesOf(archive: string, io: Io): Promise<KnownIssue[]> {
  try {
    return await readKnownIssues(knownIssuesPath(archive));
  } catch (error) {
    io.stderr.write(`warning: ${(error as Error).message}\n`);
    return [];
  }
}

async function report(options: ReportOptions, io: Io): Promise<void> {
  const { database, summary } = await load(options.archive, options.cache, io);
  try {
    checkNamespaces(summary, options.namespaces);
    listProblems(summary, io);
    const request = { from: options.from, to: options.to, mode: options.mode, namespaces: options.namespaces };
    const coverage = await periodCoverage(database, request, await knownIssuesOf(options.archive, io));
    const result = await runReport(database, request);
    io.stdout.write(formatReport(result, coverage, options.format));
    if (options.format === "csv") for (const sentence of coverageSentences(coverage)) io.stderr.write(`coverage: ${sentence}\n`);
  } finally {
    database.close();
  }
}

async function ingest(options: IngestOptions, io: Io): Promise<void> {
  const key = pseudonymKeyFrom(io.env);
  if (key.random) io.stderr.write(`warning: ${PSEUDONYM_KEY_VARIABLE} is not set: pseudonyms are random and change from one run to the next\n`);
  const { database, summary } = await load(options.archive, options.cache, io, { pseudonymKey: key.key, private: options.private });
  try {
    listProblems(summary, io);
    const paths = await writeParquet(database, options.out);
    io.stdout.write(
      `Read ${summary.snapshots} snapshots from ${formatInstant(summary.first as number)} to ${formatInstant(summary.last as number)} ` +
        `in ${summary.namespaces.length} namespaces: ${summary.jobs} jobs, ${summary.intervals} intervals, ` +
        `${summary.users} users, ${summary.problems.length} problems (files or jobs skipped). ` +
        `Wrote ${paths.length} Parquet files to ${resolve(options.out)}${options.private ? " (PRIVATE: names, emails and job titles included, do not publish)" : ""}.\n`,
    );
  } finally {
    database.close();
  }
}

/** Runs the command line; resolves to the exit status. */
export async function main(argv: string[], io: Io): Promise<number> {
  try {
    const options = parseOptions(argv);
    if (options.command === "help") io.stdout.write(HELP);
    else if (options.command === "report") await report(options, io);
    else await ingest(options, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof PeriodError || error instanceof ArchiveError || error instanceof UnusableArchive) {
      io.stderr.write(`accounting: ${error.message}\n`);
      return error instanceof UnusableArchive ? 1 : 2;
    }
    throw error;
  }
}
