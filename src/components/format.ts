import type { Metric } from "../loaders/report.js";

const whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const fine = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

/** A metric's value for people: thousands separated, hours to the hour (to 0.01 under 10). */
export function formatMetric(metric: Metric, value: number): string {
  if (metric === "jobs" || metric === "users") return whole.format(value);
  return Math.abs(value) < 10 ? fine.format(value) : whole.format(value);
}

/** `2024-02-07T06:00:14Z` as `2024-02-07 06:00 UTC`. */
export function formatSnapshotTime(instant: string): string {
  return `${instant.slice(0, 10)} ${instant.slice(11, 16)} UTC`;
}

export function formatHours(hours: number): string {
  return `${hours.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 })} h`;
}

export const METRIC_LABELS: Record<Metric, string> = {
  cpu_num_hours: "CPU core-hours",
  cpu_MHz_hours: "CPU MHz-hours",
  gpu_num_hours: "GPU-hours",
  memory_MB_hours: "Memory MB-hours",
  disk_MB_hours: "Disk MB-hours",
  jobs: "Jobs",
  users: "Active users",
};
