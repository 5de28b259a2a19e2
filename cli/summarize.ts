import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTable, UnusableArchiveError, type AccountingDatabase } from "../loaders/ingest/database.js";
import { replaceFolder } from "../loaders/ingest/replace-folder.js";
import { readSnapshots, USER_DB_FILE } from "../loaders/sources/nomad/archive.js";
import {
  periodSnapshotsSql,
  runSummaries,
  sightingsOf,
  sightingsTable,
  type Sighting,
  type SummaryFile,
  type SummaryRequest,
  type UserDatabaseEntry,
} from "../loaders/queries/summaries.js";
import { sqlString } from "../loaders/queries/sql.js";
import { formatInstant } from "../loaders/model/time.js";
import { UsageError, type SummarizeOptions } from "./options.js";

/** The files of one summary: upstream's names, in the output folder. */
const SUMMARY_FILE = /-(timeseries|users-agg|full-agg|users-agg-merged)\.csv$/;

/** What `summarize` computed: the files, and the sentence that tells what they hold. */
interface Summaries {
  files: SummaryFile[];
  describe(out: string): string;
}

/**
 * The Nomad namespaces to summarize: those named, else every one. Upstream's summaries are means over snapshots, which
 * batch records do not have: another source's account is refused, and left out (with a warning) by default.
 */
async function namespacesOf(database: AccountingDatabase, requested: string[] | undefined, warn: (text: string) => void): Promise<string[]> {
  const accounts = await database.query<{ source: string; account: string }>("SELECT DISTINCT source, account FROM accounts ORDER BY account, source");
  const nomad = accounts.filter((row) => row.source === "nomad").map((row) => row.account);
  const others = accounts.filter((row) => row.source !== "nomad");
  if (nomad.length === 0)
    throw new UsageError(
      "summarize reads Nomad snapshots, and the archive has none (upstream's summaries are means over snapshots): report gives its accounts' usage",
    );
  if (!requested && others.length) {
    warn(`summarize reads Nomad snapshots only: ${others.map((row) => `${row.source} account ${JSON.stringify(row.account)}`).join(", ")} left out`);
  }
  const names = requested ?? nomad;
  for (const name of names) {
    const other = others.find((row) => row.account === name);
    if (!nomad.includes(name) && other)
      throw new UsageError(`${JSON.stringify(name)} is a ${other.source} account: summarize reads Nomad snapshots only; report gives its usage`);
    if (!nomad.includes(name)) throw new UsageError(`unknown namespace ${JSON.stringify(name)}; the archive has ${nomad.join(", ")}`);
    if (/[/\u0000]/.test(name)) throw new UsageError(`namespace ${JSON.stringify(name)} cannot name a file: leave it out with --namespaces`);
  }
  return names;
}

/**
 * The sightings table of the period's snapshots, read again from their files: the ingest's tables count jobs per
 * status, and summaries need each running or queued job's owner and resources. Only the snapshots the ingest used.
 */
async function addSightings(database: AccountingDatabase, archive: string, request: SummaryRequest): Promise<number[]> {
  const files = await database.query<{ file: string; time: number }>(periodSnapshotsSql(request));
  const wanted = new Set(request.namespaces);
  const sightings: Sighting[] = [];
  // readSnapshots reads each file by its path and time; size and modification time only tell the cache what changed.
  for (const item of readSnapshots(
    archive,
    files.map(({ file, time }) => ({ file, time, size: 0, mtime: 0 })),
  )) {
    if ("problem" in item) throw new UnusableArchiveError(`snapshot ${item.problem.file} changed while summarized: ${item.problem.reason}; run again`);
    for (const sighting of sightingsOf(item.snapshot)) if (wanted.has(sighting.account)) sightings.push(sighting);
  }
  await createTable(database.connection, sightingsTable, sightings);
  return files.map(({ time }) => time);
}

/**
 * The user database in its order (upstream's merge keeps it), with the names and emails of a private load's users
 * table: the owners of jobs it lists. A missing or broken database cannot be joined.
 */
async function userDatabase(database: AccountingDatabase, archive: string): Promise<UserDatabaseEntry[]> {
  const [broken] = await database.query<{ reason: string }>(`SELECT reason FROM problems WHERE file = ${sqlString(USER_DB_FILE)} LIMIT 1`);
  if (broken) throw new UnusableArchiveError(`--private joins the user database, and ${USER_DB_FILE} cannot be read: ${broken.reason}`);
  const text = await readFile(join(archive, USER_DB_FILE), "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") throw new UnusableArchiveError(`--private joins the user database, and the archive has no ${USER_DB_FILE}`);
    throw new UnusableArchiveError(`--private joins the user database, and ${USER_DB_FILE} cannot be read (${error.code ?? error.message})`);
  });
  let order: string[];
  try {
    order = Object.keys(JSON.parse(text) as object);
  } catch {
    throw new UnusableArchiveError(`--private joins the user database, and ${USER_DB_FILE} changed while summarized; run again`);
  }
  const users = await database.query<UserDatabaseEntry>("SELECT owner, name, email FROM users");
  const byOwner = new Map(users.map((user) => [user.owner, user]));
  return order.flatMap((owner) => byOwner.get(owner) ?? []);
}

/**
 * `accounting summarize`: upstream's summary files of the archive's Nomad namespaces over the period (days FROM to TO,
 * UTC; by default every snapshot). Usage errors throw UsageError; a period with no snapshot or, with --private, no
 * user database to join, UnusableArchiveError.
 */
export async function summarizeArchive(database: AccountingDatabase, options: SummarizeOptions, warn: (text: string) => void): Promise<Summaries> {
  const namespaces = await namespacesOf(database, options.namespaces, warn);
  const request = { namespaces, from: options.from, to: options.to };
  const snapshots = await addSightings(database, options.archive, request);
  const [first, last] = [snapshots[0], snapshots.at(-1)];
  if (first === undefined || last === undefined) {
    throw new UnusableArchiveError(`no snapshot from ${options.from ?? "the first"} to ${options.to ?? "the last"}: nothing to summarize`);
  }
  const users = options.private ? await userDatabase(database, options.archive) : undefined;
  const files = await runSummaries(database, request, users);
  return {
    files,
    describe: (out) =>
      `Summarized ${snapshots.length} snapshots from ${formatInstant(first)} to ${formatInstant(last)} for ${namespaces.length} namespaces: ` +
      `wrote ${files.length} files to ${out}${options.private ? " (PRIVATE: users' names and emails included, do not publish)" : ""}.\n`,
  };
}

/**
 * Writes the files into `out`, replaced whole as `ingest --out` replaces its folder (loaders/ingest/replace-folder.ts):
 * the previous summaries or the new ones, never a mix. They hold owner ids: each is its owner's only (0600).
 */
export async function writeSummaries(out: string, files: readonly SummaryFile[]): Promise<void> {
  await replaceFolder(
    out,
    (name) => SUMMARY_FILE.test(name),
    async (folder) => {
      for (const { name, text } of files) {
        const path = join(folder, name);
        await writeFile(path, text, { mode: 0o600 });
        await chmod(path, 0o600);
      }
    },
  );
}
