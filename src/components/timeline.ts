import * as Plot from "@observablehq/plot";
import type { KnownIssue } from "../loaders/ingest/known-issues.js";
import type { SnapshotGap } from "../loaders/queries/quality.js";
import { MICROS_PER_DAY, parseDay } from "../loaders/model/time.js";
import { formatHours, formatSnapshotTime } from "./format.js";

/** What every timeline shows behind its data: the span drawn, gaps in the snapshots and known issues. */
export interface TimelineContext {
  /** First and last day drawn, `YYYY-MM-DD`. */
  firstDay: string;
  lastDay: string;
  gaps: SnapshotGap[];
  knownIssues: KnownIssue[];
}

export const GAP_FILL = "#8a8a8a";
export const ISSUE_FILL = "#e8a33d";

/** Midnight UTC starting the day `YYYY-MM-DD`. */
export function dayDate(day: string): Date {
  return new Date(Number(parseDay(day)) / 1000);
}

export function nextDayDate(day: string): Date {
  return new Date((Number(parseDay(day)) + MICROS_PER_DAY) / 1000);
}

export function timeDomain(context: TimelineContext): [Date, Date] {
  return [dayDate(context.firstDay), nextDayDate(context.lastDay)];
}

export function gapTitle(gap: SnapshotGap): string {
  return `No snapshot for ${formatHours(gap.hours)}\n${formatSnapshotTime(gap.start)} to ${formatSnapshotTime(gap.end)}`;
}

export function issueTitle(issue: KnownIssue): string {
  return `${issue.title} (${issue.from === issue.to ? issue.from : `${issue.from} to ${issue.to}`})\n${issue.description}`;
}

/** About how wide a label's characters are, in pixels, at Plot's 10px sans-serif. */
const CHARACTER_WIDTH = 6;
/** The height of a row of labels. */
const LANE_HEIGHT = 12;

/**
 * A row (lane) for each label placed at `starts` (fractions of the chart's width, in order) so that no two labels of a
 * row overlap: each goes in the first row whose last label ends before it starts. Labels are `widths` pixels wide on a
 * chart `width` pixels wide.
 */
export function labelLanes(starts: number[], widths: number[], width: number): number[] {
  const ends: number[] = [];
  return starts.map((start, i) => {
    const x = start * width;
    let lane = ends.findIndex((end) => end < x);
    if (lane === -1) lane = ends.length;
    ends[lane] = x + (widths[i] ?? 0) + CHARACTER_WIDTH;
    return lane;
  });
}

/**
 * Gaps shaded grey, known issues shaded amber and named at the top, labels stacked in rows where they would overlap
 * on a chart `width` pixels wide; hovering either says what it is.
 */
export function timelineBackground(context: TimelineContext, width: number): Plot.Markish[] {
  const [start, end] = timeDomain(context).map((date) => date.getTime()) as [number, number];
  const issues = [...context.knownIssues].sort((a, b) => a.from.localeCompare(b.from));
  const lanes = labelLanes(
    issues.map((issue) => (dayDate(issue.from).getTime() - start) / (end - start)),
    issues.map((issue) => issue.title.length * CHARACTER_WIDTH),
    width,
  );
  const labelled = issues.map((issue, i) => ({ issue, lane: lanes[i] as number }));
  return [
    Plot.rect(context.gaps, {
      x1: (gap: SnapshotGap) => new Date(gap.start),
      x2: (gap: SnapshotGap) => new Date(gap.end),
      fill: GAP_FILL,
      fillOpacity: 0.3,
      clip: true,
      title: gapTitle,
    }),
    Plot.rect(context.knownIssues, {
      x1: (issue: KnownIssue) => dayDate(issue.from),
      x2: (issue: KnownIssue) => nextDayDate(issue.to),
      fill: ISSUE_FILL,
      fillOpacity: 0.2,
      clip: true,
      title: issueTitle,
    }),
    // One mark per row of labels: a mark's offset is the same for all its texts.
    ...[...new Set(lanes)].map((lane) =>
      Plot.text(
        labelled.filter((label) => label.lane === lane),
        {
          x: ({ issue }: { issue: KnownIssue }) => dayDate(issue.from),
          frameAnchor: "top",
          textAnchor: "start",
          dx: 3,
          dy: 4 + lane * LANE_HEIGHT,
          text: ({ issue }: { issue: KnownIssue }) => issue.title,
          fill: "#9a5b00",
          clip: true,
          ariaLabel: () => "known issue",
        },
      ),
    ),
  ];
}
