import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ArchiveError } from "../loaders/sources/nomad/archive.js";
import { loadArchive, type LoadOptions } from "../loaders/ingest/load.js";
import {
  assertUsableArchive,
  describeArchive,
  readProblems,
  UnusableArchiveError,
  writeOutTables,
  type AccountingDatabase,
  type ArchiveSummary,
} from "../loaders/ingest/database.js";
import { inertText } from "../loaders/model/inert-text.js";
import { ForeignFiles } from "../loaders/ingest/replace-folder.js";
import { environmentFrom, VARIABLES } from "../loaders/ingest/environment.js";
import { cacheFolderFor, forgetStamp } from "../loaders/ingest/ingest-cache.js";
import { MIN_KEY_DIGITS, newPseudonymKey, pseudonymKeyFrom, WeakPseudonymKey } from "../loaders/ingest/pseudonym.js";
import { coverageSentences, PeriodError, periodCoverage } from "../loaders/queries/coverage.js";
import { knownIssuesPath, readKnownIssues, type KnownIssue } from "../loaders/ingest/known-issues.js";
import { problemCountsSql, snapshotCoverageSql, staleAfterHours, type ProblemCount, type SnapshotCoverage } from "../loaders/queries/quality.js";
import { runReport } from "../loaders/queries/report.js";
import { runBreakdown } from "../loaders/queries/breakdown.js";
import { formatBreakdowns } from "./breakdown-format.js";
import { formatDay, formatInstant } from "../loaders/model/time.js";
import { formatProblems, formatProblemSummary, formatReport, SUMMARY_REASONS } from "./format.js";
import {
  DEFAULT_ARCHIVE,
  FORMATS,
  parseOptions,
  UsageError,
  type BalanceOptions,
  type CheckOptions,
  type IngestOptions,
  type SummarizeOptions,
  type ReadingOptions,
  type ReportOptions,
} from "./options.js";
import { createProgress } from "./progress.js";
import { collect } from "./collect.js";
import { summarizeArchive, writeSummaries } from "./summarize.js";
import { formatBalances } from "./balance-format.js";
import { allocationsPath, readAllocations } from "../loaders/ingest/allocations.js";
import { AllocationsError } from "../loaders/model/allocations.js";
import { runBalances } from "../loaders/queries/balance.js";
import { DumpWriteError, SacctError } from "../loaders/sources/slurm/collect.js";
import { snapshot, usersUpdate, type Teller } from "./nomad.js";
import { NomadError } from "../loaders/sources/nomad/nomad-api.js";
import { ArchiveWriteError } from "../loaders/sources/nomad/take-snapshot.js";
import { UserDatabaseError } from "../loaders/sources/nomad/users-update.js";
import { ReadingThreadError } from "../loaders/sources/nomad/parallel-fold.js";

export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** The time now, in ms since the epoch; `Date.now` by default. */
  now?(): number;
}

