import type { KnownIssue } from "../loaders/ingest/known-issues.js";
import { snapshotCadence } from "../loaders/queries/coverage.js";
import { gapsWithin, unseenEndsSql, type SnapshotCoverage, type SnapshotGap, type UnseenEnds } from "../loaders/queries/quality.js";
import { jobUsageSql, ownerUsageSql, type JobUsage, type OwnerUsage } from "../loaders/queries/report.js";
import type { Connector } from "../loaders/queries/sql.js";
import { lastSnapshotJobsSql, type SnapshotJobs } from "../loaders/queries/usage.js";
import { JOB_ROWS, outcomeHtml, periodOutcome, type Outcome } from "./accounting.js";
import { scriptLiteral } from "./markup.js";
import { headlineCard, trailingDays } from "./overview.js";
import type { PeriodChoice } from "./period.js";
import { knownIssuesHtml, printHeadingHtml } from "./print.js";
import { sourcesJson, type ArchiveSources } from "./sources.js";

/**
 * The overview (`/`) and the accounting page (`/accounting`) as Markdown, written at build time with the period pages
 * (src/reports/pages.ts): the numbers of their default period computed by the same functions and queries the pages
 * run in the browser, here on the build's native DuckDB, and written into the HTML. They read without JavaScript, and
 * without DuckDB-WASM, which the accounting page fetches only when another period is asked for.
 */

/** What `/accounting` shows when no period is asked for: the whole archive, exact mode. */
const DEFAULT_CHOICE: PeriodChoice = { mode: "exact" };

/** The users and jobs tables of the accounting page's default period (src/data/accounting-people.json.js). */
export interface AccountingPeople {
  owners: OwnerUsage[];
  jobs: JobUsage[];
}

/** The default period of the accounting page: its report and coverage, its users and jobs. */
export interface AccountingDefault {
  outcome: Outcome;
  people: AccountingPeople | null;
}

/** The accounting page's default period, by the page's own functions (periodOutcome, the users and jobs queries). */
export async function accountingDefault(db: Connector, knownIssues: readonly KnownIssue[]): Promise<AccountingDefault> {
  const outcome = await periodOutcome(db, DEFAULT_CHOICE, knownIssues);
  if (outcome.problem !== undefined) return { outcome, people: null };
  return {
    outcome,
    people: { owners: await db.query<OwnerUsage>(ownerUsageSql(DEFAULT_CHOICE)), jobs: await db.query<JobUsage>(jobUsageSql(DEFAULT_CHOICE, JOB_ROWS)) },
  };
}

/** The cards of the overview that show the archive's snapshots: they need the reader's clock, drawn in the browser. */
interface SnapshotCards {
  archive: SnapshotCoverage;
  gapHours: number;
  gaps: SnapshotGap[];
  unseen: UnseenEnds[];
  now: SnapshotJobs[];
}

/** The overview's numbers: the whole archive, the last 30 and 90 days, and what its snapshot cards show. */
export interface OverviewNumbers {
  whole: Outcome;
  last30: Outcome;
  last90: Outcome;
  snapshots: SnapshotCards;
}

export async function overviewNumbers(db: Connector, sources: ArchiveSources, knownIssues: readonly KnownIssue[]): Promise<OverviewNumbers> {
  const cadence = await snapshotCadence(db);
  const snapshots = {
    archive: cadence.archive,
    gapHours: cadence.gap_hours,
    gaps: gapsWithin(cadence.gaps),
    unseen: await db.query<UnseenEnds>(unseenEndsSql()),
    now: await db.query<SnapshotJobs>(lastSnapshotJobsSql()),
  };
  const lastDay = sources.last.slice(0, 10);
  const [whole, last30, last90] = await Promise.all(
    [{}, trailingDays(lastDay, 30), trailingDays(lastDay, 90)].map((period) => periodOutcome(db, { ...period, mode: "exact" }, knownIssues, cadence)),
  );
  return { whole: whole!, last30: last30!, last90: last90!, snapshots };
}

