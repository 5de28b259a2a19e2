import * as Plot from "@observablehq/plot";
import { html } from "htl";
import type { KnownIssue } from "../loaders/ingest/known-issues.js";
import { GC_DELAY_HOURS, type ProblemCount, type SnapshotGap, type UnseenEnds } from "../loaders/queries/quality.js";
import { formatHours, formatMetric, formatSnapshotTime, METRIC_LABELS } from "./format.js";
import { fromHtml } from "./markup.js";
import { knownIssuesHtml } from "./print.js";
import type { ArchiveSources, Words } from "./sources.js";
import { dataTable, wholeOnHover, type Column } from "./table.js";
import { GAP_FILL, gapTitle, timeDomain, timelineBackground, type TimelineContext } from "./timeline.js";

export interface Problem {
  file: string;
  line: number | null;
  account: string | null;
  job: string | null;
  reason: string;
}

const whole = new Intl.NumberFormat("en-US");

/** Each gap as a bar as long as it lasted and as high as its hours, over the known issues. */
export function gapsChart(gaps: SnapshotGap[], context: TimelineContext, width: number): HTMLElement | SVGSVGElement {
  const middle = (gap: SnapshotGap) => new Date((new Date(gap.start).getTime() + new Date(gap.end).getTime()) / 2);
  return Plot.plot({
    width,
    height: 260,
    marginLeft: 50,
    x: { type: "utc", domain: timeDomain(context), label: null },
    y: { label: "Hours without a snapshot", grid: true, nice: true },
    marks: [
      ...timelineBackground({ ...context, gaps: [] }, width),
      Plot.rectY(gaps, { x1: (gap: SnapshotGap) => new Date(gap.start), x2: (gap: SnapshotGap) => new Date(gap.end), y: "hours", fill: GAP_FILL, inset: 0 }),
      Plot.ruleY([GC_DELAY_HOURS], { stroke: "#b00020", strokeDasharray: "4 3" }),
      Plot.text([GC_DELAY_HOURS], {
        y: (hours: number) => hours,
        frameAnchor: "right",
        textAnchor: "end",
        dy: -6,
        text: () => "GC delay",
        fill: "#b00020",
        stroke: "white",
      }),
      Plot.ruleY([0]),
      Plot.tip(
        gaps,
        Plot.pointerX({
          x: middle,
          y: "hours",
          title: gapTitle,
        }),
      ),
    ],
  });
}

/** The gaps, longest first. */
export function gapsTable(gaps: SnapshotGap[]): HTMLElement {
  if (gaps.length === 0) return html`<p>No gap.</p>`;
  const longestFirst = [...gaps].sort((a, b) => b.hours - a.hours || a.start.localeCompare(b.start));
  return html`<div class="gaps">
    ${dataTable(longestFirst, {
      columns: [
        { name: "start", label: "From snapshot", format: formatSnapshotTime },
        { name: "end", label: "To snapshot", format: formatSnapshotTime },
        { name: "hours", label: "Length", number: true, format: formatHours },
      ],
      file: "gaps",
      noun: "gap",
    })}
  </div>`;
}

export function problemCountsTable(counts: ProblemCount[], sources: ArchiveSources): HTMLElement {
  if (counts.length === 0) return html`<p>No file${sources.nomadOnly ? "" : ", line"} or job was skipped.</p>`;
  return html`<table class="problem-counts">
    <thead>
      <tr>
        <th>Reason</th>
        <th class="number">Skipped</th>
        <th class="number">Files</th>
      </tr>
    </thead>
    <tbody>
      ${counts.map(
        (count) =>
          html`<tr>
            <td>${count.reason}</td>
            <td class="number">${whole.format(count.problems)}</td>
            <td class="number">${whole.format(count.files)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** Every skipped file, line and job, with its reason; the line of a dump or accounting file where there is one. */
export function problemsTable(problems: Problem[], words: Words): HTMLElement {
  if (problems.length === 0) return html`<span></span>`;
  const lines = problems.some((problem) => problem.line !== null);
  const columns: Column<Problem>[] = [
    { name: "file", label: "File" },
    ...(lines ? [{ name: "line", label: "Line", number: true } as const] : []),
    { name: "account", label: words.Account },
    { name: "job", label: "Job" },
    { name: "reason", label: "Reason", format: wholeOnHover },
  ];
  return html`<div class="problems">
    ${dataTable(problems, {
      columns,
      file: "skipped",
      noun: "problem",
    })}
  </div>`;
}

/** Runs whose end no snapshot saw across an interval over the GC delay, per namespace (an account), with the hours they may lack. */
export function unseenEndsTable(rows: UnseenEnds[], words: Words): HTMLElement {
  if (rows.length === 0) return html`<p>None: every run seen running was seen again, or seen dead, by the next snapshot.</p>`;
  const bound = (metric: "cpu_num_hours" | "gpu_num_hours") => (value: number) => `≤ ${formatMetric(metric, value)}`;
  return html`<table class="unseen-ends">
    <thead>
      <tr>
        <th>${words.Account}</th>
        <th class="number">Runs</th>
        <th class="number">${METRIC_LABELS.cpu_num_hours} missing</th>
        <th class="number">${METRIC_LABELS.gpu_num_hours} missing</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr>
            <td>${row.account}</td>
            <td class="number">${whole.format(row.runs)}</td>
            <td class="number">${bound("cpu_num_hours")(row.cpu_num_hours)}</td>
            <td class="number">${bound("gpu_num_hours")(row.gpu_num_hours)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function knownIssuesTable(issues: KnownIssue[]): HTMLElement {
  return fromHtml(knownIssuesHtml(issues));
}
