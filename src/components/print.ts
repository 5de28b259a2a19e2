import { coverageSentences, type Coverage } from "../loaders/queries/coverage.js";
import type { Mode } from "../loaders/queries/report.js";
import { formatSnapshotTime } from "./format.js";
import { escapeHtml, fromHtml } from "./markup.js";
import type { KnownIssue } from "../loaders/ingest/known-issues.js";
import type { Words } from "./sources.js";

/**
 * The coverage beside a period's numbers, as HTML: what the records span, what was counted before them, gaps, known
 * issues. The first sentence, then the others in a list.
 */
export function coverageNotesHtml(coverage: Coverage, words: Words): string {
  const [first, ...rest] = coverageSentences(coverage, words.records).map(escapeHtml);
  const partial = coverage.covered_days < coverage.days || coverage.provisional;
  return `<div class="coverage-notes${partial ? " partial" : ""}" data-covered-days="${coverage.covered_days}" data-days="${coverage.days}"><p><strong>${first}</strong></p>${
    rest.length ? `<ul>${rest.map((sentence) => `<li>${sentence}</li>`).join("")}</ul>` : ""
  }</div>`;
}

/**
 * What heads a printed page (hidden on screen, where the page says it otherwise), as HTML: the page, its period and
 * mode, how much of the period the snapshots (or records) cover and the newest of them. The build time is in every
 * page's header.
 */
export function printHeadingHtml(page: string, coverage: Coverage | null, words: Words, mode?: Mode): string {
  if (!coverage) return `<p class="print-only">${escapeHtml(page)}: no numbers for the period chosen.</p>`;
  return `<div class="print-only print-heading"><p><strong>${escapeHtml(page)}</strong>, ${escapeHtml(coverage.from)} to ${escapeHtml(coverage.to)}${
    mode ? `, ${mode} mode` : ""
  }. Newest ${words.records === "snapshots" ? "snapshot" : "record"}: ${formatSnapshotTime(coverage.last_snapshot)}.</p><p>${escapeHtml(
    coverageSentences(coverage, words.records)[0] ?? "",
  )}</p></div>`;
}

/** The heading of a printed page as an element. */
export function printHeading(page: string, coverage: Coverage | null, words: Words, mode?: Mode): HTMLElement {
  return fromHtml(printHeadingHtml(page, coverage, words, mode));
}

/** The archive's known issues, as HTML: written into the overview at build time, drawn on the data quality page. */
export function knownIssuesHtml(issues: readonly KnownIssue[]): string {
  if (issues.length === 0) return "<p>None listed.</p>";
  return `<table class="known-issues"><thead><tr><th>From</th><th>To</th><th>Issue</th></tr></thead><tbody>${issues
    .map(
      (issue) =>
        `<tr><td>${escapeHtml(issue.from)}</td><td>${escapeHtml(issue.to)}</td><td><strong>${escapeHtml(issue.title)}</strong><br>${escapeHtml(issue.description)}</td></tr>`,
    )
    .join("")}</tbody></table>`;
}
