import * as Plot from "@observablehq/plot";
import { from } from "arquero/src/table/index.js";
import { opApi as op } from "arquero/src/op/op-api.js";
import { html } from "htl";
import { rowsCsv } from "../loaders/model/csv.js";
import type { DailyUsage, SnapshotJobs } from "../loaders/queries/usage.js";
import { formatCount, formatHours, formatSnapshotTime, mega } from "./format.js";
import { checkboxInput, hoursInput, radioInput } from "./inputs.js";
import type { Words } from "./sources.js";
import { dayDate, nextDayDate, timeDomain, timelineBackground, type TimelineContext } from "./timeline.js";

export const LAYOUTS = ["stacked", "lines"] as const;
export type Layout = (typeof LAYOUTS)[number];

/** The daily means charted, with what their axis says and how its ticks read. */
export const DAILY_METRICS = [
  { metric: "cpu_num", label: "CPU cores", tick: formatCount },
  { metric: "gpu_num", label: "GPUs", tick: formatCount },
  { metric: "memory_MB", label: "Memory", tick: mega("B") },
  { metric: "disk_MB", label: "Disk", tick: mega("B") },
] as const;
export type DailyMetric = (typeof DAILY_METRICS)[number]["metric"];

export const SNAPSHOT_COUNTS = [
  { status: "running", label: "Running jobs" },
  { status: "queued", label: "Queued jobs" },
] as const;
export type SnapshotCount = (typeof SNAPSHOT_COUNTS)[number]["status"];

/** What the charts show: the accounts ticked, how, and over which background. */
export interface UsageView extends TimelineContext {
  /** Every account (Nomad: namespace), for colours that stay put when some are unticked. */
  namespaces: string[];
  selected: string[];
  layout: Layout;
  width: number;
  /** The resources charted: those some record holds (no disk without Nomad, no memory from Flux alone…). */
  metrics: readonly DailyMetric[];
}

interface Point {
  account: string;
  time: Date;
  value: number;
}

/** A card's padding and border, on both sides: what a chart in a card leaves of the page width. */
const CARD_INSET = 34;

/** The accounts to chart, in the URL as `namespaces=` in an archive of Nomad snapshots alone, `accounts=` otherwise. */
export function namespaceInput(namespaces: string[], words: Words) {
  return checkboxInput(words.Accounts, namespaces, words.accounts);
}

export function layoutInput() {
  return radioInput("Show", LAYOUTS, "stacked", "layout");
}

export function gapHoursInput(value: number) {
  return hoursInput("Shade gaps over", value, "gaps");
}

interface Moment {
  time: Date;
  /** Halfway to the next time: where the pointer finds this step. */
  middle: Date;
  total: number;
  top: number;
  points: Point[];
}

/** Each time's points (arquero: grouped by time), for the tip that lists every namespace; the last step ends at `end` when given. */
function momentsOf(points: Point[], end: Date | undefined, layout: Layout): Moment[] {
  if (points.length === 0) return [];
  const grouped = from(points.map((point) => ({ t: point.time.getTime(), value: point.value, point })))
    .groupby("t")
    .rollup({ total: op.sum("value"), highest: op.max("value"), points: op.array_agg("point") })
    .orderby("t")
    .objects() as { t: number; total: number; highest: number; points: Point[] }[];
  return grouped.map(({ t, total, highest, points: here }, i) => {
    const next = grouped[i + 1]?.t ?? end?.getTime() ?? t;
    return { time: new Date(t), middle: new Date((t + next) / 2), total, top: layout === "stacked" ? total : Math.max(0, highest), points: here };
  });
}

/** Whole-number ticks from 0 to at least `max` (and 1), about `count` of them: counts of jobs have no fractions. */
export function integerTicks(max: number, count = 5): number[] {
  const top = Math.max(1, max);
  const rough = top / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough) as number);
  return Array.from({ length: Math.ceil(top / step) + 1 }, (_, i) => i * step);
}

/**
 * A step chart of one value per namespace over time, stacked or as lines. Each value holds until the next
 * time; `end`, when given, is where the last one stops.
 */