const HELP = `accounting: resource accounting of compute clusters from their records: Nomad snapshots,
Slurm sacct dumps, Grid Engine accounting files, Flux job records (README: the archive layout)

Usage:
  accounting report [--archive DIR] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
                    [--mode exact|compat] [--namespaces a,b] [--format table|json|csv]
                    [--by DIMENSION [--top N | --least N] [--bin day|week|month|quarter|year]]
                    [--cache DIR | --no-cache] [--verify-content]
                    [--quiet | --problems summary|all|none]
  accounting ingest [--archive DIR] --out DIR [--private] [--cache DIR | --no-cache]
                    [--verify-content] [--quiet | --problems summary|all|none]
  accounting summarize [--archive DIR] [--namespaces a,b] [--from YYYY-MM-DD]
                    [--to YYYY-MM-DD] --out DIR [--private] [--cache DIR | --no-cache]
                    [--verify-content] [--quiet | --problems summary|all|none]
  accounting balance [--archive DIR] [--at YYYY-MM-DD] [--format table|json|csv]
                    [--cache DIR | --no-cache] [--verify-content]
                    [--quiet | --problems summary|all|none]
  accounting check  [--archive DIR] [--max-age HOURS] [--cache DIR | --no-cache]
                    [--verify-content] [--quiet | --problems summary|all|none]
  accounting collect slurm [--archive DIR] [--since TIME] [--quiet]
  accounting snapshot [--archive DIR] [--nomad ADDR] [--token-file F] [--namespaces a,b] [--quiet]
  accounting users update [--archive DIR] [--nomad ADDR] [--token-file F] [--namespaces a,b]
                    [--quiet]
  accounting key
  accounting --help
  accounting --version

report   CPU-, GPU-, memory- and disk-hours, jobs and active users per account (a Nomad
         namespace, a Slurm account, a Grid Engine project, a Flux bank) and in total, for
         the days FROM to TO (both included, UTC).
  --archive DIR      archive with snapshots/, slurm/, sge/ and flux/ folders, any of them
                     (default ${DEFAULT_ARCHIVE})
  --from DAY         first day; default: the first snapshot or job start
  --to DAY           last day; default: the day of the last snapshot or dump
  --mode exact       usage clipped to [FROM 00:00, TO+1 00:00): adjacent periods add up (default)
  --mode compat      upstream usage_stats.py's numbers, which stop at the period's last snapshot
                     (Nomad snapshots only)
  --namespaces a,b   these accounts, in this order; default: every account of the archive
  --format FORMAT    ${FORMATS.join(", ")} (default table: whole hours, as upstream; json and csv: exact hours)
  --by DIMENSION     the usage per value of account, user (owner ids), cluster, source, kind,
                     image, datacenter, queue, qos, node (a run's time shared evenly between
                     its hosts), cores or gpus (a run's cores or GPUs: 0, 1, 2, 3-4, 5-8…)
                     instead of per account; the groups' hours add up to the total
  --top N            only the N groups with the most CPU-hours over the period; the rest in "other"
  --least N          only the N groups with the fewest CPU-hours; the rest in "other"
  --bin UNIT         one breakdown per UTC day, week (ISO, from Monday), month, quarter or year of
                     the period, clipped to it: the bins add up to the period (exact mode only);
                     JSON: an array of one object per bin, the coverage on stderr
  Beside the numbers: how much of the period the records cover, what was counted before the
  first snapshot, the gaps and known issues inside it (under the tables; "coverage" in JSON;
  on stderr with CSV). A period that starts after it ends is refused (exit 2).

ingest   write the archive's tables as Parquet (zstd) into DIR: intervals, snapshots,
         problems, jobs, accounts, spans, users; then print a summary. DIR is replaced whole, in one step:
         the previous tables or the new ones, never a mix. The files are readable by their
         owner only (0600), and DIR, if created, by its owner only (0700).
  --out DIR          output folder (created if missing)
  --private          put names and emails of users/user-db.json in the users table, job
                     titles in the jobs table and what each skipped file or job held in
                     the problems table: never publish such output
  Owners get pseudonyms keyed by $${VARIABLES.pseudonymKey} (random when unset): at least
  ${MIN_KEY_DIGITS} hexadecimal digits of randomness, shorter keys are refused.

summarize  upstream summarize.py's files for each Nomad namespace, cell for cell, into DIR
         (replaced whole; files 0600): <ns>-timeseries.csv (daily means over the snapshots),
         <ns>-users-agg.csv (each owner's resource-days), <ns>-full-agg.csv (their sum).
         Batch accounts have no snapshots: they are refused, and left out by default.
  --out DIR          output folder (created if missing)
  --from, --to DAY   the days summarized (default: every snapshot)
  --namespaces a,b   these namespaces; default: every Nomad namespace
  --private          also <ns>-users-agg-merged.csv, users/user-db.json's users with their
                     names and emails (upstream's merge-userdb-stats.py): never publish it

balance  each bank of DIR/allocations.json (README: Allocations) on a day: the units of its
         grants active then, what its members and sub-banks used since those grants began
         (service units: billing × hours, weighed as Slurm's TRESBillingWeights), what remains,
         the percentage used and the day it runs out at the last 30 days' rate.
  --at DAY           the day (default: the archive's last day)
  --format FORMAT    table, json or csv; exit status 1 when a bank is over its grant

collect  add a dump of the scheduler's accounting to the archive, for cron. slurm: the jobs
         sacct lists from TIME to now (every user, requeued runs too), into
         DIR/slurm/<now, UTC>.txt, hidden until sacct has succeeded; prints what it wrote.
         A job still running in the newest dump counts until that dump's time.
  --since TIME       YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC); default: the newest dump's time
                     (jobs running then come again: the latest dump wins), else all history

snapshot  add a snapshot of Nomad's deployments to the archive, for cron: every job named
         module…, tool… or batch… of each namespace, with its chosen allocation, status,
         resources and endpoints, into DIR/snapshots/<now, UTC>.json, the bytes upstream's
         take_snapshot.py writes (submit_time in this process's time zone, as upstream: set TZ
         as the old cron's host had it). Written under a hidden name, then renamed: never half a
         file. A job whose records lack what a snapshot needs (no Meta.owner, no task "main",
         an allocation not yet reported) is left out with a warning; Nomad unreachable,
         refusing or failing after 3 more tries (1, 2, 4 s apart; 30 s per request) writes nothing.
  --nomad ADDR       Nomad's address, http(s)://host:port (default $${VARIABLES.nomadAddress})
  --token-file F     a file holding the ACL token (default $${VARIABLES.nomadToken}); never printed
  --namespaces a,b   these namespaces, in this order; default: Nomad's, but default and tutorials
  TLS as Nomad's own client takes it: $${VARIABLES.nomadCaCert} (the CA file to verify the server
  with; the system's CAs otherwise), $${VARIABLES.nomadClientCert} and $${VARIABLES.nomadClientKey}
  (mutual TLS), $${VARIABLES.nomadServerName} (the name the server's certificate bears).
  The certificate is always verified.

users update  add the owners of Nomad's jobs named module-… or tool-… to DIR/users/user-db.json,
         as upstream's update-user-db.py: a job's Meta.owner_name and Meta.owner_email overwrite
         the owner's name and email, nothing is deleted, new owners come last. The file keeps its
         layout (one line or indented; new: indented), is written whole, readable by its owner
         only (0600); one that is not a user database is left as it is (exit status 1). Same
         options as snapshot.

key      print a new pseudonym key: 64 hexadecimal digits from the system's random source.
         Keep it secret, as the value of $${VARIABLES.pseudonymKey}.

check    alert for cron: fail when the archive's newest usable snapshot is too old (Nomad).
         Prints "ok: newest snapshot …" otherwise (nothing with --quiet).
  --max-age HOURS    the oldest it may be; default: twice the median time between
                     snapshots (an archive of one snapshot needs --max-age)

Every command that reads the archive keeps what it read in an ingest cache and, when the
archive has only gained newer snapshot files since, reads just those; any other change to
the snapshots means reading all of them again. Batch records are read whole at every run. Files are told apart by name, size and
modification time: a snapshot rewritten with the same size and time goes unseen, unless
--verify-content. The cache holds owner ids and job titles: keep it private.
  --cache DIR        the cache's folder (default $${VARIABLES.cache}, else
                     $XDG_CACHE_HOME/cluster-accounting/<hash of the archive's path>)
  --no-cache         read the whole archive, keep nothing
  --verify-content   tell files apart by the SHA-256 of their bytes too, so that a snapshot
                     corrected in place is read again; costs reading the archive once more

Files, lines and jobs that cannot be read are skipped; every number is what it would be without them.
  --problems summary count them per reason on stderr, ${SUMMARY_REASONS} reasons at most (default)
  --problems all     list each one on stderr, with what was found (a value, a parser's message)
  --problems none    say nothing of them
  --quiet, -q        no progress bar, no warning, no problem: only errors

Messages go to stderr, one line each, after "accounting: ": "warning: …" when the command goes
on, "skipped …" and their count for problems, anything else for the error that stops it.
Exit status: 0 done (check: the newest snapshot is recent enough); 1 no usable data: an archive
with no usable snapshot nor job that ran, check's newest snapshot too old, collect's sacct
missing or failing, Nomad unreadable for snapshot or users update, a user database that is
not one, summarize with no snapshot in the period or, with --private, no user
database, or balance with a bank over its grant; 2 bad arguments, compat mode on batch
records, an empty period, no archive, no allocations file or a bad one, an --out folder
holding other files, or check without --max-age on an archive of a single snapshot; 3 a file
that cannot be written: a full disk, a folder it may not write. A cache that
cannot be used or written only warns: the run reads the whole archive instead.

  --help, -h         print this help
  --version          print the version
`;

