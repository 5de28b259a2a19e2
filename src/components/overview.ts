import { html } from "htl";
import { GC_DELAY_HOURS, type SnapshotCoverage, type SnapshotGap } from "../loaders/quality.js";
import type { Metric, Report } from "../loaders/report.js";
import { formatDay, MICROS_PER_DAY, parseDay } from "../loaders/time.js";
import type { SnapshotJobs } from "../loaders/usage.js";
import { formatHours, formatMetric, formatSnapshotTime, METRIC_LABELS } from "./format.js";
import { searchFromState } from "./period.js";

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

/** What the archive covers and how regularly; `gaps` are those over the GC delay. */
export function coverageCard(coverage: SnapshotCoverage, gaps: SnapshotGap[], missedHours: number): HTMLElement {
  if (coverage.first === null || coverage.last === null) return html`<div class="card"><h2>Archive</h2><p>No snapshot.</p></div>`;
  const worst = longest(gaps);
  const missed = gaps.filter((gap) => gap.hours > missedHours).length;
  return html`<div class="card coverage">
    <h2>Archive</h2>
    <table>
      <tbody>
        <tr><th scope="row">First snapshot</th><td>${formatSnapshotTime(coverage.first)}</td></tr>
        <tr><th scope="row">Last snapshot</th><td>${formatSnapshotTime(coverage.last)}</td></tr>
        <tr><th scope="row">Snapshots</th><td class="number" data-value=${String(coverage.snapshots)}>${whole.format(coverage.snapshots)}</td></tr>
        <tr><th scope="row">Usually every</th><td>${coverage.median_hours === null ? "—" : formatHours(coverage.median_hours)}</td></tr>
        <tr><th scope="row">Gaps over the ${GC_DELAY_HOURS} h GC delay</th><td class="number" data-value=${String(gaps.length)}>${whole.format(gaps.length)}</td></tr>
        <tr><th scope="row">Gaps over ${formatHours(missedHours)} (missed snapshots)</th><td class="number">${whole.format(missed)}</td></tr>
        <tr><th scope="row">Longest gap</th><td>${worst ? `${formatHours(worst.hours)}, ${formatSnapshotTime(worst.start)} to ${formatSnapshotTime(worst.end)}` : "—"}</td></tr>
      </tbody>
    </table>
    <p><a href="./quality">Data quality</a></p>
  </div>`;
}

/** Running and queued jobs per namespace in the last snapshot, and their total. */
export function lastSnapshotCard(rows: SnapshotJobs[]): HTMLElement {
  const total = rows.reduce((sum, row) => ({ running: sum.running + row.running, queued: sum.queued + row.queued }), { running: 0, queued: 0 });
  return html`<div class="card now">
    <h2>Now</h2>
    <p>In the last snapshot${rows[0] ? `, ${formatSnapshotTime(rows[0].time)}` : ""}:</p>
    <table>
      <thead><tr><th>Namespace</th><th class="number">Running</th><th class="number">Queued</th></tr></thead>
      <tbody>
        ${rows.map((row) => html`<tr><td>${row.namespace}</td><td class="number">${whole.format(row.running)}</td><td class="number">${whole.format(row.queued)}</td></tr>`)}
        <tr class="total"><td>All namespaces</td><td class="number">${whole.format(total.running)}</td><td class="number">${whole.format(total.queued)}</td></tr>
      </tbody>
    </table>
    <p><a href="./usage">Usage over time</a></p>
  </div>`;
}

const HEADLINE_METRICS: Metric[] = ["cpu_num_hours", "gpu_num_hours", "memory_MB_hours", "disk_MB_hours", "jobs", "users"];

/** A period's totals, exact mode, linking to its full report on the accounting page. */
export function headlineCard(title: string, report: Report, firstSnapshot: string): HTMLElement {
  const before = report.from < firstSnapshot.slice(0, 10) ? html` (the archive starts on ${firstSnapshot.slice(0, 10)})` : "";
  const href = `./accounting${searchFromState({ from: report.from, to: report.to, mode: "exact" })}`;
  return html`<div class="card headline">
    <h2>${title}</h2>
    <p>${report.from} to ${report.to}${before}, all namespaces</p>
    <table>
      <tbody>
        ${HEADLINE_METRICS.map(
          (metric) => html`<tr><th scope="row">${METRIC_LABELS[metric]}</th><td class="number" data-metric=${metric} data-value=${String(report.total[metric])}>${formatMetric(metric, report.total[metric])}</td></tr>`,
        )}
      </tbody>
    </table>
    <p><a href=${href}>Per namespace</a></p>
  </div>`;
}
