import * as Plot from "@observablehq/plot";
import type { KnownIssue } from "../loaders/known-issues.js";
import type { SnapshotGap } from "../loaders/quality.js";
import { MICROS_PER_DAY, parseDay } from "../loaders/time.js";
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

/** Gaps shaded grey, known issues shaded amber and named at the top; hovering either says what it is. */
export function timelineBackground(context: TimelineContext): Plot.Markish[] {
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
    Plot.text(context.knownIssues, {
      x: (issue: KnownIssue) => dayDate(issue.from),
      frameAnchor: "top",
      textAnchor: "start",
      dx: 3,
      dy: 4,
      text: "title",
      fill: "#9a5b00",
      clip: true,
    }),
  ];
}

