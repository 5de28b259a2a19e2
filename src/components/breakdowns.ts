import * as Plot from "@observablehq/plot";
import { html } from "htl";
import type { KnownIssue } from "../loaders/ingest/known-issues.js";
import {
  BINS,
  binLabel,
  breakdownCsv,
  DIMENSIONS,
  recordedResources,
  runBreakdown,
  type Bin,
  type Breakdown,
  type BreakdownRequest,
  type Dimension,
} from "../loaders/queries/breakdown.js";
import { PeriodError, periodCoverage, type Coverage } from "../loaders/queries/coverage.js";
import type { HOUR_METRICS, Usage } from "../loaders/queries/report.js";
import type { Connector } from "../loaders/queries/sql.js";
import { coverageNotes } from "./accounting.js";
import { formatCount, formatMetric, mega, METRIC_LABELS } from "./format.js";
import { radioInput } from "./inputs.js";
import type { PeriodChoice } from "./period.js";
import type { ArchiveSources, Words } from "./sources.js";
import { dataTable, type Column } from "./table.js";

/**
 * The breakdowns page: a period's usage per account, user, queue… (loaders/queries/breakdown.ts, the query of
 * `accounting report --by`), the top or least groups kept and the others added up, over the whole period or per day,
 * week, month, quarter or year; charted as stacked bars and listed in a table.
 */

type HourMetric = (typeof HOUR_METRICS)[number];

/** The resource-hours a chart can show, those some record of the archive holds (archiveMetrics): CPU-hours first. */
const CHART_METRICS = ["cpu_num_hours", "gpu_num_hours", "memory_MB_hours", "disk_MB_hours"] as const satisfies readonly HourMetric[];
type ChartMetric = (typeof CHART_METRICS)[number];

/** Which groups are kept: the N with the most CPU-hours over the period, the N with the fewest, or every one. */
const KEEPS = ["top", "least", "all"] as const;
type Keep = (typeof KEEPS)[number];
const KEEP_LABELS: Record<Keep, string> = { top: "Most CPU-hours", least: "Fewest CPU-hours", all: "All groups" };
/** How many groups `top` and `least` keep. */
const COUNTS = ["3", "5", "10", "20", "50"] as const;
/** The bins a period is cut into; `none`, the whole period at once. */
const BIN_CHOICES = ["none", ...BINS] as const;
type BinChoice = (typeof BIN_CHOICES)[number];
const BIN_LABELS: Record<BinChoice, string> = { none: "Whole period", day: "Day", week: "Week", month: "Month", quarter: "Quarter", year: "Year" };

/** What the reader chose: a period, a dimension, which groups, and the bins. */
export interface BreakdownChoice {
  period: PeriodChoice;
  by: Dimension;
  keep: Keep;
  count: number;
  bin: BinChoice;
}

/** The group of the other groups' usage, and the total, as the chart and the table name them (the CLI's table too). */
const OTHER = "(other)";
const TOTAL = "Total";
/** Grey: the other groups are no group of their own. */
const OTHER_COLOR = "#a9a9a9";

/**
 * Dimensions only some schedulers' records give: Nomad's kind, docker image and datacenter; batch queues and nodes;
 * Slurm's QOS.
 */
const DIMENSION_SOURCES: Partial<Record<Dimension, readonly string[]>> = {
  kind: ["nomad"],
  image: ["nomad"],
  datacenter: ["nomad"],
  queue: ["slurm", "sge", "flux"],
  qos: ["slurm"],
  node: ["slurm", "sge", "flux"],
};

const DIMENSION_LABELS: Record<Exclude<Dimension, "account">, string> = {
  user: "User",
  cluster: "Cluster",
  source: "Scheduler",
  kind: "Kind",
  image: "Docker image",
  datacenter: "Datacenter",
  queue: "Queue",
  qos: "QOS",
  node: "Node",
  cores: "Cores per run",
  gpus: "GPUs per run",
};

/** A dimension in words: the account is the archive's (Nomad's namespace). */
export function dimensionLabel(by: Dimension, words: Words): string {
  return by === "account" ? words.Account : DIMENSION_LABELS[by];
}

/** The dimensions the archive's sources can give, in DIMENSIONS' order: no docker image without Nomad, no QOS without Slurm… */
export function offeredDimensions(sources: Pick<ArchiveSources, "spans">): Dimension[] {
  const present = new Set(sources.spans.map((span) => span.source));
  return DIMENSIONS.filter((by) => DIMENSION_SOURCES[by]?.some((source) => present.has(source)) ?? true);
}