/** A card of a period's totals, or why it has none. */
function headline(title: string, outcome: Outcome, sources: ArchiveSources): string {
  if (outcome.problem !== undefined) return `<div class="card headline"><h2>${title}</h2>${outcomeHtml(outcome, sources)}</div>`;
  return headlineCard(title, outcome.report, outcome.coverage, sources.words);
}

/** The overview's Markdown: the headline cards in the HTML, the cards of the archive's freshness drawn in the browser. */
export function overviewPageMarkdown(numbers: OverviewNumbers, sources: ArchiveSources, knownIssues: readonly KnownIssue[]): string {
  const { whole, last30, last90 } = numbers;
  const what = sources.nomad
    ? sources.nomadOnly
      ? "What the snapshot archive covers and how fresh it is, what runs now,"
      : "What the archive's snapshots and batch records cover and how fresh they are, what runs now in Nomad,"
    : "What the archive's records cover and how fresh they are,";
  const skipped = sources.nomad ? "the gaps in the snapshots and what was skipped" : "the files and lines that were skipped";
  const cards = [
    sources.nomad ? "${freshnessCard(snapshots.archive, Date.now())}" : "",
    sources.nomadOnly ? "" : "${recordsFreshnessCard(sources, Date.now())}",
    sources.nomad ? "${lastSnapshotCard(snapshots.now, sources.words)}" : "",
    sources.nomad
      ? `\${coverageCard(snapshots.archive, snapshots.gaps, snapshots.gapHours, snapshots.unseen, ${scriptLiteral(sources.nomadOnly ? "Archive" : "Nomad snapshots")})}`
      : "",
  ].filter(Boolean);
  return `---
title: Overview
---

# Cluster accounting

\`\`\`js
import {coverageCard, freshnessCard, lastSnapshotCard} from "./components/overview.js";
import {recordsFreshnessCard, sourcesFromJson} from "./components/sources.js";
\`\`\`

\`\`\`js
// Computed when the site was built (src/components/default-pages.ts): the archive's sources and snapshots.
const sources = sourcesFromJson(${scriptLiteral(sourcesJson(sources))});
const snapshots = ${scriptLiteral(sources.nomad ? numbers.snapshots : null)};
\`\`\`

${what} and the usage of the last 30 and 90 days. [Accounting](./accounting) reports any period; [Usage over time](./usage) charts it day by day; [Data quality](./quality) lists ${skipped}.

<div>${printHeadingHtml("Overview", whole.problem === undefined ? whole.coverage : null, sources.words)}</div>

<div class="grid grid-cols-2">
${[...cards, headline("Last 30 days", last30, sources), headline("Last 90 days", last90, sources)].join("\n")}
</div>

## Known issues

<div>${knownIssuesHtml(knownIssues)}</div>
`;
}

/**
 * The accounting page's Markdown: the default period's numbers in the HTML; another period asked for (the form, the
 * URL) loads DuckDB-WASM and the archive's tables, once, and computes its numbers in the browser.
 */
