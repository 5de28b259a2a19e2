import { html } from "htl";
import { coverageSentences, type Coverage } from "../loaders/queries/coverage.js";
import type { Mode } from "../loaders/queries/report.js";
import { formatSnapshotTime } from "./format.js";
import type { Words } from "./sources.js";

/**
 * What heads a printed page (hidden on screen, where the page says it otherwise): the page, its period and mode,
 * how much of the period the snapshots (or records) cover and the newest of them. The build time is in every page's
 * header.
 */
export function printHeading(page: string, coverage: Coverage | null, words: Words, mode?: Mode): HTMLElement {
  if (!coverage) return html`<p class="print-only">${page}: no numbers for the period chosen.</p>`;
  return html`<div class="print-only print-heading">
    <p>
      <strong>${page}</strong>, ${coverage.from} to ${coverage.to}${mode ? `, ${mode} mode` : ""}. Newest
      ${words.records === "snapshots" ? "snapshot" : "record"}: ${formatSnapshotTime(coverage.last_snapshot)}.
    </p>
    <p>${coverageSentences(coverage, words.records)[0]}</p>
  </div>`;
}
