import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assertUsableArchive, connectorOf, onEveryCore, UnusableArchiveError } from "../loaders/ingest/database.js";
import { readKnownIssues, type KnownIssue } from "../loaders/ingest/known-issues.js";
import { loadArchive } from "../loaders/ingest/load.js";
import { WeakPseudonymKey } from "../loaders/ingest/pseudonym.js";
import { inertText } from "../loaders/model/inert-text.js";
import { periodReports } from "../loaders/site/period-reports.js";
import type { MemoUse, QueryMemo } from "../loaders/site/query-memo.js";
import { MANIFEST, packSiteTables, siteBuildFrom, writeSiteTables } from "../loaders/site/site-data.js";
import type { SiteManifest } from "../loaders/site/site-tables.js";
import { ArchiveError } from "../loaders/sources/nomad/archive.js";
import { escapeHtml } from "../components/markup.js";
import { missingPeriodMarkdown, periodIndexMarkdown, periodPageMarkdown } from "../components/period-report.js";
import { accountingDefault, accountingPageMarkdown, overviewNumbers, overviewPageMarkdown, type AccountingPeople } from "../components/default-pages.js";
import { archiveSources } from "../components/sources.js";
import { allocationsPageMarkdown, type AllocationsPage } from "../components/allocations.js";
import { readAllocations } from "../loaders/ingest/allocations.js";
import { AllocationsError } from "../loaders/model/allocations.js";
import { formatDay } from "../loaders/model/time.js";
import { runBalances } from "../loaders/queries/balance.js";
import { connectorPool, type Connector } from "../loaders/queries/sql.js";

/**
 * Every period page at once (`/reports/2024-11`, `/reports/2024-Q4`, `/reports/2024` and the list of them), with the
 * overview, the accounting page and the allocations page, whose numbers are written at build time too: the
 * archive is loaded once, every period's numbers computed by the CLI's queries in native DuckDB (side by side, on a
 * connection per core), and each page written as Markdown into Framework's cache, where the page loader
 * (`[period].md.sh`) of each page reads its own. The folder is dropped at every build with the pages made from it
 * (KEYED_SITE_DATA_OUTPUTS: they hold pseudonyms).
 */
const PAGES = fileURLToPath(new URL("../.observablehq/cache/reports/.pages/", import.meta.url));
/** The names of the pages written, newest first: months, quarters, years. */
const LIST = join(PAGES, "periods.json");

/**
 * The rows of the period pages' queries, kept from one build to the next beside Framework's cache (query-memo.ts): a
 * build after a new snapshot runs again only the queries of the periods whose rows changed. Pseudonyms, as the pages.
 */
const MEMO = fileURLToPath(new URL("../.observablehq/cache/.period-numbers.json", import.meta.url));

/** The memo the last build kept: none when it is missing or unreadable (it is only ever a shortcut). */
async function readMemo(): Promise<QueryMemo> {
  try {
    const entries = (JSON.parse(await readFile(MEMO, "utf8")) as { entries: [string, Record<string, unknown>[]][] }).entries;
    return new Map(entries.filter(([key, rows]) => typeof key === "string" && Array.isArray(rows)));
  } catch {
    return new Map();
  }
}

/** Keeps the memo for the next build, whole or not at all. */
async function writeMemo(memo: QueryMemo): Promise<void> {
  const written = `${MEMO}.${process.pid}`;
  await writeFile(written, JSON.stringify({ entries: [...memo] }), { mode: 0o600 });
  await rename(written, MEMO);
}

/**
 * The site's copy of the tables (loaders/site/site-data.ts), written with the pages, in a folder of its own beside them
 * that the next build reads: the months' files whose rows did not change are linked from it, not written again. Its
 * monthly files hold no pseudonym (owners are numbers in the order they were first seen).
 */
const SITE = fileURLToPath(new URL("../.observablehq/cache/.site/", import.meta.url));
/** Why the archive gave no table, when it gave none, in this file beside the pages: the site's data loader fails the build with it. */
const UNUSABLE = "unusable.txt";