/** A run that cannot give its result: one line, exit status 1. */
class Failure extends Error {}

/** A file the command must write cannot be (a full disk, a folder it may not write): one line, exit status 3. */
class WriteFailure extends Error {}

/** The exit statuses, as `--help` and the README list them. */
const EXIT = { done: 0, failure: 1, usage: 2, write: 3 } as const;

/** Every message on stderr: one line, after `accounting: `, inert whatever the archive holds (loaders/model/inert-text.ts). */
function say(io: Io, text: string): void {
  io.stderr.write(`accounting: ${inertText(text)}\n`);
}

/** Warnings, when the command goes on: `accounting: warning: …`, but not with --quiet. */
function warner(io: Io, { quiet }: ReadingOptions): (text: string) => void {
  return (text) => {
    if (!quiet) say(io, `warning: ${text}`);
  };
}

/** Progress and warnings of the commands that read Nomad, each a line of stderr. */
function teller(io: Io): Teller {
  return { note: (text) => say(io, text), warn: (text) => say(io, `warning: ${text}`) };
}

/** The version in the package's package.json: one folder above `cli/`, and above the command bundled into `lib/`. */
function packageVersion(): string {
  const path = new URL("../package.json", import.meta.url);
  return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
}

interface Loaded {
  database: AccountingDatabase;
  summary: ArchiveSummary;
  /** The ingest cache's folder, if the run has one. */
  cache?: string;
}

