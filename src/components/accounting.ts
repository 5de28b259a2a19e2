import { html } from "htl";
import { PeriodError, periodCoverage, type Coverage, type SnapshotCadence } from "../loaders/queries/coverage.js";
import { reportCsv } from "../loaders/model/csv.js";
import type { KnownIssue } from "../loaders/ingest/known-issues.js";
import { HOUR_METRICS, METRICS, runReport, type JobUsage, type OwnerUsage, type Report, type Usage } from "../loaders/queries/report.js";
import type { Connector } from "../loaders/queries/sql.js";
import { formatMetric, METRIC_LABELS } from "./format.js";
import { escapeHtml, fromHtml } from "./markup.js";
import type { PeriodChoice } from "./period.js";
import { coverageNotesHtml } from "./print.js";
import type { ArchiveSources, Words } from "./sources.js";
import { dataTable, wholeOnHover, type Column } from "./table.js";

/** What the page shows for a choice of period: why it has no number, or the report and its coverage. */
export type Outcome = { choice: PeriodChoice; problem: string } | { choice: PeriodChoice; problem?: undefined; report: Report; coverage: Coverage };

/**
 * The report of a choice and its coverage, the CLI's queries through the browser's DuckDB; a problem and no number
 * otherwise. The archive's `cadence` is read when not given (periodCoverage).
 */
export async function periodOutcome(db: Connector, choice: PeriodChoice, knownIssues: readonly KnownIssue[], cadence?: SnapshotCadence): Promise<Outcome> {
  if (choice.problem) return { choice, problem: choice.problem };
  try {
    await db.cover?.(choice);
    const coverage = await periodCoverage(db, choice, knownIssues, db, cadence);
    return { choice, report: await runReport(db, choice), coverage };
  } catch (error) {
    if (error instanceof PeriodError) return { choice, problem: error.message };
    throw error;
  }
}

/**
 * One account's table (the aggregate has an empty account): every number cell says what it holds (`data-namespace`:
 * the account, whatever the source). Under its title, where its records come from, when the archive has several.
 */
function usageTable(title: string, namespace: string, usage: Usage, origins: string[] = []): string {
  const rows = METRICS.map(
    (metric) =>
      `<tr><th scope="row">${METRIC_LABELS[metric]}</th><td class="number" data-namespace="${escapeHtml(namespace)}" data-metric="${metric}" data-value="${escapeHtml(String(usage[metric]))}">${escapeHtml(formatMetric(metric, usage[metric]))}</td></tr>`,
  );
  return `<div class="card accounting-table"><h2>${escapeHtml(title)}</h2>${
    origins.length ? `<p class="origins">${escapeHtml(origins.join(", "))}</p>` : ""
  }<table><tbody>${rows.join("")}</tbody></table></div>`;
}

/** A table per account of the report, then one for all; a resource no record of an account holds reads "—". */
function accountingTables(report: Report, sources: ArchiveSources): string {
  return `<div class="grid grid-cols-4 accounting-tables">${Object.entries(report.namespaces)
    .map(([account, usage]) => usageTable(account, account, usage, sources.origins.get(account)))
    .join("")}${usageTable(`All ${sources.words.accounts}`, "", report.total)}</div>`;
}

/** The coverage beside a period's numbers, as an element. */
export function coverageNotes(coverage: Coverage, words: Words): HTMLElement {
  return fromHtml(coverageNotesHtml(coverage, words));
}

/** A link that saves the report as CSV: the file in the link itself, so that it works in a page written at build time. */
function csvDownload(report: Report): string {
  const href = `data:text/csv;charset=utf-8,${encodeURIComponent(reportCsv(report))}`;
  return `<a class="csv-download" href="${escapeHtml(href)}" download="${escapeHtml(`accounting_${report.from}_${report.to}_${report.mode}.csv`)}">Download CSV</a>`;
}

/** The period's numbers, or why there are none, as HTML: written into the page at build time, or in the browser. */
export function outcomeHtml(outcome: Outcome, sources: ArchiveSources): string {
  if (outcome.problem !== undefined) return `<p class="period-problem" role="alert">No numbers: ${escapeHtml(outcome.problem)}.</p>`;
  const { report, coverage } = outcome;
  return `<div class="report" data-from="${escapeHtml(report.from)}" data-to="${escapeHtml(report.to)}" data-mode="${report.mode}"><p class="period">${escapeHtml(report.from)} to ${escapeHtml(report.to)}, ${report.mode} mode. ${csvDownload(report)}</p>${coverageNotesHtml(coverage, sources.words)}${accountingTables(report, sources)}</div>`;
}