/** A group's name: its value, `(none)` where the records give none (a batch job's docker image…). */
export function groupLabel(value: string | null): string {
  return value ?? "(none)";
}

/** The radio buttons of `input` read `text(option)` rather than the option itself. */
function labelled<T extends string>(input: HTMLFormElement & { value: T }, text: (option: T) => string): HTMLFormElement & { value: T } {
  for (const radio of input.querySelectorAll<HTMLInputElement>("input[type=radio]")) radio.parentElement?.replaceChildren(radio, ` ${text(radio.value as T)}`);
  return input;
}

/** An input for Framework's `view()`: an element whose `value` follows its fields. */
type Input<T> = HTMLElement & { value: T };

/**
 * The inputs of the page: the period input (`period()` makes it) and the choices of a breakdown as one input whose
 * value is a BreakdownChoice, and the metric charted apart (a chart of another metric needs no new query). Each is
 * kept in the page's URL: the period as /accounting keeps it, the others as `by`, `keep`, `n`, `bin` and `metric`.
 * Bins need the exact mode: with compat chosen they are disabled, and say so; with every group kept, their number is.
 */
export function breakdownInputs(
  period: () => Input<PeriodChoice>,
  dimensions: readonly Dimension[],
  metrics: readonly ChartMetric[],
  words: Words,
): { controls: Input<BreakdownChoice>; metric: Input<ChartMetric> } {
  const by = labelled(radioInput("Break down by", dimensions, "account", "by"), (dimension) => dimensionLabel(dimension, words));
  const keep = labelled(radioInput("Keep", KEEPS, "top", "keep"), (choice) => KEEP_LABELS[choice]);
  const count = radioInput("How many", COUNTS, "10", "n");
  const bin = labelled(radioInput("Per", BIN_CHOICES, "none", "bin"), (choice) => BIN_LABELS[choice]);
  const metric = labelled(radioInput("Chart", metrics, "cpu_num_hours", "metric"), (choice) => METRIC_LABELS[choice]);
  const periodInput = period();
  const help = html`<p class="bin-help"></p>`;
  const controls = html`<div class="breakdown-controls">${periodInput}${by}${keep}${count}${bin}${help}</div>` as Input<BreakdownChoice>;
  const update = () => {
    const compat = periodInput.value.mode === "compat";
    controls.value = { period: periodInput.value, by: by.value, keep: keep.value, count: Number(count.value), bin: bin.value };
    for (const radio of count.querySelectorAll("input")) radio.disabled = keep.value === "all";
    for (const radio of bin.querySelectorAll("input")) radio.disabled = compat && radio.value !== "none";
    help.textContent = compat ? "Bins need the exact mode: compat stops each bin at its last snapshot, so the bins would not add up to the period." : "";
  };
  // After each control has taken its new value (their own listeners), before the page reads the whole.
  controls.addEventListener("input", update);
  update();
  return { controls, metric };
}

/** The resource-hours some record of the archive holds: what a recorded resource is does not depend on the period. */
export async function archiveMetrics(db: Connector): Promise<ChartMetric[]> {
  const held = CHART_METRICS.map((metric) => `bool_or("${metric.replace(/_hours$/, "")}") AS "${metric}"`);
  const [recorded] = await db.query<Record<ChartMetric, boolean>>(`SELECT ${held.join(", ")} FROM recorded_resources`);
  return CHART_METRICS.filter((metric) => recorded?.[metric] === true);
}

/** The names of the users table by pseudonym: none in a public build, which holds pseudonyms alone. */
export async function userNames(db: Connector): Promise<Map<string, string>> {
  const users = await db.query<{ pseudonym: string; name: string }>("SELECT pseudonym, name FROM users WHERE name IS NOT NULL");
  return new Map(users.map((user) => [user.pseudonym, user.name]));
}

/**
 * The breakdown query's request for a choice: users by pseudonym (the site's tables number owners, and hold no id),
 * no bin in compat mode.
 */
export function breakdownRequest(choice: BreakdownChoice): BreakdownRequest {
  const { from, to, mode } = choice.period;
  return {
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    mode,
    by: choice.by,
    ...(choice.bin === "none" || mode !== "exact" ? {} : { bin: choice.bin }),
    ...(choice.keep === "all" ? {} : { [choice.keep]: choice.count }),
    owners: "pseudonym",
  };
}

