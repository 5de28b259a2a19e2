import { format } from "d3-format";
import type { Metric } from "../loaders/queries/report.js";

const whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const fine = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
/** Four significant digits and an SI prefix: 328199421000000 is "328.2T". */
const si = format(".4~s");
/** Three significant digits for axes: short enough that tick labels never need a wider margin. */
const siTick = format(".3~s");

/** A count of something: thousands separated, to the hundredth under 10. */
export function formatCount(value: number): string {
  return Math.abs(value) < 10 ? fine.format(value) : whole.format(value);
}

/** `value` of `unit` (bytes, hertz) with an SI prefix and a space: `328.2 TB`. d3's micro sign is kept. */
export function formatScaled(value: number, unit: string, specifier = si): string {
  const text = specifier(value);
  const [, number, prefix] = /^(.*?)([yzafpnµmkMGTPEZY]?)$/.exec(text) as RegExpExecArray;
  return `${number} ${prefix}${unit}`;
}

/** An axis tick of `unit` per MB (memory, disk) or MHz (clock), scaled: `300 GB`. */
export function mega(unit: string): (value: number) => string {
  return (value) => (value === 0 ? "0" : formatScaled(value * 1e6, unit, siTick));
}

/** A metric's value for people: core- and GPU-hours counted, byte- and hertz-hours scaled (`328.2 TB-hours`). */
export function formatMetric(metric: Metric, value: number | null): string {
  if (value === null) return "—";
  switch (metric) {
    case "memory_MB_hours":
    case "disk_MB_hours":
      return value === 0 ? "0" : `${formatScaled(value * 1e6, "B")}-hours`;
    case "cpu_MHz_hours":
      return value === 0 ? "0" : `${formatScaled(value * 1e6, "Hz")}-hours`;
    case "jobs":
    case "users":
      return whole.format(value);
    default:
      return formatCount(value);
  }
}

/** `2024-02-07T06:00:14Z` as `2024-02-07 06:00 UTC`. */
export function formatSnapshotTime(instant: string): string {
  return `${instant.slice(0, 10)} ${instant.slice(11, 16)} UTC`;
}

export function formatHours(hours: number): string {
  return `${hours.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 })} h`;
}

/** A time since, for people: `40 min`, `5.2 h`, `3.1 days`. */
export function formatAge(hours: number): string {
  if (hours < 1) return `${Math.round(hours * 60)} min`;
  if (hours < 48) return formatHours(hours);
  return `${(hours / 24).toLocaleString("en-US", { maximumFractionDigits: 1 })} days`;
}

export const METRIC_LABELS: Record<Metric, string> = {
  cpu_num_hours: "CPU core-hours",
  cpu_MHz_hours: "CPU clock-hours",
  gpu_num_hours: "GPU-hours",
  memory_MB_hours: "Memory-hours",
  disk_MB_hours: "Disk-hours",
  jobs: "Jobs",
  users: "Active users",
};
