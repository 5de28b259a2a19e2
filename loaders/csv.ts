import { from } from "arquero/src/table/index.js";
import { METRICS, type Report } from "./report.js";

/** Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, return), defused with a leading `'`. */
export function defuseFormula(value: unknown): unknown {
  return typeof value === "string" && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/**
 * Rows as CSV (arquero): a header of the column names, then a line per row; cells quoted where needed, text defused,
 * numbers unrounded, null as empty.
 */
export function rowsCsv(rows: readonly object[], columns: readonly string[]): string {
  if (rows.length === 0) return `${columns.join(",")}\n`;
  return from(rows as object[], columns as string[]).toCSV({ columns: [...columns], format: Object.fromEntries(columns.map((name) => [name, defuseFormula])) });
}

/** The report as CSV: a row per namespace, then a `total` row, hours unrounded. */
export function reportCsv(report: Report): string {
  const rows = [...Object.entries(report.namespaces), ["total", report.total] as const].map(([namespace, usage]) => ({ namespace, ...usage }));
  return rowsCsv(rows, ["namespace", ...METRICS]);
}
