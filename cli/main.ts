import { resolve } from "node:path";
import { ArchiveError } from "../loaders/archive.js";
import { openDatabase, runReport, writeParquet, type AccountingDatabase } from "../loaders/database.js";
import { ingestArchive, type ArchiveTables } from "../loaders/ingest.js";
import { PSEUDONYM_KEY_VARIABLE, pseudonymKeyFrom } from "../loaders/pseudonym.js";
import { formatInstant } from "../loaders/time.js";
import { formatProblem, formatReport } from "./format.js";
import { DEFAULT_ARCHIVE, FORMATS, parseOptions, UsageError, type IngestOptions, type ReportOptions } from "./options.js";
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
  accounting ingest [--archive DIR] --out DIR [--private]
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
  --private          put names and emails of users/user-db.json in the users table:
                     never publish such output
  Owners get pseudonyms keyed by $${PSEUDONYM_KEY_VARIABLE} (random when unset).

Files and jobs that cannot be read are skipped and listed on stderr; every number is
what it would be without them. Exit status: 0 done, 1 an archive with no usable snapshot, 2 bad arguments or no archive.
`;

/** An archive that was read but holds nothing to account for. */
class UnusableArchive extends Error {}

async function load(archive: string, io: Io, pseudonymKey: string, privateBuild = false): Promise<{ tables: ArchiveTables; database: AccountingDatabase }> {
  const progress = createProgress(io.stderr, "snapshots");
  const tables = await ingestArchive(archive, { pseudonymKey, private: privateBuild, onProgress: progress.update });
  progress.done();
  if (tables.snapshots.length === 0) throw new UnusableArchive(`no snapshot with jobs in ${resolve(archive, "snapshots")}`);
  return { tables, database: await openDatabase(tables) };
}

function listProblems(tables: ArchiveTables, io: Io): void {
  for (const problem of tables.problems) io.stderr.write(`${formatProblem(problem)}\n`);
  const count = tables.problems.length;
  if (count) io.stderr.write(`${count} ${count === 1 ? "file or job" : "files or jobs"} skipped: every number is what it would be without them\n`);
}

function checkNamespaces(tables: ArchiveTables, requested: string[] | undefined): void {
  const known = [...new Set(tables.snapshots.map((row) => row.namespace))].sort();
  const unknown = (requested ?? []).filter((name) => !known.includes(name));
  if (unknown.length) throw new UsageError(`unknown namespace ${unknown.map((n) => JSON.stringify(n)).join(", ")}; the archive has ${known.join(", ")}`);
}

async function report(options: ReportOptions, io: Io): Promise<void> {
  const { tables, database } = await load(options.archive, io, pseudonymKeyFrom({}).key);
  try {
    checkNamespaces(tables, options.namespaces);
    listProblems(tables, io);
    const result = await runReport(database, { from: options.from, to: options.to, mode: options.mode, namespaces: options.namespaces });
    io.stdout.write(formatReport(result, options.format));
  } finally {
    database.close();
  }
}

async function ingest(options: IngestOptions, io: Io): Promise<void> {
  const key = pseudonymKeyFrom(io.env);
  if (key.random) io.stderr.write(`warning: ${PSEUDONYM_KEY_VARIABLE} is not set: pseudonyms are random and change from one run to the next\n`);
  const { tables, database } = await load(options.archive, io, key.key, options.private);
  try {
    listProblems(tables, io);
    const paths = await writeParquet(database, options.out);
    const times = [...new Set(tables.snapshots.map((row) => row.time))];
    const namespaces = new Set(tables.snapshots.map((row) => row.namespace));
    io.stdout.write(
      `Read ${times.length} snapshots from ${formatInstant(times[0] as number)} to ${formatInstant(times.at(-1) as number)} ` +
        `in ${namespaces.size} namespaces: ${tables.jobs.length} jobs, ${tables.intervals.length} intervals, ` +
        `${tables.users.length} users, ${tables.problems.length} problems (files or jobs skipped). ` +
        `Wrote ${paths.length} Parquet files to ${resolve(options.out)}${options.private ? " (PRIVATE: names and emails included, do not publish)" : ""}.\n`,
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
    if (error instanceof UsageError || error instanceof ArchiveError || error instanceof UnusableArchive) {
      io.stderr.write(`accounting: ${error.message}\n`);
      return error instanceof UnusableArchive ? 1 : 2;
    }
    throw error;
  }
}