/**
 * A part of the page that follows the period chosen in `input`: marked as updating the moment the choice changes
 * (in the same event, before the page recomputes anything), so what it still shows never passes for the new period's
 * numbers; replaced when they come. `element`: one the page already holds (its numbers written at build time),
 * which `pending()` marks the same way when the period asked for is not theirs.
 */
export function followingView(input: EventTarget, element?: HTMLElement): HTMLElement & { show(content: Node): void; pending(): void } {
  const view = (element ?? html`<div class="following"></div>`) as HTMLElement & { show(content: Node): void; pending(): void };
  view.pending = () => {
    view.classList.add("stale");
    view.setAttribute("aria-busy", "true");
  };
  input.addEventListener("input", view.pending);
  view.show = (content) => {
    view.replaceChildren(content);
    view.classList.remove("stale");
    view.removeAttribute("aria-busy");
  };
  return view;
}

const hourColumns = <Row>() =>
  HOUR_METRICS.map((metric): Column<Row> => ({
    name: metric as keyof Row & string,
    label: METRIC_LABELS[metric],
    number: true,
    format: (value: number | null) => formatMetric(metric, value),
  }));

/** The jobs the jobs table lists: those of the period that used most CPU-hours. */
export const JOB_ROWS = 1000;

/**
 * A row per owner who counts in the period, most CPU-hours first: their pseudonym, and in a private build the name
 * and email of the user database.
 */
export function ownerTable(owners: OwnerUsage[], file: string, words: Words): HTMLElement {
  const named = owners.some((owner) => owner.name !== null || owner.email !== null);
  const columns: Column<OwnerUsage>[] = [
    { name: "pseudonym", label: "User" },
    ...(named ? [{ name: "name", label: "Name" } as const, { name: "email", label: "Email" } as const] : []),
    { name: "accounts", label: words.Accounts },
    ...hourColumns<OwnerUsage>(),
    { name: "jobs", label: METRIC_LABELS.jobs, number: true, format: (value: number) => formatMetric("jobs", value) },
  ];
  return html`<div class="owner-usage">${dataTable(owners, { columns, file, noun: "user" })}</div>`;
}

/**
 * A row per job that counts in the period, most CPU-hours first: its account, kind (Nomad's jobs have one) and user;
 * in a private build its title and the user's name too. `counted` jobs count in the period: the table may hold only
 * the first of them.
 */
export function jobTable(jobs: JobUsage[], counted: number, file: string, words: Words): HTMLElement {
  const named = jobs.some((job) => job.title !== null || job.name !== null);
  const kinds = jobs.some((job) => job.kind !== null);
  const columns: Column<JobUsage>[] = [
    ...(named ? [{ name: "title", label: "Title", format: wholeOnHover } as const, { name: "name", label: "Name", format: wholeOnHover } as const] : []),
    { name: "pseudonym", label: "User" },
    { name: "account", label: words.Account },
    ...(kinds ? [{ name: "kind", label: "Kind" } as const] : []),
    ...hourColumns<JobUsage>(),
  ];
  const count = (n: number) => n.toLocaleString("en-US");
  const caption =
    jobs.length < counted
      ? `The ${count(jobs.length)} jobs that used most CPU-hours, of the ${count(counted)} that count in the period`
      : "A row per job that counts in the period, most CPU-hours first";
  return html`<div class="job-usage">
    <p>${caption}${kinds ? " (titles only in a private build)" : ""}.</p>
    ${dataTable(jobs, { columns, file, noun: "job" })}
  </div>`;
}

/**
 * Resolves `pause` ms after `outcome` came in, never if the cell is invalidated first (another period was chosen):
 * the queries of the users and jobs tables then never hold up the next period's report in DuckDB's one worker.
 */
export function settled<T>(outcome: T, invalidation: Promise<void>, pause = 250): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(outcome), pause);
    void invalidation.then(() => clearTimeout(timer));
  });
}