async function load(options: ReadingOptions, io: Io, users?: LoadOptions["users"], inPlace = false): Promise<Loaded> {
  const { archive } = options;
  const progress = options.quiet ? undefined : createProgress(io.stderr, "files");
  const cache = options.cache === "none" ? undefined : options.cache === "default" ? cacheFolderFor(archive, environmentFrom(io.env)) : options.cache.folder;
  const database = await loadArchive(archive, {
    cache,
    verifyContent: options.verifyContent,
    users,
    inPlace,
    onProgress: progress?.update,
    onWarning: warner(io, options),
  }).catch((error: unknown) => {
    if (error instanceof ArchiveError && archive === DEFAULT_ARCHIVE)
      throw new ArchiveError(`${error.message} (the default archive: name yours with --archive DIR)`);
    throw error;
  });
  progress?.done();
  try {
    await assertUsableArchive(database, archive);
    return { database, summary: await describeArchive(database), cache };
  } catch (error) {
    database.close();
    throw error;
  }
}

/** The skipped files and jobs on stderr, as `--problems` says. */
async function tellProblems({ database }: Loaded, options: ReadingOptions, io: Io): Promise<void> {
  const lines =
    options.problems === "all"
      ? formatProblems(await readProblems(database))
      : options.problems === "summary"
        ? formatProblemSummary(await database.query<ProblemCount>(problemCountsSql()))
        : [];
  for (const line of lines) say(io, line);
}

function checkAccounts({ accounts }: ArchiveSummary, requested: string[] | undefined): void {
  const unknown = (requested ?? []).filter((name) => !accounts.includes(name));
  if (unknown.length) throw new UsageError(`unknown account ${unknown.map((n) => JSON.stringify(n)).join(", ")}; the archive has ${accounts.join(", ")}`);
}

/** The archive's known issues; none, with a warning, when its file is broken: they qualify numbers, never change them. */
async function knownIssuesOf(options: ReadingOptions, io: Io): Promise<KnownIssue[]> {
  try {
    return await readKnownIssues(knownIssuesPath(options.archive));
  } catch (error) {
    warner(io, options)((error as Error).message);
    return [];
  }
}

