import { from } from "arquero/src/table/index.js";
import { METRICS, type Report } from "./report.js";

/** Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, return), defused with a leading `'`. */
export function defuseFormula(value: unknown): unknown {
  return typeof value === "string" && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function quoted(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Rows as CSV (arquero): a header of the column names, then a line per row; cells quoted where needed, text defused
 * (column names too: they may be namespaces), numbers unrounded, null as empty.
 */
export function rowsCsv(rows: readonly object[], columns: readonly string[]): string {
  const header = `${columns.map((name) => quoted(String(defuseFormula(name)))).join(",")}\n`;
  if (rows.length === 0) return header;
  const format = Object.fromEntries(columns.map((name) => [name, defuseFormula]));
  return header + from(rows as object[], columns as string[]).toCSV({ columns: [...columns], format, header: false });
}

/** The report as CSV: a row per namespace, then a `total` row, hours unrounded. */
export function reportCsv(report: Report): string {
  const rows = [...Object.entries(report.namespaces), ["total", report.total] as const].map(([namespace, usage]) => ({ namespace, ...usage }));
  return rowsCsv(rows, ["namespace", ...METRICS]);
}
