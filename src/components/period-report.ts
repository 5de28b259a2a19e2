import type { Coverage } from "../loaders/queries/coverage.js";
import type { Breakdown, BreakdownGroup, Dimension } from "../loaders/queries/breakdown.js";
import { METRICS, type HOUR_METRICS, type Metric, type Report, type Usage } from "../loaders/queries/report.js";
import { RESOURCES } from "../loaders/model/resources.js";
import type { PeriodComparison, PeriodReport, PeriodReports } from "../loaders/site/period-reports.js";
import { TOP_GROUPS, type ReportPeriod } from "../loaders/site/periods.js";
import { formatMetric, formatSnapshotTime, METRIC_LABELS } from "./format.js";
import { escapeHtml, scriptLiteral } from "./markup.js";
import { coverageNotesHtml } from "./print.js";
import type { ArchiveSources } from "./sources.js";

/**
 * The period pages as Markdown, written at build time (src/reports/pages.ts): every number is in the HTML, so the
 * page reads with JavaScript disabled, and prints as it reads. Whatever comes from the archive (accounts, pseudonyms,
 * names, images, queues) is escaped: text, never HTML nor a Framework expression.
 */

const oneDecimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1, signDisplay: "exceptZero" });
const share = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });

function days(count: number): string {
  return `${oneDecimal.format(count)} ${count === 1 ? "day" : "days"}`;
}

/** A table cell of a number: right-aligned, its unrounded value in `data-value`, "—" for null. */
function numberCell(metric: Metric, value: number | null, attributes = ""): string {
  return `<td class="number"${attributes} data-value="${escapeHtml(String(value))}">${escapeHtml(formatMetric(metric, value))}</td>`;
}

/** Under every period page: the site's footer says the other pages compute in the browser. */
const FOOTER = `footer: "Computed when the site was built, by the query of npx accounting report, from the archive of scheduler records; nothing is sent anywhere."`;

/** The change from `before` to `now`, for people: `+12.3%`, `new` from nothing, "—" where either is unknown. */
export function formatChange(now: number | null, before: number | null): string {
  if (now === null || before === null) return "—";
  if (before === 0) return now === 0 ? "0%" : "new";
  return percent.format((now - before) / before);
}

/** CPU- and GPU-hours, those of them some account holds (a total of null: "—" everywhere): the columns of a ranking. */
function rankedHours(total: Usage | undefined): (typeof HOUR_METRICS)[number][] {
  return (["cpu_num_hours", "gpu_num_hours"] as const).filter((metric) => total !== undefined && total[metric] !== null);
}

/**
 * A row per account, then the total: the same cells as `/accounting`'s tables (`data-namespace`, empty for the
 * total; `data-metric`; `data-value`, unrounded, `null` for a resource the account's records do not hold).
 */
function accountingTable(report: Report, sources: ArchiveSources): string {
  const { words } = sources;
  const row = (account: string, label: string, usage: Usage, origins: string[] = []) =>
    `<tr${account === "" ? ' class="total"' : ""}><th scope="row">${escapeHtml(label)}${
      origins.length ? `<span class="origins">${escapeHtml(origins.join(", "))}</span>` : ""
    }</th>${METRICS.map((metric) => numberCell(metric, usage[metric], ` data-namespace="${escapeHtml(account)}" data-metric="${metric}"`)).join("")}</tr>`;
  return `<div class="scroll-x"><table class="period-accounting">
<thead><tr><th>${words.Account}</th>${METRICS.map((metric) => `<th class="number">${METRIC_LABELS[metric]}</th>`).join("")}</tr></thead>
<tbody>
${Object.entries(report.namespaces)
  .map(([account, usage]) => row(account, account, usage, sources.origins.get(account)))
  .join("\n")}
${row("", `All ${words.accounts}`, report.total)}
</tbody>
</table></div>`;
}

/** What a compared period's column says: its name, and how much of it the records cover when not all of it. */
function comparisonHeading(comparison: PeriodComparison, words: ArchiveSources["words"]): string {
  const { period, covered_days, days: length } = comparison;
  // Seconds short of the whole period (the first snapshot at 00:00:23) read as all of it, as the coverage's days do.
  // Less than a day in hours: an hour of records is not "0 days".
  const covered = covered_days < 1 ? `${oneDecimal.format(covered_days * 24)} h` : days(covered_days);
  const cover = covered_days === 0 ? `no ${words.records}` : covered === days(length) ? "" : `${words.records} cover ${covered} of ${days(length)}`;
  return `${escapeHtml(period.label)}${cover && `<br><small>${cover}</small>`}`;
}

