import { METRICS, type Report } from "./report.js";

/** A CSV cell, quoted when needed, and defused where a spreadsheet would read it as a formula. */
export function csvCell(value: string | number): string {
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The report as CSV: a row per namespace, then a `total` row, hours unrounded. */
export function reportCsv(report: Report): string {
  const header = ["namespace", ...METRICS];
  const rows = [...Object.entries(report.namespaces), ["total", report.total] as const].map(([namespace, usage]) => [namespace, ...METRICS.map((metric) => usage[metric])]);
  return [header, ...rows].map((row) => row.map(csvCell).join(",")).join("\n") + "\n";
}