export function accountingPageMarkdown(initial: AccountingDefault, sources: ArchiveSources): string {
  const { outcome } = initial;
  const { words } = sources;
  const modes = sources.nomadOnly ? ["exact", "compat"] : ["exact"];
  const missing = sources.nomadOnly ? "" : " A resource that no record of an account holds (disk outside Nomad, memory in Flux…) reads —.";
  return `---
title: Accounting
---

# Accounting

\`\`\`js
import {html} from "htl";
import {followingView, JOB_ROWS, jobTable, outcomeHtml, ownerTable, periodOutcome, settled} from "./components/accounting.js";
import {fromHtml} from "./components/markup.js";
import {periodInput, sameChoice} from "./components/period.js";
import {printHeadingHtml} from "./components/print.js";
import {sourcesFromJson} from "./components/sources.js";
\`\`\`

\`\`\`js
// Computed when the site was built (src/components/default-pages.ts): the archive's sources, and the whole archive's
// numbers, the page's default period, which it shows as they are in the HTML.
const sources = sourcesFromJson(${scriptLiteral(sourcesJson(sources))});
const initial = ${scriptLiteral(outcome)};
const {words} = sources;
// DuckDB-WASM, its worker, wasm and the archive's tables: fetched the first time another period is asked for.
const database = () => import("./components/database.js").then(({accountingDatabase}) => accountingDatabase());
\`\`\`

CPU-, GPU-, memory- and disk-hours, jobs and active users per ${words.account}, for any period: the same query as \`npx accounting report\`. The whole archive's numbers were computed when the site was built; any other period is computed in your browser from the archive's intervals (DuckDB-WASM and the archive's tables are downloaded the first time you choose one).${missing}

\`\`\`js
const choice = view(form);
\`\`\`

\`\`\`js
const form = periodInput(sources.last.slice(0, 10), invalidation, ${scriptLiteral(modes)});
// The moment another period is chosen, what these show is marked as not yet its numbers. When the URL asks for another
// period than the one written into the page, its numbers go at once: they are not the period's.
const numbers = followingView(form, document.querySelector("#accounting-numbers"));
const people = followingView(form, document.querySelector("#accounting-people"));
if (!sameChoice(form.value, initial.choice)) {
  numbers.replaceChildren();
  numbers.pending();
  document.querySelector("#accounting-print").replaceChildren();
}
numbers.hidden = false;
\`\`\`

\`\`\`js
const outcome = sameChoice(choice, initial.choice)
  ? initial
  : await periodOutcome(await database(), choice, await FileAttachment("./data/known-issues.json").json());
numbers.show(fromHtml(outcomeHtml(outcome, sources)));
document.querySelector("#accounting-print").replaceChildren(fromHtml(printHeadingHtml("Accounting", outcome.problem === undefined ? outcome.coverage : null, words, outcome.choice.mode)));
\`\`\`

<div id="accounting-print">${printHeadingHtml("Accounting", outcome.problem === undefined ? outcome.coverage : null, words, outcome.choice.mode)}</div>

<div class="following" id="accounting-numbers">${outcomeHtml(outcome, sources)}</div>

<script>
// Before the page's modules read the period the URL asks for: the numbers above, of the default period, are hidden
// if the URL may ask for another (they show again, or give way to that period's, once it is read).
if (!["", "?mode=exact"].includes(location.search)) document.getElementById("accounting-numbers").hidden = true;
</script>

<noscript><p>Without JavaScript: the whole archive's numbers, as computed when the site was built. Another period, and the users and jobs tables, need JavaScript.</p></noscript>

\`\`\`js
// Once the report is in and the period has stayed a moment: a period chosen meanwhile asks nothing of these.
await settled(outcome, invalidation);
if (outcome.problem !== undefined) {
  people.show(document.createTextNode(""));
} else {
  const {from, to, mode} = outcome.report;
  // The default period's users and jobs were listed when the site was built; another's come from DuckDB-WASM.
  const {owners, jobs} =
    outcome === initial
      ? await FileAttachment("./data/accounting-people.json").json()
      : await database().then(async (db) => ({owners: await db.ownerUsage(choice), jobs: await db.jobUsage(choice, JOB_ROWS)}));
  const file = (what) => \`\${what}_\${from}_\${to}_\${mode}\`;
  people.show(html\`<div>
    <h2>Users and jobs</h2>
    <p>Who consumed it, a row per user: a keyed pseudonym that stays the same from one build to the next (names and emails only in a private build).</p>
    \${ownerTable(owners, file("users"), words)}
    \${jobTable(jobs, outcome.report.total.jobs, file("jobs"), words)}
  </div>\`);
}
\`\`\`

<div class="following" id="accounting-people"></div>
`;
}
