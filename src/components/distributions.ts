import * as Plot from "@observablehq/plot";
import { html } from "htl";
import type { DailyPeak, GroupTimes, MeasureSummary } from "../loaders/queries/distributions.js";
import { formatCount, formatHours, mega } from "./format.js";
import { dataTable } from "./table.js";

/** How each measure of a job reads: its label, and its values for people. */
const MEASURES: Record<MeasureSummary["measure"], { label: string; format: (value: number) => string }> = {
  wait_hours: { label: "Wait (start − submit)", format: formatHours },
  run_hours: { label: "Run time", format: formatHours },
  cores: { label: "Cores", format: formatCount },
  gpus: { label: "GPUs", format: formatCount },
  memory_MB: { label: "Memory", format: mega("B") },
};

const STATISTICS = ["count", "min", "median", "mean", "p90", "max"] as const;

/** Count, min, median, mean, 90th percentile and max of each measure; "—" where no job has it. */
export function summaryTable(summaries: MeasureSummary[]): HTMLElement {
  return html`<table class="distribution-summary">
    <thead>
      <tr>
        <th>Per job</th>
        ${STATISTICS.map((name) => html`<th class="number">${name === "p90" ? "90th percentile" : name}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${summaries.map(
        (row) =>
          html`<tr data-measure=${row.measure}>
            <th scope="row">${MEASURES[row.measure].label}</th>
            ${STATISTICS.map((name) => {
              const value = row[name];
              const text = value === null ? "—" : name === "count" ? formatCount(value) : MEASURES[row.measure].format(value);
              return html`<td class="number" data-statistic=${name} data-value=${String(value)}>${text}</td>`;
            })}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** A histogram of one measure over the jobs that have it: jobs per bin. */
export function histogram(jobs: Record<string, unknown>[], measure: MeasureSummary["measure"], width: number) {
  const values = jobs.map((job) => job[measure]).filter((value): value is number => typeof value === "number");
  if (values.length === 0) return html`<p>No job of the period has it.</p>`;
  const { label, format } = MEASURES[measure];
  return Plot.plot({
    width,
    height: 200,
    marginLeft: 50,
    x: { label, tickFormat: format },
    y: { label: "Jobs", grid: true, tickFormat: formatCount },
    marks: [Plot.rectY(values, Plot.binX({ y: "count" }, { x: (value: number) => value })), Plot.ruleY([0])],
  });
}

/** Each group's jobs and mean wait and run times. */
export function groupTimesTable(groups: GroupTimes[], label: string, file: string): HTMLElement {
  const hours = (value: number | null) => (value === null ? "—" : formatHours(value));
  return dataTable(
    groups.map((group) => ({ ...group, group: group.group ?? "—" })),
    {
      columns: [
        { name: "group", label },
        { name: "jobs", label: "Jobs", number: true, format: (value: number) => formatCount(value) },
        { name: "mean_wait_hours", label: "Mean wait", number: true, format: hours },
        { name: "mean_run_hours", label: "Mean run time", number: true, format: hours },
      ],
      file,
      noun: label.toLowerCase(),
    },
  );
}

/** The most cores and GPUs held at once, day by day. */
export function peaksChart(peaks: DailyPeak[], width: number) {
  const points = peaks.flatMap((peak) => [
    { day: new Date(`${peak.day}T00:00:00Z`), what: "Cores", value: peak.peak_cores },
    ...(peak.peak_gpus === null ? [] : [{ day: new Date(`${peak.day}T00:00:00Z`), what: "GPUs", value: peak.peak_gpus }]),
  ]);
  return Plot.plot({
    width,
    height: 220,
    marginLeft: 50,
    color: { legend: true },
    x: { label: null, type: "utc" },
    y: { label: "Held at once (peak of the day)", grid: true, tickFormat: formatCount },
    marks: [Plot.lineY(points, { x: "day", y: "value", stroke: "what", curve: "step-after", tip: true }), Plot.ruleY([0])],
  });
}
