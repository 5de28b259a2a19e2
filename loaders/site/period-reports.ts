import type { KnownIssue } from "../ingest/known-issues.js";
import { runBreakdown, type Breakdown, type Dimension } from "../queries/breakdown.js";
import { periodCoverage, snapshotCadence, type Coverage } from "../queries/coverage.js";
import { recordSpansSql, type RecordSpan } from "../queries/quality.js";
import { runReport, type Report } from "../queries/report.js";
import type { Connector } from "../queries/sql.js";
import { dailyUsageSql, type DailyUsage } from "../queries/usage.js";
import { memoConnector, periodInputs, type MemoUse } from "./query-memo.js";
import { periodsCovering, previousPeriod, TOP_GROUPS, yearBefore, type ReportPeriod } from "./periods.js";

/**
 * The numbers of the site's period pages (`/reports/2024-11`, `/reports/2024-Q4`, `/reports/2024`), computed at build
 * time in native DuckDB by the CLI's queries, for every month, quarter and year the archive's records reach: the
 * archive is loaded once for all of them.
 */

/** Groups a period page ranks, most CPU-hours first; images and queues only where some job of the archive has one. */
const TOP_DIMENSIONS: readonly Dimension[] = ["account", "user", "image", "queue"];

/** Another period's numbers beside a period's: the previous one, or the same a year before. */
export interface PeriodComparison {
  period: ReportPeriod;
  /** Days of it the archive's records span, of `days`. */
  covered_days: number;
  days: number;
  report: Report;
}

/** Everything a period's page shows but the daily usage. */
export interface PeriodReport {
  period: ReportPeriod;
  /** `accounting report --from <period.from> --to <period.to>` (exact mode), and its coverage. */
  report: Report;
  coverage: Coverage;
  previous: PeriodComparison;
  /** The same period a year before; null for a year (its previous period is that). */
  yearBefore: PeriodComparison | null;
  /** The top groups of each dimension ranked (users by pseudonym), in TOP_DIMENSIONS' order. */
  top: Breakdown[];
}

/** The numbers of every period page, and what the pages say around them. */
export interface PeriodReports {
  /** Names of the pseudonyms ranked, in a private build only (null otherwise). */
  names: Record<string, string | null>;
  /** Mean resources per day and account, over the whole archive (dailyUsageSql). */
  daily: DailyUsage[];
  /** Months newest first, then quarters, then years (periodsCovering). */
  periods: PeriodReport[];
}

/**
 * The numbers of every period page of the archive's tables in `db`. With a memo, a period's report, breakdowns and
 * what its coverage counts before the first snapshot are taken from it when their rows did not change (query-memo.ts);
 * the rest of its coverage, which the archive's newest snapshot and cadence change, is always computed (the cadence
 * once for all periods).
 */
export async function periodReports(db: Connector, knownIssues: readonly KnownIssue[], memo?: MemoUse): Promise<PeriodReports> {
  const spans = await db.query<RecordSpan>(recordSpansSql());
  const first = spans.map((span) => span.first).reduce((a, b) => (a < b ? a : b));
  const last = spans.map((span) => span.last).reduce((a, b) => (a > b ? a : b));
  const [valued] = await db.query<{ image: number; queue: number }>("SELECT count(docker_image)::INTEGER AS image, count(queue)::INTEGER AS queue FROM jobs");
  const dimensions = TOP_DIMENSIONS.filter((by) => (by === "image" || by === "queue" ? (valued?.[by] ?? 0) > 0 : true));
  const shown = periodsCovering(first.slice(0, 10), last.slice(0, 10));
  const compared = [...shown, ...shown.map(previousPeriod), ...shown.filter((period) => period.kind !== "year").map(yearBefore)];
  const cadence = await snapshotCadence(db);
  const inputs = memo ? await periodInputs(db, [...new Map(compared.map((period) => [period.name, period])).values()]) : new Map<string, string>();
  const queries = (period: ReportPeriod) => {
    if (!memo) return db;
    const read = inputs.get(period.name);
    if (read === undefined) throw new Error(`no input checksum for the period ${period.name}`);
    return memoConnector(db, memo, read);
  };
  // A report is asked once per period, whichever pages compare with it.
  const reports = new Map<string, Promise<{ report: Report; coverage: Coverage }>>();
  const numbers = (period: ReportPeriod) => {
    let found = reports.get(period.name);
    if (!found) {
      const request = { from: period.from, to: period.to, mode: "exact" as const };
      const runs = queries(period);
      found = periodCoverage(db, request, knownIssues, runs, cadence).then(async (coverage) => ({ coverage, report: await runReport(runs, request) }));
      reports.set(period.name, found);
    }
    return found;
  };
  const comparison = async (period: ReportPeriod): Promise<PeriodComparison> => {
    const { report, coverage } = await numbers(period);
    return { period, covered_days: coverage.covered_days, days: coverage.days, report };
  };
  // Every query at once: a pool of connections (connectorPool) runs as many of them side by side as it has.
  const periods = await Promise.all(
    shown.map(async (period): Promise<PeriodReport> => {
      const breakdowns = dimensions.map((by) =>
        runBreakdown(queries(period), { from: period.from, to: period.to, mode: "exact", by, top: TOP_GROUPS, owners: "pseudonym" }),
      );
      const [{ report, coverage }, previous, before, top] = await Promise.all([
        numbers(period),
        comparison(previousPeriod(period)),
        period.kind === "year" ? null : comparison(yearBefore(period)),
        Promise.all(breakdowns),
      ]);
      return { period, report, coverage, previous, yearBefore: before, top: top.flatMap((found) => found.slice(0, 1)) };
    }),
  );
  const ranked = new Set(
    periods.flatMap(({ top }) => top.filter((breakdown) => breakdown.by === "user").flatMap((breakdown) => breakdown.groups.map((group) => group.value))),
  );
  const names = (await db.query<{ pseudonym: string; name: string | null }>("SELECT pseudonym, name FROM users ORDER BY pseudonym")).filter((user) =>
    ranked.has(user.pseudonym),
  );
  return {
    names: Object.fromEntries(names.map((user) => [user.pseudonym, user.name])),
    daily: await db.query<DailyUsage>(dailyUsageSql()),
    periods,
  };
}
