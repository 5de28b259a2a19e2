import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Mode, Report } from "../../loaders/queries/report.js";
import { known } from "./hours.js";

export const REFERENCE = fileURLToPath(new URL("../fixtures/reference/", import.meta.url));
export const REFERENCE_ARCHIVE = `${REFERENCE}archive-a`;
export const REFERENCE_NAMESPACES = ["ai4eosc", "imagine", "ai4life"];

const METRIC_OF: Record<string, string> = {
  "cpu_num hours": "cpu_num_hours",
  "cpu_MHz hours": "cpu_MHz_hours",
  "gpu_num hours": "gpu_num_hours",
  "memory_MB hours": "memory_MB_hours",
  "disk_MB hours": "disk_MB_hours",
  "Nº jobs": "jobs",
  "Nº active users": "users",
};

/** Upstream prints no hour rows where nothing was consumed. */
const NOTHING_CONSUMED = { cpu_num_hours: 0, cpu_MHz_hours: 0, gpu_num_hours: 0, memory_MB_hours: 0, disk_MB_hours: 0 };

export interface ReferencePeriod {
  from?: string;
  to?: string;
  /** Table (namespace upper-cased, or Aggregated) -> metric -> integer, as upstream prints it. */
  tables: Record<string, Record<string, number>>;
}

export function referencePeriods(mode: Mode): ReferencePeriod[] {
  const raw = JSON.parse(readFileSync(`${REFERENCE}usage-stats.${mode}.json`, "utf8")) as Record<string, Record<string, Record<string, number>>>;
  return Object.entries(raw).map(([period, tables]) => {
    const [from, to] = period.split(":");
    const converted = Object.fromEntries(
      Object.entries(tables).map(([table, metrics]) => [
        table,
        { ...NOTHING_CONSUMED, ...Object.fromEntries(Object.entries(metrics).map(([k, v]) => [METRIC_OF[k] ?? k, v])) },
      ]),
    );
    return { from: from || undefined, to: to || undefined, tables: converted };
  });
}

/** A report as upstream prints it: whole hours per namespace, the aggregate summing those. */
export function upstreamView(report: Report): Record<string, Record<string, number>> {
  const view: Record<string, Record<string, number>> = {};
  const aggregated: Record<string, number> = { jobs: report.total.jobs, users: report.total.users };
  for (const [namespace, usage] of Object.entries(report.namespaces)) {
    const table: Record<string, number> = { jobs: usage.jobs, users: usage.users };
    for (const [metric, value] of Object.entries(usage)) {
      if (!metric.endsWith("_hours")) continue;
      table[metric] = Math.trunc(known(value));
      aggregated[metric] = (aggregated[metric] ?? 0) + Math.trunc(known(value));
    }
    view[namespace.toUpperCase()] = table;
  }
  view.Aggregated = aggregated;
  return view;
}
