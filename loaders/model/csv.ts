import { from } from "arquero/src/table/index.js";
import { inertText } from "./inert-text.js";
import { METRICS, type Report } from "../queries/report.js";

/** Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, return), defused with a leading `'`. */
function defuseFormula(value: unknown): unknown {
  return typeof value === "string" && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** A cell: text defused, then its control characters escaped as in the command's tables (a CSV is read in terminals too). */
function csvCell(value: unknown): unknown {
  const defused = defuseFormula(value);
  return typeof defused === "string" ? inertText(defused) : defused;
}

function quoted(text: string, delimiter: string): string {
  return text.includes('"') || text.includes(delimiter) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Rows as CSV (arquero): a header of the column names, then a line per row; cells quoted where needed, text defused
 * and its control characters escaped (column names too: they may be namespaces), numbers unrounded, null as empty.
 * Cells are separated by commas, or by `delimiter` (upstream's summaries use `;`).
 */
export function rowsCsv(rows: readonly object[], columns: readonly string[], delimiter = ","): string {
  const header = `${columns.map((name) => quoted(String(csvCell(name)), delimiter)).join(delimiter)}\n`;
  if (rows.length === 0) return header;
  const format = Object.fromEntries(columns.map((name) => [name, csvCell]));
  return header + from(rows as object[], columns as string[]).toCSV({ columns: [...columns], format, header: false, delimiter });
}

/**
 * The report as CSV, hours unrounded: a row per namespace, then the total. The first column, `row`, tells them apart
 * (`namespace` or `total`): a namespace may be named `total`, or nothing. The total row's namespace is empty.
 */
export function reportCsv(report: Report): string {
  const rows = [
    ...Object.entries(report.namespaces).map(([namespace, usage]) => ({ row: "namespace", namespace, ...usage })),
    { row: "total", namespace: null, ...report.total },
  ];
  return rowsCsv(rows, ["row", "namespace", ...METRICS]);
}