async function report(options: ReportOptions, io: Io): Promise<void> {
  const loaded = await load(options, io);
  const { database, summary } = loaded;
  try {
    checkAccounts(summary, options.namespaces);
    await tellProblems(loaded, options, io);
    const request = { from: options.from, to: options.to, mode: options.mode, namespaces: options.namespaces };
    const coverage = await periodCoverage(database, request, await knownIssuesOf(options, io));
    // Sentences about snapshots for Nomad's archive alone; about records where batch schedulers' are.
    const records = summary.sources.every((source) => source === "nomad") ? "snapshots" : "records";
    const { by, top, least, bin } = options;
    if (by) io.stdout.write(formatBreakdowns(await runBreakdown(database, { ...request, by, top, least, bin }), coverage, options.format, records));
    else io.stdout.write(formatReport(await runReport(database, request), coverage, options.format, records));
    // CSV, and JSON of bins (an array), have no place for the coverage: it goes beside, on stderr.
    const aside = options.format === "csv" || (options.format === "json" && bin !== undefined);
    if (aside && !options.quiet) for (const sentence of coverageSentences(coverage, records)) say(io, `coverage: ${sentence}`);
  } finally {
    database.close();
  }
}

async function ingest(options: IngestOptions, io: Io): Promise<void> {
  const key = pseudonymKeyFrom(environmentFrom(io.env).pseudonymKey);
  if (key.random) warner(io, options)(`${VARIABLES.pseudonymKey} is not set: pseudonyms are random and change from one run to the next`);
  // Written out in an order of their own, the tables need no copy in memory (LoadOptions.inPlace).
  const loaded = await load(options, io, { pseudonymKey: key.key, private: options.private }, true);
  const { database, summary } = loaded;
  let written = false;
  try {
    await tellProblems(loaded, options, io);
    const paths = await writeOutTables(database, options.out, options.private).catch((error: Error) => {
      if (error instanceof ForeignFiles) throw new UsageError(error.message);
      throw new WriteFailure(`cannot write the tables into ${resolve(options.out)}: ${error.message.split("\n")[0]}`);
    });
    written = true;
    const read = summary.sources.map((source) => (source === "nomad" ? `${summary.snapshots} snapshots` : `${source} records`)).join(", ");
    const accounts = summary.sources.length === 1 && summary.sources[0] === "nomad" ? "namespaces" : "accounts";
    io.stdout.write(
      `Read ${read} from ${formatInstant(summary.first as number)} to ${formatInstant(summary.last as number)} ` +
        `in ${summary.accounts.length} ${accounts}: ${summary.jobs} jobs, ${summary.intervals} intervals, ` +
        `${summary.users} users, ${summary.problems} problems (files, lines or jobs skipped). ` +
        `Wrote ${paths.length} Parquet files to ${resolve(options.out)}${options.private ? " (PRIVATE: names, emails, job titles and problem details included, do not publish)" : ""}.\n`,
    );
  } finally {
    database.close();
    // It read the cache's tables where they are: whatever stopped it, the next run checks the whole cache.
    if (!written && loaded.cache !== undefined) forgetStamp(loaded.cache);
  }
}

async function summarize(options: SummarizeOptions, io: Io): Promise<void> {
  // A private load's users table has the names and emails; its pseudonyms are not written.
  const loaded = await load(options, io, options.private ? { pseudonymKey: newPseudonymKey(), private: true } : undefined);
  try {
    await tellProblems(loaded, options, io);
    const summaries = await summarizeArchive(loaded.database, options, warner(io, options));
    await writeSummaries(options.out, summaries.files).catch((error: Error) => {
      if (error instanceof ForeignFiles) throw new UsageError(error.message);
      throw new WriteFailure(`cannot write the summaries into ${resolve(options.out)}: ${error.message.split("\n")[0]}`);
    });
    io.stdout.write(summaries.describe(resolve(options.out)));
  } finally {
    loaded.database.close();
  }
}

