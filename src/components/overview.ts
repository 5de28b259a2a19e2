import { html } from "htl";
import type { Coverage } from "../loaders/queries/coverage.js";
import { GC_DELAY_HOURS, staleAfterHours, type SnapshotCoverage, type SnapshotGap, type UnseenEnds } from "../loaders/queries/quality.js";
import type { Metric, Report } from "../loaders/queries/report.js";
import { formatDay, MICROS_PER_DAY, parseDay } from "../loaders/model/time.js";
import type { SnapshotJobs } from "../loaders/queries/usage.js";
import { formatAge, formatHours, formatMetric, formatSnapshotTime, METRIC_LABELS } from "./format.js";
import { escapeHtml } from "./markup.js";
import { searchFromState } from "./period.js";
import { coverageNotesHtml } from "./print.js";
import type { Words } from "./sources.js";

const whole = new Intl.NumberFormat("en-US");

/** The `days` days ending on `lastDay`, both included. */
export function trailingDays(lastDay: string, days: number): { from: string; to: string } {
  const end = parseDay(lastDay);
  if (end === undefined) throw new RangeError(`not a day: ${lastDay}`);
  return { from: formatDay(end - (days - 1) * MICROS_PER_DAY), to: lastDay };
}

function longest(gaps: SnapshotGap[]): SnapshotGap | undefined {
  return gaps.reduce<SnapshotGap | undefined>((found, gap) => (found === undefined || gap.hours > found.hours ? gap : found), undefined);
}

/**
 * How old the newest snapshot is, `now` (ms) being the reader's clock, with a warning past twice the archive's usual
 * time between snapshots: the snapshot cron has missed a run, and the numbers stop there.
 */
export function freshnessCard(coverage: SnapshotCoverage, now: number): HTMLElement {
  if (coverage.last === null)
    return html`<div class="card freshness">
      <h2>Newest snapshot</h2>
      <p>None.</p>
    </div>`;
  const age = (now - Date.parse(coverage.last)) / 3_600_000;
  const limit = staleAfterHours(coverage.median_hours);
  const stale = limit !== null && age > limit;
  return html`<div class=${`card freshness${stale ? " stale-archive" : ""}`} data-age-hours=${String(age)} data-stale=${String(stale)}>
    <h2>Newest snapshot</h2>
    <p><strong>${formatSnapshotTime(coverage.last)}</strong>, ${formatAge(Math.max(0, age))} ago.</p>
    ${
      stale
        ? html`<p role="alert">
            <strong>Out of date:</strong> no snapshot for more than ${formatHours(limit)}, twice the usual ${formatHours(coverage.median_hours ?? 0)} between
            snapshots. The snapshot cron may have stopped; every number ends at this snapshot.
          </p>`
        : html`<p>Snapshots usually come every ${coverage.median_hours === null ? "—" : formatHours(coverage.median_hours)}.</p>`
    }
  </div>`;
}

/**
 * What the archive's snapshots cover and how regularly; `gaps` are those over `gapHours`, the archive's cadence
 * allowing. `title` names the card: the archive, or its Nomad snapshots beside batch records.
 */
export function coverageCard(coverage: SnapshotCoverage, gaps: SnapshotGap[], gapHours: number, unseen: UnseenEnds[], title = "Archive"): HTMLElement {
  if (coverage.first === null || coverage.last === null)
    return html`<div class="card">
      <h2>Archive</h2>
      <p>No snapshot.</p>
    </div>`;
  const worst = longest(gaps);
  const runs = unseen.reduce((sum, row) => sum + row.runs, 0);
  return html`<div class="card coverage">
    <h2>${title}</h2>
    <table>
      <tbody>
        <tr>
          <th scope="row">First snapshot</th>
          <td>${formatSnapshotTime(coverage.first)}</td>
        </tr>
        <tr>
          <th scope="row">Last snapshot</th>
          <td>${formatSnapshotTime(coverage.last)}</td>
        </tr>
        <tr>
          <th scope="row">Snapshots</th>
          <td class="number" data-value=${String(coverage.snapshots)}>${whole.format(coverage.snapshots)}</td>
        </tr>
        <tr>
          <th scope="row">Usually every</th>
          <td>${coverage.median_hours === null ? "—" : formatHours(coverage.median_hours)}</td>
        </tr>
        <tr>
          <th scope="row">Gaps over ${formatHours(gapHours)} (missed snapshots)</th>
          <td class="number" data-value=${String(gaps.length)}>${whole.format(gaps.length)}</td>
        </tr>
        <tr>
          <th scope="row">Longest gap</th>
          <td>${worst ? `${formatHours(worst.hours)}, ${formatSnapshotTime(worst.start)} to ${formatSnapshotTime(worst.end)}` : "—"}</td>
        </tr>
        <tr>
          <th scope="row">Runs that may have ended unseen (${GC_DELAY_HOURS} h GC delay)</th>
          <td class="number">${whole.format(runs)}</td>
        </tr>
      </tbody>
    </table>
    <p><a href="./quality">Data quality</a></p>
  </div>`;
}

/** Running and queued jobs per namespace (an account) in the last Nomad snapshot, and their total. */
export function lastSnapshotCard(rows: SnapshotJobs[], words: Words): HTMLElement {
  const total = rows.reduce((sum, row) => ({ running: sum.running + row.running, queued: sum.queued + row.queued }), { running: 0, queued: 0 });
  return html`<div class="card now">
    <h2>Now</h2>
    <p>In the last snapshot${rows[0] ? `, ${formatSnapshotTime(rows[0].time)}` : ""}:</p>
    <table>
      <thead>
        <tr>
          <th>${words.Account}</th>
          <th class="number">Running</th>
          <th class="number">Queued</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (row) =>
            html`<tr>
              <td>${row.account}</td>
              <td class="number">${whole.format(row.running)}</td>
              <td class="number">${whole.format(row.queued)}</td>
            </tr>`,
        )}
        <tr class="total">
          <td>All ${words.accounts}</td>
          <td class="number">${whole.format(total.running)}</td>
          <td class="number">${whole.format(total.queued)}</td>
        </tr>
      </tbody>
    </table>
    <p><a href="./usage">Usage over time</a></p>
  </div>`;
}

const HEADLINE_METRICS: Metric[] = ["cpu_num_hours", "gpu_num_hours", "memory_MB_hours", "disk_MB_hours", "jobs", "users"];

/**
 * A period's totals, exact mode, with what the archive covers of it, linking to its full report on the accounting
 * page: HTML, written into the overview at build time.
 */
export function headlineCard(title: string, report: Report, coverage: Coverage, words: Words): string {
  // rel="external": Framework 1.13's build checks local links with their query string as the page's path, and would
  // call this one broken; the page is there (the site's end-to-end test follows every link).
  const href = `./accounting${searchFromState({ from: report.from, to: report.to, mode: "exact" })}`;
  const rows = HEADLINE_METRICS.map(
    (metric) =>
      `<tr><th scope="row">${METRIC_LABELS[metric]}</th><td class="number" data-metric="${metric}" data-value="${escapeHtml(String(report.total[metric]))}">${escapeHtml(formatMetric(metric, report.total[metric]))}</td></tr>`,
  );
  return `<div class="card headline"><h2>${escapeHtml(title)}</h2><p>${escapeHtml(report.from)} to ${escapeHtml(report.to)}, all ${words.accounts}</p><table><tbody>${rows.join(
    "",
  )}</tbody></table>${coverageNotesHtml(coverage, words)}<p><a href="${escapeHtml(href)}" rel="external">Per ${words.account}</a></p></div>`;
}