/** What the page shows for a choice: why it has no number, or the breakdowns (one per bin) and the period's coverage. */
type BreakdownOutcome =
  | { choice: BreakdownChoice; problem: string }
  | { choice: BreakdownChoice; problem?: undefined; request: BreakdownRequest; coverage: Coverage; breakdowns: Breakdown[] };

/** The breakdowns of a choice and the coverage of its period, through the browser's DuckDB; a problem and no number otherwise. */
export async function breakdownOutcome(db: Connector, choice: BreakdownChoice, knownIssues: readonly KnownIssue[]): Promise<BreakdownOutcome> {
  if (choice.period.problem) return { choice, problem: choice.period.problem };
  const request = breakdownRequest(choice);
  try {
    await db.cover?.(request);
    const coverage = await periodCoverage(db, request, knownIssues);
    return { choice, request, coverage, breakdowns: await runBreakdown(db, request) };
  } catch (error) {
    if (error instanceof PeriodError) return { choice, problem: error.message };
    throw error;
  }
}

/** The downloads' file name, without its extension: `breakdown_<by>_<bin>_<from>_<to>`, `whole` for no bin, `_compat` in compat mode. */
export function breakdownFile(request: BreakdownRequest, coverage: Pick<Coverage, "from" | "to">): string {
  return ["breakdown", request.by, request.bin ?? "whole", coverage.from, coverage.to, ...(request.mode === "compat" ? ["compat"] : [])].join("_");
}

/** A bin's name in the chart and the table: `2024-03`, `2024-W09`…; the period's days without bins. */
function binName(breakdown: Breakdown): string {
  return breakdown.bin ? binLabel(breakdown.bin, breakdown.from) : `${breakdown.from} to ${breakdown.to}`;
}

/** One bar, or part of a stacked bar: a group's resource-hours in a bin. */
interface ChartPart {
  bin: string;
  group: string;
  value: number;
}

/** What a chart draws: the bins in time order, the groups in the breakdown's order (`(other)` last), and the bars. */
interface ChartData {
  bins: string[];
  groups: string[];
  parts: ChartPart[];
}

/**
 * The groups of every bin in one order: each bin lists those that counted in it in the period's order, so the order
 * where each comes after the one it follows in some bin, ties broken by which was listed first (Kahn's sort).
 */
function mergedOrder(lists: readonly string[][]): string[] {
  const listed: string[] = [];
  const followers = new Map<string, Set<string>>();
  const preceding = new Map<string, number>();
  for (const list of lists) {
    list.forEach((name, i) => {
      if (!followers.has(name)) {
        listed.push(name);
        followers.set(name, new Set());
        preceding.set(name, 0);
      }
      const before = i > 0 ? (followers.get(list[i - 1] as string) as Set<string>) : undefined;
      if (before && !before.has(name)) {
        before.add(name);
        preceding.set(name, (preceding.get(name) as number) + 1);
      }
    });
  }
  const order: string[] = [];
  let ready = listed.filter((name) => preceding.get(name) === 0);
  while (ready.length) {
    const [next, ...rest] = ready as [string, ...string[]];
    order.push(next);
    const freed = [...(followers.get(next) as Set<string>)].filter((name) => {
      preceding.set(name, (preceding.get(name) as number) - 1);
      return preceding.get(name) === 0;
    });
    ready = listed.filter((name) => rest.includes(name) || freed.includes(name));
  }
  return order;
}

/**
 * A metric's bars: a part per group and bin, the other groups' as `(other)`, none for the total (they add up to it)
 * nor where nothing was used (a group whose runs do not record the resource used none of it).
 */
export function chartData(breakdowns: readonly Breakdown[], metric: HourMetric): ChartData {
  const parts = breakdowns.flatMap((breakdown) => {
    const bin = binName(breakdown);
    return [
      ...breakdown.groups.map((group) => ({ bin, group: groupLabel(group.value), value: group[metric] ?? 0 })),
      ...(breakdown.other ? [{ bin, group: OTHER, value: breakdown.other[metric] ?? 0 }] : []),
    ];
  });
  const order = mergedOrder(breakdowns.map((breakdown) => breakdown.groups.map((group) => groupLabel(group.value))));
  const used = parts.filter((part) => part.value > 0);
  const drawn = new Set(used.map((part) => part.group));
  return {
    bins: breakdowns.map(binName),
    groups: [...order, OTHER].filter((group) => drawn.has(group)),
    parts: used,
  };
}