/** Each bank's balance on `--at` (the archive's last day by default); fails (exit 1) when a bank is over its grant. */
async function balance(options: BalanceOptions, io: Io): Promise<void> {
  const allocations = await readAllocations(options.archive);
  if (allocations === null) throw new UsageError(`no allocations file: ${allocationsPath(options.archive)} (README: Allocations)`);
  const loaded = await load(options, io);
  try {
    await tellProblems(loaded, options, io);
    const at = options.at ?? formatDay(loaded.summary.last as number);
    const balances = await runBalances(loaded.database, allocations, at);
    io.stdout.write(formatBalances(at, balances, options.format));
    const over = balances.filter((balance) => balance.held);
    if (over.length)
      throw new Failure(`over their grant on ${at}: ${over.map((b) => `bank ${JSON.stringify(b.bank)} (${(b.percent ?? Infinity).toFixed(1)} %)`).join(", ")}`);
  } finally {
    loaded.database.close();
  }
}

const MS_PER_HOUR = 3_600_000;
const formatHours = (hours: number) => `${hours.toFixed(1)} h`;

/** Fails when the newest usable snapshot is older than `--max-age`, by default twice the time between snapshots. */
async function check(options: CheckOptions, io: Io): Promise<void> {
  const loaded = await load(options, io);
  try {
    await tellProblems(loaded, options, io);
    if (!loaded.summary.sources.includes("nomad")) throw new UsageError("check watches the snapshot cron, and the archive has no usable snapshot");
    const [{ last, median_hours }] = (await loaded.database.query<SnapshotCoverage>(snapshotCoverageSql())) as [SnapshotCoverage];
    const newest = last as string;
    if (options.maxAge === undefined && median_hours === null) {
      throw new UsageError("the archive has a single snapshot, so no time between snapshots to go by: give --max-age HOURS");
    }
    const limit = options.maxAge ?? (staleAfterHours(median_hours) as number);
    const age = ((io.now ?? Date.now)() - Date.parse(newest)) / MS_PER_HOUR;
    if (age > limit) throw new Failure(`the newest snapshot, ${newest}, is ${formatHours(age)} old; more than the ${formatHours(limit)} allowed`);
    if (!options.quiet) io.stdout.write(`ok: newest snapshot ${newest}, ${formatHours(age)} old (limit ${formatHours(limit)})\n`);
  } finally {
    loaded.database.close();
  }
}

/** Runs the command line; resolves to the exit status. */
export async function main(argv: string[], io: Io): Promise<number> {
  try {
    const options = parseOptions(argv);
    if (options.command === "help") io.stdout.write(HELP);
    else if (options.command === "version") io.stdout.write(`${packageVersion()}\n`);
    else if (options.command === "key") io.stdout.write(`${newPseudonymKey()}\n`);
    else if (options.command === "report") await report(options, io);
    else if (options.command === "ingest") await ingest(options, io);
    else if (options.command === "summarize") await summarize(options, io);
    else if (options.command === "collect") await collect(options, io);
    else if (options.command === "balance") await balance(options, io);
    else if (options.command === "snapshot") await snapshot(options, io, teller(io));
    else if (options.command === "users") await usersUpdate(options, io, teller(io));
    else await check(options, io);
    return EXIT.done;
  } catch (error) {
    if (error instanceof WriteFailure || error instanceof DumpWriteError || error instanceof ArchiveWriteError) return (say(io, error.message), EXIT.write);
    if (
      error instanceof Failure ||
      error instanceof UnusableArchiveError ||
      error instanceof SacctError ||
      error instanceof NomadError ||
      error instanceof UserDatabaseError ||
      error instanceof ReadingThreadError
    )
      return (say(io, error.message), EXIT.failure);
    if (
      error instanceof UsageError ||
      error instanceof PeriodError ||
      error instanceof ArchiveError ||
      error instanceof WeakPseudonymKey ||
      error instanceof AllocationsError
    )
      return (say(io, error.message), EXIT.usage);
    throw error;
  }
}