/** The pages written with the period pages that are no period's. */
const OTHER_PAGES = ["index", "missing", "allocations", "overview", "accounting"];

/** An archive the site cannot be built from: its data loader (src/data/accounting.tar.ts) fails the build, saying why. */
const unusable = (error: unknown) => error instanceof ArchiveError || error instanceof UnusableArchiveError || error instanceof WeakPseudonymKey;

/** What the pages say instead of numbers when the archive cannot be read: the build fails at the site's tables anyway. */
const NO_PAGES = (message: string) => `---
title: Period reports
---

# Period reports

<p class="period-problem">No report: ${escapeHtml(message)}.</p>
`;

/**
 * The allocations page's balances, on the archive's last day; users by pseudonym, with their name in a private build
 * (the users table has names only then).
 */
async function allocationsPage(database: Connector, archive: string): Promise<AllocationsPage> {
  const [{ last }] = (await database.query<{ last: number }>("SELECT max(epoch_us(last_time)) AS last FROM spans")) as [{ last: number }];
  const at = formatDay(Number(last));
  try {
    const allocations = await readAllocations(archive);
    if (allocations === null) return { at, balances: null, problem: null, users: {} };
    const users = await database.query<{ owner: string; pseudonym: string; name: string | null }>("SELECT owner, pseudonym, name FROM users");
    return {
      at,
      balances: await runBalances(database, allocations, at),
      problem: null,
      users: Object.fromEntries(users.map(({ owner, pseudonym, name }) => [owner, name === null ? pseudonym : `${name} (${pseudonym})`])),
    };
  } catch (error) {
    if (!(error instanceof AllocationsError)) throw error;
    return { at, balances: null, problem: `No balances: ${error.message}.`, users: {} };
  }
}

/**
 * The Markdown of every page pages.ts writes, by name, in the order of periodIndexMarkdown's list, and the accounting
 * page's people; the period pages' memo kept for the next build.
 */
async function pageMarkdown(
  db: Connector,
  archive: string,
  knownIssues: readonly KnownIssue[],
): Promise<{ pages: Map<string, string>; people: AccountingPeople | null }> {
  const pages = new Map<string, string>();
  const sources = await archiveSources(db);
  const memo: MemoUse = { earlier: await readMemo(), kept: new Map() };
  const [reports, allocations, overview, accounting] = await Promise.all([
    periodReports(db, knownIssues, memo),
    allocationsPage(db, archive),
    overviewNumbers(db, sources, knownIssues),
    accountingDefault(db, knownIssues),
  ]);
  for (const report of reports.periods) pages.set(report.period.name, periodPageMarkdown(report, reports, sources));
  pages.set("index", periodIndexMarkdown(reports, sources));
  // Asked for a period the archive does not reach (in preview): why there is no report.
  pages.set("missing", missingPeriodMarkdown(reports));
  pages.set("allocations", allocationsPageMarkdown(allocations));
  pages.set("overview", overviewPageMarkdown(overview, sources, knownIssues));
  pages.set("accounting", accountingPageMarkdown(accounting, sources));
  await writeMemo(memo.kept);
  return { pages, people: accounting.people };
}

/**
 * Loads the build's archive once and writes every period page, their list and the page of a period with no report into
 * PAGES, as one folder, and the site's copy of the tables into SITE, in place of the last build's. An archive that
 * cannot be read gives no period, pages saying why, and no table.
 */
