import Table from "cli-table3";
import { binLabel, breakdownCsv, breakdownJson, recordedResources, type Breakdown } from "../loaders/queries/breakdown.js";
import { coverageSentences, type Coverage, type CoverageRecords } from "../loaders/queries/coverage.js";
import { MODE_DESCRIPTIONS, type Usage } from "../loaders/queries/report.js";
import { inertJson, inertText } from "../loaders/model/inert-text.js";
import type { Format } from "./options.js";

const whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** A group's name in a table: its value, `(none)` where the records give none. */
const groupName = (value: string | null) => (value === null ? "(none)" : inertText(value));

/** One table for every bin: a line per group, then the other groups, then the total; hours rounded to whole hours. */
function formatTable(breakdowns: readonly Breakdown[], coverage: Coverage, records: CoverageRecords): string {
  const [first] = breakdowns as [Breakdown];
  const { by, bin, mode } = first;
  const hours = recordedResources(breakdowns);
  const head = [...(bin ? ["bin"] : []), by, ...hours.map((metric) => metric.replace("_hours", " hours")), "jobs", "users"];
  const table = new Table({
    head,
    style: { head: [], border: [] },
    colAligns: head.map((_, i) => (i < (bin ? 2 : 1) ? "left" : "right")),
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
  for (const breakdown of breakdowns) {
    const line = (name: string, usage: Usage) => [
      ...(bin ? [binLabel(bin, breakdown.from)] : []),
      name,
      ...hours.map((metric) => (usage[metric] === null ? "—" : whole.format(usage[metric]))),
      whole.format(usage.jobs),
      whole.format(usage.users),
    ];
    for (const group of breakdown.groups) table.push(line(groupName(group.value), group));
    if (breakdown.other) table.push(line("(other)", breakdown.other));
    table.push(line("Total", breakdown.total));
  }
  const title = `Usage by ${by}${bin ? ` per ${bin}` : ""} for the period ${coverage.from}:${coverage.to}`;
  const notes = [
    `Mode ${mode}: ${MODE_DESCRIPTIONS[mode]}`,
    "Hours of the groups add up to the total (exactly in JSON and CSV; rounded here); a job or a user may count in several groups.",
    ...coverageSentences(coverage, records).map(inertText),
  ];
  return `${title}\n${table.toString()}\n\n${notes.join("\n")}\n`;
}

/**
 * Breakdowns (one per bin) in a format: the table carries the period's coverage, JSON too without bins (with bins,
 * JSON is an array of one object per bin, and CSV has no place for it: the CLI prints it on stderr).
 */
export function formatBreakdowns(breakdowns: readonly Breakdown[], coverage: Coverage, format: Format, records: CoverageRecords): string {
  const [first] = breakdowns as [Breakdown];
  if (format === "csv") return breakdownCsv(breakdowns, first.by);
  if (format === "json") return `${inertJson(first.bin ? breakdowns.map(breakdownJson) : { ...breakdownJson(first), coverage }, 2)}\n`;
  return formatTable(breakdowns, coverage, records);
}