/** A colour per group, `(other)` grey: Observable's ten (but its grey) for a few groups, turbo's for more. */
export function groupColors(groups: readonly string[]): string[] {
  const named = groups.filter((group) => group !== OTHER);
  const few = named.length <= 9;
  const range = Plot.scale({ color: few ? { type: "categorical", domain: named } : { type: "ordinal", scheme: "turbo", domain: named } }).range as string[];
  let next = 0;
  return groups.map((group) => (group === OTHER ? OTHER_COLOR : (range[next++ % range.length] as string)));
}

/** A card's padding and border, on both sides: what a chart in a card leaves of the page width. */
const CARD_INSET = 34;

/** Axis ticks of a metric: counted core- and GPU-hours, scaled byte-hours (`300 GB`). */
function metricTick(metric: ChartMetric): (value: number) => string {
  return metric === "memory_MB_hours" || metric === "disk_MB_hours" ? mega("B") : formatCount;
}

/** A label cut to `length` characters, for an axis. */
function cut(text: string, length = 28): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/**
 * The chart of a metric: with bins, a bar per bin stacked by group (colours in a legend); without, a horizontal bar
 * per group. Null when nothing was used.
 */
function breakdownPlot(data: ChartData, metric: ChartMetric, binned: boolean, width: number): HTMLElement | SVGSVGElement | null {
  if (data.parts.length === 0) return null;
  const colors = { domain: data.groups, range: groupColors(data.groups) };
  const label = METRIC_LABELS[metric];
  const tick = metricTick(metric);
  const title = (part: ChartPart) => `${part.group}\n${binned ? `${part.bin}: ` : ""}${formatMetric(metric, part.value)}`;
  const chartWidth = Math.max(280, width - CARD_INSET);
  if (!binned) {
    return Plot.plot({
      width: chartWidth,
      height: 40 + 24 * data.groups.length,
      marginLeft: Math.min(180, 12 + 6.5 * Math.max(...data.groups.map((group) => cut(group).length))),
      x: { label, grid: true, tickFormat: tick },
      y: { domain: data.groups, label: null, tickFormat: (group: string) => cut(group) },
      color: colors,
      marks: [Plot.barX(data.parts, { y: "group", x: "value", fill: "group", tip: true, title }), Plot.ruleX([0])],
    });
  }
  // About one bin name per 70 px: the others are still bars, named by their tip.
  const step = Math.max(1, Math.ceil(data.bins.length / Math.max(1, Math.floor(chartWidth / 70))));
  return Plot.plot({
    width: chartWidth,
    height: 320,
    marginLeft: 56,
    x: { domain: data.bins, label: null, ticks: data.bins.filter((_, i) => i % step === 0) },
    y: { label, grid: true, nice: true, tickFormat: tick },
    color: { ...colors, legend: true, tickFormat: (group: string) => cut(group, 40) },
    marks: [Plot.barY(data.parts, { x: "bin", y: "value", fill: "group", order: data.groups, tip: true, title }), Plot.ruleY([0])],
  });
}

/** Where each entry of a legend goes, flowing in rows `width` wide: entries `widths` wide, `height` a row. */
export function legendLayout(widths: readonly number[], width: number, height = 18): { places: { x: number; y: number }[]; height: number } {
  const places: { x: number; y: number }[] = [];
  let x = 0;
  let y = 0;
  for (const entry of widths) {
    if (x > 0 && x + entry > width) {
      x = 0;
      y += height;
    }
    places.push({ x, y });
    x += entry;
  }
  return { places, height: widths.length ? y + height : 0 };
}

/** The computed styles an SVG needs outside the page: its colours, strokes and fonts come partly from the page's CSS. */
const STYLES = [
  "color",
  "fill",
  "fill-opacity",
  "stroke",
  "stroke-opacity",
  "stroke-width",
  "stroke-dasharray",
  "stroke-linecap",
  "stroke-linejoin",
  "opacity",
  "font-family",
  "font-size",
  "font-style",
  "font-weight",
  "font-variant",
  "text-anchor",
  "dominant-baseline",
  "paint-order",
  "visibility",
];

const SVG_NS = "http://www.w3.org/2000/svg";