/** A compared period's value and the change to it; nothing to compare with a period the records do not reach. */
function comparisonCells(metric: Metric, now: number | null, comparison: PeriodComparison, usage: Usage | undefined): string {
  if (comparison.covered_days === 0 || usage === undefined) return `<td class="number">—</td><td class="number">—</td>`;
  const before = usage[metric];
  return `${numberCell(metric, before)}<td class="number change">${formatChange(now, before)}</td>`;
}

/** The period against the previous one and the same a year before: every metric of the total, then CPU- and GPU-hours per account. */
function changeTables(report: PeriodReport, sources: ArchiveSources): string {
  const comparisons = [report.previous, ...(report.yearBefore ? [report.yearBefore] : [])];
  const head = (first: string) =>
    `<thead><tr><th>${first}</th><th class="number">${escapeHtml(report.period.label)}</th>${comparisons
      .map((comparison) => `<th class="number">${comparisonHeading(comparison, sources.words)}</th><th class="number">Change</th>`)
      .join("")}</tr></thead>`;
  const totals = `<div class="scroll-x"><table class="period-change" data-compare="total">
${head(`All ${sources.words.accounts}`)}
<tbody>
${METRICS.map(
  (metric) =>
    `<tr><th scope="row">${METRIC_LABELS[metric]}</th>${numberCell(metric, report.report.total[metric])}${comparisons
      .map((comparison) => comparisonCells(metric, report.report.total[metric], comparison, comparison.report.total))
      .join("")}</tr>`,
).join("\n")}
</tbody>
</table></div>`;
  const perAccount = (["cpu_num_hours", "gpu_num_hours"] as const)
    .filter((metric) => report.report.total[metric] !== null)
    .map(
      (metric) => `<div class="scroll-x"><table class="period-change" data-compare="${metric}">
<caption>${METRIC_LABELS[metric]} per ${sources.words.account}</caption>
${head(sources.words.Account)}
<tbody>
${Object.entries(report.report.namespaces)
  .map(
    ([account, usage]) =>
      `<tr><th scope="row">${escapeHtml(account)}</th>${numberCell(metric, usage[metric])}${comparisons
        .map((comparison) => comparisonCells(metric, usage[metric], comparison, comparison.report.namespaces[account]))
        .join("")}</tr>`,
  )
  .join("\n")}
</tbody>
</table></div>`,
    );
  return [totals, ...perAccount].join("\n\n");
}

const TOP_TITLES: Partial<Record<Dimension, { title: (words: ArchiveSources["words"]) => string; column: string; none: string }>> = {
  account: { title: (words) => words.Accounts, column: "", none: "(none)" },
  user: { title: () => "Users", column: "User", none: "(unknown)" },
  image: { title: () => "Images", column: "Image", none: "(no image)" },
  queue: { title: () => "Queues", column: "Queue", none: "(no queue)" },
};

/** A ranking: the groups that used most CPU-hours, their share of the period's, then the others added up. */
function topTable(breakdown: Breakdown, sources: ArchiveSources, names: Record<string, string | null>): string {
  const titles = TOP_TITLES[breakdown.by] ?? { title: () => breakdown.by, column: breakdown.by, none: "(none)" };
  const named = breakdown.by === "user" && breakdown.groups.some((group) => names[group.value ?? ""] != null);
  const hours = rankedHours(breakdown.total);
  const total = breakdown.total.cpu_num_hours ?? 0;
  const counts: Metric[] = breakdown.by === "user" ? ["jobs"] : ["jobs", "users"];
  const row = (rank: string, label: string, name: string | null, usage: Usage, className = "") =>
    `<tr${className}><td class="number">${rank}</td><th scope="row">${escapeHtml(label)}</th>${named ? `<td>${escapeHtml(name ?? "")}</td>` : ""}${hours
      .map((metric) => numberCell(metric, usage[metric]))
      .join("")}<td class="number">${total > 0 && usage.cpu_num_hours !== null ? share.format(usage.cpu_num_hours / total) : "—"}</td>${counts
      .map((metric) => numberCell(metric, usage[metric]))
      .join("")}</tr>`;
  const groups = breakdown.groups.map((group: BreakdownGroup, i) => row(String(i + 1), group.value ?? titles.none, names[group.value ?? ""] ?? null, group));
  if (breakdown.other) groups.push(row("", "All others", null, breakdown.other, ' class="others"'));
  const body = groups.length ? groups.join("\n") : `<tr><td colspan="${4 + hours.length + counts.length}">Nothing counted in the period.</td></tr>`;
  return `<div class="scroll-x top-groups" data-by="${breakdown.by}"><table>
<caption>${escapeHtml(titles.title(sources.words))}</caption>
<thead><tr><th class="number">#</th><th>${escapeHtml(titles.column || sources.words.Account)}</th>${named ? "<th>Name</th>" : ""}${hours
    .map((metric) => `<th class="number">${METRIC_LABELS[metric]}</th>`)
    .join("")}<th class="number">Share of CPU core-hours</th>${counts.map((metric) => `<th class="number">${METRIC_LABELS[metric]}</th>`).join("")}</tr></thead>
<tbody>
${body}
</tbody>
</table></div>`;
}

