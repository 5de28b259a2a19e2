/**
 * The calendar periods the site has a report page for: months (`2024-11`), quarters (`2024-Q4`) and years (`2024`),
 * in UTC, as `accounting report --from <first day> --to <last day>` reports them.
 */

/** How many groups (accounts, users, images, queues) a period page ranks; the others are added up in one row. */
export const TOP_GROUPS = 10;

type PeriodKind = "month" | "quarter" | "year";

export interface ReportPeriod {
  /** `2024-11`, `2024-Q4` or `2024`: the page's address under `/reports/`. */
  name: string;
  kind: PeriodKind;
  /** First and last day, `YYYY-MM-DD`. */
  from: string;
  to: string;
  /** For people: `November 2024`, `Q4 2024`, `2024`. */
  label: string;
}

const MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const MONTHS_PER_KIND: Record<PeriodKind, number> = { month: 1, quarter: 3, year: 12 };
const NAME = /^(\d{4})(?:-(\d{2})|-Q([1-4]))?$/;

const pad = (n: number) => String(n).padStart(2, "0");

/** The day `YYYY-MM-DD` of a date counted in UTC (a month past December is the next year's). */
function day(year: number, month: number, date: number): string {
  return new Date(Date.UTC(year, month - 1, date)).toISOString().slice(0, 10);
}

/** The period of `kind` starting at month `month` (1–12) of `year`. */
function periodAt(kind: PeriodKind, year: number, month: number): ReportPeriod {
  const months = MONTHS_PER_KIND[kind];
  const quarter = Math.floor((month - 1) / 3) + 1;
  const name = kind === "year" ? String(year) : kind === "quarter" ? `${year}-Q${quarter}` : `${year}-${pad(month)}`;
  const label = kind === "year" ? String(year) : kind === "quarter" ? `Q${quarter} ${year}` : `${MONTH_NAMES[month - 1]} ${year}`;
  return { name, kind, from: day(year, month, 1), to: day(year, month + months, 0), label };
}

/** The period a page's name stands for, or undefined when it names none (a month 13, a day…). */
export function reportPeriod(name: string): ReportPeriod | undefined {
  const match = NAME.exec(name);
  if (!match) return undefined;
  const year = Number(match[1]);
  if (year < 1970) return undefined;
  if (match[3]) return periodAt("quarter", year, (Number(match[3]) - 1) * 3 + 1);
  if (!match[2]) return periodAt("year", year, 1);
  const month = Number(match[2]);
  return month >= 1 && month <= 12 ? periodAt("month", year, month) : undefined;
}

/** The period of the same kind just before. */
export function previousPeriod(period: ReportPeriod): ReportPeriod {
  const [year, month] = period.from.split("-").map(Number) as [number, number];
  const start = year * 12 + month - 1 - MONTHS_PER_KIND[period.kind];
  return periodAt(period.kind, Math.floor(start / 12), (start % 12) + 1);
}

/** The same period a year before: a year's is the previous year. */
export function yearBefore(period: ReportPeriod): ReportPeriod {
  const [year, month] = period.from.split("-").map(Number) as [number, number];
  return periodAt(period.kind, year - 1, month);
}

/**
 * Every month, quarter and year holding some of the days `firstDay` to `lastDay` (`YYYY-MM-DD`, the archive's first
 * and last day), each kind newest first: months, then quarters, then years.
 */
export function periodsCovering(firstDay: string, lastDay: string): ReportPeriod[] {
  const [firstYear, firstMonth] = firstDay.split("-").map(Number) as [number, number];
  const [lastYear, lastMonth] = lastDay.split("-").map(Number) as [number, number];
  const periods: ReportPeriod[] = [];
  for (const kind of ["month", "quarter", "year"] as const) {
    const step = MONTHS_PER_KIND[kind];
    // The first month of the period holding the archive's last day, back to the one holding its first.
    const first = firstYear * 12 + Math.floor((firstMonth - 1) / step) * step;
    for (let start = lastYear * 12 + Math.floor((lastMonth - 1) / step) * step; start >= first; start -= step)
      periods.push(periodAt(kind, Math.floor(start / 12), (start % 12) + 1));
  }
  return periods;
}