function svgElement(name: string, attributes: Record<string, string | number>): SVGElement {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

/** The colour behind the page's charts: the body's, else the root's, else white. */
function pageBackground(): string {
  const opaque = [document.body, document.documentElement]
    .map((element) => getComputedStyle(element).backgroundColor)
    .find((color) => color !== "" && color !== "transparent" && color !== "rgba(0, 0, 0, 0)");
  return opaque ?? "white";
}

/**
 * A standalone SVG file of a chart on the page: its SVG with every element's computed styles inline, on the page's
 * background, and the colours' legend (HTML beside Plot's SVG) drawn below it.
 */
function standaloneSvg(chart: Element, legend: readonly { label: string; color: string }[]): { text: string; width: number; height: number } {
  const svg = (chart instanceof SVGSVGElement ? chart : chart.querySelector(":scope > svg")) as SVGSVGElement;
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const originals = [svg, ...svg.querySelectorAll("*")];
  const copies = [copy, ...copy.querySelectorAll("*")];
  originals.forEach((original, i) => {
    const computed = getComputedStyle(original);
    const style = (copies[i] as SVGElement).style;
    for (const name of STYLES) style.setProperty(name, computed.getPropertyValue(name));
  });
  const width = Number(svg.getAttribute("width"));
  const chartHeight = Number(svg.getAttribute("height"));
  const font = getComputedStyle(svg);
  const context = document.createElement("canvas").getContext("2d") as CanvasRenderingContext2D;
  context.font = `12px ${font.fontFamily}`;
  const labels = legend.map((entry) => cut(entry.label, 40));
  const layout = legendLayout(
    labels.map((label) => 22 + context.measureText(label).width + 16),
    width - 20,
  );
  const height = chartHeight + (layout.height ? layout.height + 16 : 0);
  const root = svgElement("svg", { xmlns: SVG_NS, width, height, viewBox: `0 0 ${width} ${height}` });
  root.append(svgElement("rect", { width, height, fill: pageBackground() }));
  copy.setAttribute("x", "0");
  copy.setAttribute("y", "0");
  root.append(copy);
  const key = svgElement("g", { transform: `translate(10, ${chartHeight + 8})`, "font-family": font.fontFamily, "font-size": 12, fill: font.color });
  legend.forEach((entry, i) => {
    const { x, y } = layout.places[i] as { x: number; y: number };
    const text = svgElement("text", { x: x + 20, y: y + 11 });
    text.textContent = labels[i] as string;
    key.append(svgElement("rect", { x, y: y + 1, width: 14, height: 12, fill: entry.color }), text);
  });
  root.append(key);
  return { text: new XMLSerializer().serializeToString(root), width, height };
}

/** A PNG of an SVG file at twice its size, drawn on a canvas. */
async function pngOf(svg: { text: string; width: number; height: number }): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svg.text], { type: "image/svg+xml" }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = svg.width * 2;
    canvas.height = svg.height * 2;
    const context = canvas.getContext("2d") as CanvasRenderingContext2D;
    context.scale(2, 2);
    context.drawImage(image, 0, 0, svg.width, svg.height);
    return await new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the canvas gave no PNG"))), "image/png"));
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** A link saving a file that is made when it is clicked (from the chart as it is then drawn). */
function madeOnClick(text: string, file: string, make: () => Promise<Blob>): HTMLAnchorElement {
  const link = html`<a class="csv-download" href="#" download=${file}>${text}</a>` as HTMLAnchorElement;
  let made = false;
  link.addEventListener("click", (event) => {
    if (made) {
      made = false; // the click below, once the file is made: the browser saves it
      return;
    }
    event.preventDefault();
    make().then(
      (blob) => {
        if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
        link.href = URL.createObjectURL(blob);
        made = true;
        link.click();
      },
      (error: Error) => link.after(` (${text} failed: ${error.message})`),
    );
  });
  return link;
}

/** A link saving the whole breakdown as `accounting report --by … --format csv` writes it. */
function csvDownload(breakdowns: readonly Breakdown[], by: Dimension, file: string): HTMLElement {
  const url = URL.createObjectURL(new Blob([breakdownCsv(breakdowns, by)], { type: "text/csv" }));
  return html`<a class="csv-download" href=${url} download=${`${file}.csv`}>Download CSV</a>`;
}

/** A row of the page's table: a group, the other groups or the total, of a bin. */
interface BreakdownTableRow extends Usage {
  bin: string;
  group: string;
  /** The user's name, in a private build. */
  name: string | null;
}