/** The gaps between snapshots and the known issues inside the period, each in full. */
function gapsAndIssues(coverage: Coverage, sources: ArchiveSources): string {
  const gaps = sources.nomad
    ? coverage.gaps.length
      ? `<div class="scroll-x"><table class="period-gaps">
<caption>Gaps without a snapshot for more than ${oneDecimal.format(coverage.gap_hours)} h</caption>
<thead><tr><th>From</th><th>To</th><th class="number">Hours</th></tr></thead>
<tbody>
${coverage.gaps.map((gap) => `<tr><td>${formatSnapshotTime(gap.start)}</td><td>${formatSnapshotTime(gap.end)}</td><td class="number">${oneDecimal.format(gap.hours)}</td></tr>`).join("\n")}
</tbody>
</table></div>`
      : `<p class="period-gaps">No gap without a snapshot for more than ${oneDecimal.format(coverage.gap_hours)} h in the period.</p>`
    : "";
  const issues = coverage.known_issues.length
    ? `<div class="scroll-x"><table class="known-issues">
<caption>Known issues</caption>
<thead><tr><th>From</th><th>To</th><th>Issue</th></tr></thead>
<tbody>
${coverage.known_issues.map((issue) => `<tr><td>${issue.from}</td><td>${issue.to}</td><td><strong>${escapeHtml(issue.title)}</strong><br>${escapeHtml(issue.description)}</td></tr>`).join("\n")}
</tbody>
</table></div>`
    : `<p class="known-issues">No known issue of the archive falls in the period.</p>`;
  return [gaps, issues].filter(Boolean).join("\n\n");
}

/** The daily charts, drawn in the browser (the one part of the page that needs JavaScript) by /usage's charts. */
function dailyCharts(report: PeriodReport, reports: PeriodReports): string {
  const { from, to } = report.period;
  const used = new Set(
    reports.daily.filter((row) => row.day >= from && row.day <= to && RESOURCES.some((resource) => row[resource] > 0)).map((row) => row.account),
  );
  const daily = reports.daily.filter((row) => row.day >= from && row.day <= to && used.has(row.account));
  const view = {
    firstDay: from,
    lastDay: to,
    gaps: report.coverage.gaps,
    knownIssues: report.coverage.known_issues,
    namespaces: [...used].sort(),
    selected: [...used].sort(),
    layout: "stacked",
    metrics: RESOURCES.filter((resource) => report.report.total[`${resource}_hours`] !== null),
  };
  return `<div class="period-charts"><noscript><p>The charts need JavaScript; every number of this page is above without it.</p></noscript></div>

\`\`\`js
import {usageCharts} from "../components/usage.js";
\`\`\`

\`\`\`js
const daily = ${scriptLiteral(daily)};
const view = ${scriptLiteral(view)};
display(usageCharts(daily, null, {...view, width}));
\`\`\``;
}

/** Links to the periods before and after and to the list of periods; none of them prints. */
function periodNavigation(period: ReportPeriod, reports: PeriodReports): string {
  const same = reports.periods.filter((other) => other.period.kind === period.kind).map((other) => other.period);
  const index = same.findIndex((other) => other.name === period.name);
  const link = (other: ReportPeriod | undefined, text: (label: string) => string) =>
    other ? `<a href="./${other.name}" rel="${other.from < period.from ? "prev" : "next"}">${text(escapeHtml(other.label))}</a>` : "";
  return `<nav class="period-nav">${[
    link(same[index + 1], (label) => `← ${label}`),
    `<a href="./">All periods</a>`,
    link(same[index - 1], (label) => `${label} →`),
  ]
    .filter(Boolean)
    .join(" · ")}</nav>`;
}