async function writePages(): Promise<void> {
  await mkdir(dirname(PAGES.replace(/\/$/, "")), { recursive: true });
  const folder = await mkdtemp(PAGES.replace(/\/$/, "-"));
  const site = await mkdtemp(SITE.replace(/\/$/, "-"));
  const pages = new Map<string, string>();
  let people: AccountingPeople | null = null;
  try {
    const build = siteBuildFrom(process.env, () => {});
    const knownIssues = await readKnownIssues(build.knownIssues);
    const warn = (message: string) => process.stderr.write(`accounting: warning: ${inertText(message)}\n`);
    const database = await loadArchive(build.archive, { cache: build.cache, users: build.users, verifyContent: build.verifyContent, onWarning: warn });
    // The site's tables first, on every core; then the pages' queries on connections of their own, as many as the
    // machine runs at once, each query on one thread. One after the other, the memory of the one is free for the other.
    const connections = await Promise.all(Array.from({ length: availableParallelism() }, () => database.connect()));
    const pool = connectorPool(connections.map(connectorOf));
    try {
      await assertUsableArchive(database, build.archive);
      await onEveryCore(database, () => writeSiteTables(database, site, SITE));
      const written = await pageMarkdown(pool, build.archive, knownIssues);
      for (const [name, markdown] of written.pages) pages.set(name, markdown);
      people = written.people;
    } finally {
      await pool.close();
      for (const connection of connections) connection.closeSync();
      database.close();
    }
  } catch (error) {
    if (!unusable(error)) {
      for (const written of [folder, site]) await rm(written, { recursive: true, force: true });
      throw error;
    }
    pages.clear();
    pages.set("index", NO_PAGES((error as Error).message)).set("missing", NO_PAGES((error as Error).message));
    pages.set("allocations", allocationsPageMarkdown({ at: "", balances: null, problem: `No balances: ${(error as Error).message}.`, users: {} }));
    pages.set("overview", NO_PAGES((error as Error).message)).set("accounting", NO_PAGES((error as Error).message));
    for (const tables of [site, SITE]) await rm(tables, { recursive: true, force: true });
    await writeFile(join(folder, UNUSABLE), (error as Error).message);
  }
  for (const [name, markdown] of pages) await writeFile(join(folder, `${name}.md`), markdown);
  await writeFile(join(folder, "accounting-people.json"), JSON.stringify(people));
  await writeFile(join(folder, "periods.json"), JSON.stringify([...pages.keys()].filter((name) => !OTHER_PAGES.includes(name))));
  // The new tables in place of the last build's, then the pages. Another page loader (in preview) may have written them
  // meanwhile: the same tables and pages, and the last tables and first pages stay.
  if (existsSync(site)) {
    const old = `${site}-old`;
    await rename(SITE, old).catch(() => {});
    await rename(site, SITE).catch(() => rm(site, { recursive: true, force: true }));
    await rm(old, { recursive: true, force: true });
  }
  await rename(folder, PAGES).catch(() => rm(folder, { recursive: true, force: true }));
}

/** The period pages' names, newest first, written first if they are not yet. */
async function periodNames(): Promise<string[]> {
  if (!existsSync(LIST)) await writePages();
  return JSON.parse(await readFile(LIST, "utf8")) as string[];
}

/**
 * The paths of every period page and of their list, and of the monthly files of the site's tables (which no page names:
 * the browser fetches those a page needs), for the site's `dynamicPaths`.
 */
export async function dynamicPagePaths(): Promise<string[]> {
  const names = await periodNames();
  const manifest = join(SITE, MANIFEST);
  const months = existsSync(manifest) ? (JSON.parse(await readFile(manifest, "utf8")) as SiteManifest).months : {};
  const files = Object.values(months).flatMap((tables) => Object.values(tables).map((path) => `/data/accounting/${path}`));
  return ["/reports/", ...names.map((name) => `/reports/${name}`), ...files];
}

/** Prints the site's tables as one tar, written first with the pages if they are not yet; fails saying why when the archive has none. */
export async function printSiteTables(): Promise<void> {
  await periodNames();
  if (existsSync(join(PAGES, UNUSABLE))) throw new UnusableArchiveError(await readFile(join(PAGES, UNUSABLE), "utf8"));
  await packSiteTables(SITE, process.stdout);
}

/**
 * Prints the file `name` of the pages written (a period's page, `index`, `allocations`, `overview`, `accounting`, as
 * Markdown; `accounting-people.json`), writing every page first if they are not yet.
 */
export async function printPeriodPage(name: string): Promise<void> {
  const names = await periodNames();
  const file = name === "accounting-people.json" ? name : `${OTHER_PAGES.includes(name) || names.includes(name) ? name : "missing"}.md`;
  process.stdout.write(await readFile(join(PAGES, file), "utf8"));
}
