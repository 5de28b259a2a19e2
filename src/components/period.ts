import { MODES, type Mode } from "../loaders/report.js";
import { parseDay } from "../loaders/time.js";

/** What the accounting page shows: the days FROM..TO (the whole archive where absent) under a mode. */
export interface AccountingState {
  from?: string;
  to?: string;
  mode: Mode;
}

export const PRESETS = ["this-month", "last-month", "this-quarter", "last-quarter", "this-year", "last-year"] as const;
export type Preset = (typeof PRESETS)[number];

export const PRESET_LABELS: Record<Preset | "whole" | "custom", string> = {
  whole: "Whole archive",
  "this-month": "This month",
  "last-month": "Last month",
  "this-quarter": "This quarter",
  "last-quarter": "Last quarter",
  "this-year": "This year",
  "last-year": "Last year",
  custom: "Custom dates",
};

function day(year: number, month: number, date: number): string {
  return new Date(Date.UTC(year, month, date)).toISOString().slice(0, 10);
}

/** The days of a preset, "this" meaning the month, quarter or year of `today` (YYYY-MM-DD, UTC). */
export function presetPeriod(preset: Preset, today: string): { from: string; to: string } {
  const [year, month] = today.split("-").map(Number) as [number, number];
  const m = month - 1;
  const quarter = m - (m % 3);
  switch (preset) {
    case "this-month":
      return { from: day(year, m, 1), to: day(year, m + 1, 0) };
    case "last-month":
      return { from: day(year, m - 1, 1), to: day(year, m, 0) };
    case "this-quarter":
      return { from: day(year, quarter, 1), to: day(year, quarter + 3, 0) };
    case "last-quarter":
      return { from: day(year, quarter - 3, 1), to: day(year, quarter, 0) };
    case "this-year":
      return { from: day(year, 0, 1), to: day(year, 11, 31) };
    case "last-year":
      return { from: day(year - 1, 0, 1), to: day(year - 1, 11, 31) };
  }
}

/** The preset a period is, if any. */
export function presetOf(state: AccountingState, today: string): Preset | "whole" | "custom" {
  if (state.from === undefined && state.to === undefined) return "whole";
  return PRESETS.find((preset) => {
    const period = presetPeriod(preset, today);
    return period.from === state.from && period.to === state.to;
  }) ?? "custom";
}

/** The state in a URL query `?from=YYYY-MM-DD&to=YYYY-MM-DD&mode=exact|compat`; invalid parts are dropped. */
export function stateFromSearch(search: string): AccountingState {
  const params = new URLSearchParams(search);
  const validDay = (name: string) => {
    const value = params.get(name);
    return value !== null && parseDay(value) !== undefined ? value : undefined;
  };
  let from = validDay("from");
  let to = validDay("to");
  if (from !== undefined && to !== undefined && from > to) [from, to] = [to, from];
  const mode = params.get("mode");
  return { from, to, mode: (MODES as readonly string[]).includes(mode ?? "") ? (mode as Mode) : "exact" };
}

export function searchFromState(state: AccountingState): string {
  const params = new URLSearchParams();
  if (state.from !== undefined) params.set("from", state.from);
  if (state.to !== undefined) params.set("to", state.to);
  params.set("mode", state.mode);
  return `?${params}`;
}