/** The table's rows: per bin, a row per group, one for the other groups (when some were not kept) and the total. */
export function breakdownRows(breakdowns: readonly Breakdown[], names: ReadonlyMap<string, string>): BreakdownTableRow[] {
  return breakdowns.flatMap((breakdown) => {
    const bin = binName(breakdown);
    return [
      ...breakdown.groups.map(({ value, ...usage }) => ({ bin, group: groupLabel(value), name: value === null ? null : (names.get(value) ?? null), ...usage })),
      ...(breakdown.other ? [{ bin, group: OTHER, name: null, ...breakdown.other }] : []),
      { bin, group: TOTAL, name: null, ...breakdown.total },
    ];
  });
}

/** A number cell: the metric for people, its exact value in `data-value`. */
function metricCell(metric: HourMetric | "jobs" | "users") {
  return (value: number | null) => html`<span data-metric=${metric} data-value=${String(value)}>${formatMetric(metric, value)}</span>`;
}

/** How the page says what it shows: `by account, the 10 with most CPU-hours and the others, per month`. */
function described(request: BreakdownRequest, words: Words): string {
  const kept = request.top
    ? `the ${request.top} with most CPU-hours and the others`
    : request.least
      ? `the ${request.least} with fewest CPU-hours and the others`
      : "every group";
  return `by ${dimensionLabel(request.by, words).toLowerCase()}, ${kept}${request.bin ? `, per ${request.bin}` : ""}`;
}

/** What the page needs besides the outcome: words, names (private build), the metric charted, the page's width. */
interface BreakdownContext {
  words: Words;
  names: ReadonlyMap<string, string>;
  metric: ChartMetric;
  width: number;
}

/** The breakdowns of a choice, or why there are none: the period, its coverage, downloads, the chart and the table. */
export function breakdownView(outcome: BreakdownOutcome, { words, names, metric, width }: BreakdownContext): HTMLElement {
  if (outcome.problem !== undefined) return html`<p class="period-problem" role="alert">No numbers: ${outcome.problem}.</p>`;
  const { request, coverage, breakdowns } = outcome;
  const file = breakdownFile(request, coverage);
  const binned = request.bin !== undefined;
  const data = chartData(breakdowns, metric);
  const chart = breakdownPlot(data, metric, binned, width);
  const colors = groupColors(data.groups);
  const legend = binned ? data.groups.map((label, i) => ({ label, color: colors[i] as string })) : [];
  const svg = () => standaloneSvg(chart as Element, legend);
  const hours = recordedResources(breakdowns);
  const columns: Column<BreakdownTableRow>[] = [
    ...(binned ? [{ name: "bin", label: BIN_LABELS[request.bin as Bin] } as const] : []),
    { name: "group", label: dimensionLabel(request.by, words) },
    ...(request.by === "user" && names.size ? [{ name: "name", label: "Name" } as const] : []),
    ...[...hours, "jobs" as const, "users" as const].map((metric) => ({
      name: metric,
      label: METRIC_LABELS[metric],
      number: true,
      format: metricCell(metric),
    })),
  ];
  const empty = breakdowns.every((breakdown) => breakdown.groups.length === 0 && breakdown.other === null);
  return html`<div class="breakdown" data-by=${request.by} data-bin=${request.bin ?? ""} data-from=${coverage.from} data-to=${coverage.to}>
    <p class="period">${coverage.from} to ${coverage.to}, ${request.mode} mode, ${described(request, words)}. ${csvDownload(breakdowns, request.by, file)}</p>
    ${coverageNotes(coverage, words)}
    <div class="card breakdown-chart">
      <h2>${METRIC_LABELS[metric]} ${described(request, words)}</h2>
      ${
        chart === null
          ? html`<p>${empty ? "No usage in the period." : `${METRIC_LABELS[metric]}: none in the period.`}</p>`
          : html`<div>${chart}</div>
              <p class="chart-downloads">
                ${madeOnClick("Download SVG", `${file}.svg`, async () => new Blob([svg().text], { type: "image/svg+xml" }))}
                ${madeOnClick("Download PNG", `${file}.png`, () => pngOf(svg()))}
              </p>`
      }
    </div>
    <h2>${binned ? `Per ${request.bin}` : "Over the period"}</h2>
    <p>
      A row per group${binned ? ` and ${request.bin}` : ""}${request.top || request.least ? `, the others added up in ${OTHER}` : ""}, and the total they add up
      to (resource-hours; a job or a user may count in several groups). A resource no run of a group records reads —.
    </p>
    ${dataTable(breakdownRows(breakdowns, names), { columns, file: `${file}_table`, noun: "row", rows: 20 })}
  </div>`;
}