function stepChart(
  points: Point[],
  end: Date | undefined,
  axis: { label: string; tick: (value: number) => string; integer?: boolean },
  when: (time: Date) => string,
  view: UsageView,
) {
  const shown = points.filter((point) => view.selected.includes(point.account));
  const moments = momentsOf(shown, end, view.layout);
  const last = moments.at(-1);
  const steps = end && last ? [...shown, ...last.points.map((point) => ({ ...point, time: end }))] : shown;
  const options = { x: "time", y: "value", z: "account", curve: "step-after" } as const;
  const ticks = axis.integer ? integerTicks(Math.max(0, ...moments.map((moment) => moment.top))) : undefined;
  return Plot.plot({
    width: Math.max(200, view.width - CARD_INSET),
    height: 260,
    marginLeft: 56,
    x: { type: "utc", domain: timeDomain(view), label: null },
    y: { label: axis.label, grid: true, tickFormat: axis.tick, ...(ticks ? { ticks, domain: [0, ticks.at(-1) as number] } : { nice: true }) },
    color: { domain: view.namespaces, legend: true },
    marks: [
      ...timelineBackground(view, Math.max(200, view.width - CARD_INSET)),
      view.layout === "stacked"
        ? Plot.areaY(steps, { ...options, fill: "account", order: view.namespaces })
        : Plot.lineY(steps, { ...options, stroke: "account" }),
      Plot.ruleY([0]),
      Plot.tip(
        moments,
        Plot.pointerX({
          x: "middle",
          y: "top",
          title: (moment: Moment) =>
            [
              `${axis.label}, ${when(moment.time)}`,
              ...moment.points.map((point) => `${point.account}: ${axis.tick(point.value)}`),
              `total: ${axis.tick(moment.total)}`,
            ].join("\n"),
        }),
      ),
    ],
  });
}

export function dailyUsageChart(rows: DailyUsage[], metric: DailyMetric, view: UsageView) {
  const { label, tick } = DAILY_METRICS.find((entry) => entry.metric === metric) as (typeof DAILY_METRICS)[number];
  const points = rows.map((row) => ({ account: row.account, time: dayDate(row.day), value: row[metric] }));
  return stepChart(points, nextDayDate(view.lastDay), { label: `${label}, daily mean`, tick }, (time) => time.toISOString().slice(0, 10), view);
}

export function snapshotJobsChart(rows: SnapshotJobs[], status: SnapshotCount, label: string, view: UsageView) {
  const points = rows.map((row) => ({ account: row.account, time: new Date(row.time), value: row[status] }));
  return stepChart(points, undefined, { label, tick: formatCount, integer: true }, (time) => formatSnapshotTime(time.toISOString()), view);
}

/** One metric's daily means as a table for a spreadsheet: a row per day, a column per namespace (arquero's pivot). */
export function dailyCsv(rows: DailyUsage[], metric: DailyMetric, namespaces: string[]): string {
  const wide = from(rows as object[])
    .groupby("day")
    .pivot("account", metric)
    .orderby("day");
  return rowsCsv(wide.objects(), ["day", ...namespaces]);
}

/** A link saving a chart's data as CSV, made in the browser. */
function chartDownload(csv: string, file: string): HTMLElement {
  const url = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
  return html`<a class="csv-download" href=${url} download=${`${file}.csv`}>Download CSV</a>`;
}

/** The explanation under the charts: what the shading means; gaps between snapshots only where there are snapshots (`gapHours`). */
export function shadingLegend(view: UsageView, gapHours: number | null): HTMLElement {
  return html`<p class="timeline-legend">
    ${
      gapHours === null
        ? ""
        : html`<span class="swatch gap"></span> no snapshot for more than ${formatHours(gapHours)} (${view.gaps.length}
            ${view.gaps.length === 1 ? "gap" : "gaps"})`
    }
    <span class="swatch issue"></span> known issue (${view.knownIssues.length}); hover a shaded period for details.
  </p>`;
}

/** The daily means of the resources charted, then, given Nomad's snapshots (`jobs`), the jobs each listed running and queued. */
export function usageCharts(daily: DailyUsage[], jobs: SnapshotJobs[] | null, view: UsageView): HTMLElement {
  return html`<div class="usage-charts">
    ${DAILY_METRICS.filter(({ metric }) => view.metrics.includes(metric)).map(
      ({ metric, label }) =>
        html`<div class="card">
          <h2>${label}, daily mean ${chartDownload(dailyCsv(daily, metric, view.namespaces), `daily-${metric}`)}</h2>
          ${dailyUsageChart(daily, metric, view)}
        </div>`,
    )}
    ${
      jobs === null
        ? ""
        : SNAPSHOT_COUNTS.map(
            ({ status, label }) =>
              html`<div class="card">
                <h2>${label}, per snapshot ${chartDownload(rowsCsv(jobs, ["time", "account", status]), `snapshot-${status}`)}</h2>
                ${snapshotJobsChart(jobs, status, label, view)}
              </div>`,
          )
    }
  </div>`;
}