/** The Markdown of a period's page, from its numbers and the archive's sources. */
export function periodPageMarkdown(report: PeriodReport, reports: PeriodReports, sources: ArchiveSources): string {
  const { period, coverage } = report;
  const { words } = sources;
  const newest = formatSnapshotTime(coverage.last_snapshot);
  const provisional = coverage.provisional
    ? `<p class="provisional-mark"><strong>Provisional</strong>: the period ends after the newest ${words.records === "snapshots" ? "snapshot" : "record"} (${newest}); its numbers will grow as ${words.records} arrive.</p>`
    : "";
  return `---
title: ${period.label}
toc: false
${FOOTER}
---

# Accounting, ${period.label}

<div class="period-heading" data-period="${period.name}" data-kind="${period.kind}" data-from="${period.from}" data-to="${period.to}" data-provisional="${coverage.provisional}">
<p>${period.from} to ${period.to} (UTC), exact mode: what <code>npx accounting report --from ${period.from} --to ${period.to}</code> reports. Newest ${words.records === "snapshots" ? "snapshot" : "record"}: ${newest}.</p>
${provisional}
</div>

${periodNavigation(period, reports)}

${coverageNotesHtml(coverage, sources.words)}

## Usage per ${words.account}

${accountingTable(report.report, sources)}

## Against the previous period and a year before

${changeTables(report, sources)}

## Top ${TOP_GROUPS} by CPU core-hours

${report.top.map((breakdown) => topTable(breakdown, sources, reports.names)).join("\n\n")}

## Daily usage

${dailyCharts(report, reports)}

## Gaps and known issues

${gapsAndIssues(coverage, sources)}
`;
}

const KIND_TITLES = { month: "Months", quarter: "Quarters", year: "Years" } as const;

/** The Markdown of the list of period pages: months, quarters and years, each newest first, with their totals. */
export function periodIndexMarkdown(reports: PeriodReports, sources: ArchiveSources): string {
  const { words } = sources;
  const ranked = new Set(reports.periods[0]?.top.map((breakdown) => breakdown.by));
  // Which resources an account holds does not change with the period.
  const hours = rankedHours(reports.periods[0]?.report.total);
  const table = (kind: keyof typeof KIND_TITLES) => {
    const rows = reports.periods
      .filter((report) => report.period.kind === kind)
      .map(({ period, report, coverage }) => {
        const status = coverage.provisional ? "provisional" : coverage.covered_days < coverage.days ? `partial: ${days(coverage.covered_days)}` : "";
        return `<tr data-period="${period.name}"><th scope="row"><a href="./${period.name}">${escapeHtml(period.label)}</a></th><td>${period.from} to ${period.to}</td>${hours
          .map((metric) => numberCell(metric, report.total[metric]))
          .join("")}${numberCell("jobs", report.total.jobs)}${numberCell("users", report.total.users)}<td>${status}</td></tr>`;
      });
    return `## ${KIND_TITLES[kind]}

<div class="scroll-x"><table class="period-index" data-kind="${kind}">
<thead><tr><th>Period</th><th>Days</th>${hours.map((metric) => `<th class="number">${METRIC_LABELS[metric]}</th>`).join("")}<th class="number">${METRIC_LABELS.jobs}</th><th class="number">${METRIC_LABELS.users}</th><th>Coverage</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table></div>`;
  };
  return `---
title: Period reports
${FOOTER}
---

# Period reports

<p class="period-index-intro">A report per month, quarter and year the archive's ${words.records} reach, newest first: its usage per ${words.account}, the change against the previous period and the same period a year before, the top ${[words.accounts, "users", ...(ranked.has("image") ? ["images"] : []), ...(ranked.has("queue") ? ["queues"] : [])].join(", ")}, daily usage, coverage, gaps and known issues. Every number is computed when the site is built, by the query of <code>npx accounting report</code>, and printed in the page: it reads without JavaScript, and prints as a report to file. A period that ends after the newest ${words.records === "snapshots" ? "snapshot" : "record"} is provisional.</p>

${table("month")}

${table("quarter")}

${table("year")}
`;
}

/** The Markdown of a page asked for a period with no report (in preview): not a month, quarter or year the archive reaches. */
export function missingPeriodMarkdown(reports: PeriodReports): string {
  const newest = reports.periods[0]?.period;
  const oldest = reports.periods.filter((report) => report.period.kind === "month").at(-1)?.period;
  const reach = oldest && newest ? `: they run from ${escapeHtml(oldest.label)} to ${escapeHtml(newest.label)}` : "";
  return `---
title: No such period
${FOOTER}
---

# No report for this period

<p class="period-problem">There is a report for each month (<code>2024-11</code>), quarter (<code>2024-Q4</code>) and year (<code>2024</code>) the archive's records reach${reach}. <a href="./">All periods</a>.</p>
`;
}
