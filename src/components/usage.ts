import * as Plot from "@observablehq/plot";
import { html } from "htl";
import type { DailyUsage, SnapshotJobs } from "../loaders/usage.js";
import { checkboxInput, radioInput } from "./inputs.js";
import { formatHours, formatSnapshotTime } from "./format.js";
import { dayDate, nextDayDate, timeDomain, timelineBackground, type TimelineContext } from "./timeline.js";

export const LAYOUTS = ["stacked", "lines"] as const;
export type Layout = (typeof LAYOUTS)[number];

/** The daily means charted, with what their axis says. */
export const DAILY_METRICS = [
  { metric: "cpu_num", label: "CPU cores" },
  { metric: "gpu_num", label: "GPUs" },
  { metric: "memory_MB", label: "Memory (MB)" },
  { metric: "disk_MB", label: "Disk (MB)" },
] as const;
export type DailyMetric = (typeof DAILY_METRICS)[number]["metric"];

export const SNAPSHOT_COUNTS = [
  { status: "running", label: "Running jobs" },
  { status: "queued", label: "Queued jobs" },
] as const;
export type SnapshotCount = (typeof SNAPSHOT_COUNTS)[number]["status"];

/** What the charts show: the namespaces ticked, how, and over which background. */
export interface UsageView extends TimelineContext {
  /** Every namespace, for colours that stay put when some are unticked. */
  namespaces: string[];
  selected: string[];
  layout: Layout;
  width: number;
}

interface Point {
  namespace: string;
  time: Date;
  value: number;
}

/** A card's padding and border, on both sides: what a chart in a card leaves of the page width. */
const CARD_INSET = 34;

const amount = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

export function namespaceInput(namespaces: string[]) {
  return checkboxInput("Namespaces", namespaces);
}

export function layoutInput() {
  return radioInput("Show", LAYOUTS, "stacked");
}

interface Moment {
  time: Date;
  /** Halfway to the next time: where the pointer finds this step. */
  middle: Date;
  total: number;
  top: number;
  points: Point[];
}

/** Each time's points, for the tip that lists every namespace; the last step ends at `end` when given. */
function momentsOf(points: Point[], end: Date | undefined, layout: Layout): Moment[] {
  const byTime = new Map<number, Point[]>();
  for (const point of points) {
    const here = byTime.get(point.time.getTime());
    if (here) here.push(point);
    else byTime.set(point.time.getTime(), [point]);
  }
  const times = [...byTime.keys()];
  return times.map((time, i) => {
    const here = byTime.get(time) as Point[];
    const next = times[i + 1] ?? end?.getTime() ?? time;
    const total = here.reduce((sum, point) => sum + point.value, 0);
    const top = layout === "stacked" ? total : Math.max(0, ...here.map((point) => point.value));
    return { time: new Date(time), middle: new Date((time + next) / 2), total, top, points: here };
  });
}

/**
 * A step chart of one value per namespace over time, stacked or as lines. Each value holds until the next
 * time; `end`, when given, is where the last one stops.
 */
function stepChart(points: Point[], end: Date | undefined, label: string, when: (time: Date) => string, view: UsageView): HTMLElement | SVGSVGElement {
  const shown = points.filter((point) => view.selected.includes(point.namespace));
  const moments = momentsOf(shown, end, view.layout);
  const last = moments.at(-1);
  const steps = end && last ? [...shown, ...last.points.map((point) => ({ ...point, time: end }))] : shown;
  const options = { x: "time", y: "value", z: "namespace", curve: "step-after" } as const;
  return Plot.plot({
    width: Math.max(320, view.width - CARD_INSET),
    height: 260,
    marginLeft: 60,
    x: { type: "utc", domain: timeDomain(view), label: null },
    y: { label, grid: true, nice: true },
    color: { domain: view.namespaces, legend: true },
    marks: [
      ...timelineBackground(view),
      view.layout === "stacked"
        ? Plot.areaY(steps, { ...options, fill: "namespace", order: view.namespaces })
        : Plot.lineY(steps, { ...options, stroke: "namespace" }),
      Plot.ruleY([0]),
      Plot.tip(
        moments,
        Plot.pointerX({
          x: "middle",
          y: "top",
          title: (moment: Moment) =>
            [`${label}, ${when(moment.time)}`, ...moment.points.map((point) => `${point.namespace}: ${amount.format(point.value)}`), `total: ${amount.format(moment.total)}`].join("\n"),
        }),
      ),
    ],
  });
}

export function dailyUsageChart(rows: DailyUsage[], metric: DailyMetric, label: string, view: UsageView) {
  const points = rows.map((row) => ({ namespace: row.namespace, time: dayDate(row.day), value: row[metric] }));
  return stepChart(points, nextDayDate(view.lastDay), `${label}, daily mean`, (time) => time.toISOString().slice(0, 10), view);
}

export function snapshotJobsChart(rows: SnapshotJobs[], status: SnapshotCount, label: string, view: UsageView) {
  const points = rows.map((row) => ({ namespace: row.namespace, time: new Date(row.time), value: row[status] }));
  return stepChart(points, undefined, label, (time) => formatSnapshotTime(time.toISOString()), view);
}

/** The explanation under the charts: what the shading means. */
export function shadingLegend(view: UsageView, gapHours: number): HTMLElement {
  return html`<p class="timeline-legend">
    <span class="swatch gap"></span> no snapshot for more than ${formatHours(gapHours)} (${view.gaps.length} ${view.gaps.length === 1 ? "gap" : "gaps"})
    <span class="swatch issue"></span> known issue (${view.knownIssues.length}); hover a shaded period for details.
  </p>`;
}

export function usageCharts(daily: DailyUsage[], jobs: SnapshotJobs[], view: UsageView): HTMLElement {
  return html`<div class="usage-charts">
    ${DAILY_METRICS.map(({ metric, label }) => html`<div class="card"><h2>${label}</h2>${dailyUsageChart(daily, metric, label, view)}</div>`)}
    ${SNAPSHOT_COUNTS.map(({ status, label }) => html`<div class="card"><h2>${label}, per snapshot</h2>${snapshotJobsChart(jobs, status, label, view)}</div>`)}
  </div>`;
}
