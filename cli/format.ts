import Table from "cli-table3";
import { HOUR_METRICS, METRICS, MODE_DESCRIPTIONS, type Metric, type Report, type Usage } from "../loaders/queries/report.js";
import { coverageSentences, type Coverage, type CoverageRecords } from "../loaders/queries/coverage.js";
import { reportCsv } from "../loaders/model/csv.js";
import { inertJson, inertText } from "../loaders/model/inert-text.js";
import { counted, problemsOf, type ProblemCount } from "../loaders/queries/quality.js";
import type { Problem } from "../loaders/model/records.js";
import type { Format } from "./options.js";

const LABELS: Record<Metric, string> = {
  cpu_num_hours: "cpu_num hours",
  cpu_MHz_hours: "cpu_MHz hours",
  gpu_num_hours: "gpu_num hours",
  memory_MB_hours: "memory_MB hours",
  disk_MB_hours: "disk_MB hours",
  jobs: "Nº jobs",
  users: "Nº active users",
};

/** Upstream's tables: whole hours (truncated) per namespace; the aggregate adds those whole hours. */
function upstreamTables(report: Report): { title: string; usage: Usage }[] {
  const period = `${report.from}:${report.to}`;
  const tables = Object.entries(report.namespaces).map(([namespace, usage]) => ({
    title: `${inertText(namespace.toUpperCase())} accounting for the period ${period}`,
    usage: { ...usage, ...Object.fromEntries(HOUR_METRICS.map((metric) => [metric, usage[metric] === null ? null : Math.trunc(usage[metric])])) },
  }));
  const aggregated = { ...report.total };
  for (const metric of HOUR_METRICS) {
    if (aggregated[metric] !== null) aggregated[metric] = tables.reduce((sum, table) => sum + (table.usage[metric] ?? 0), 0);
  }
  return [...tables, { title: `Aggregated accounting for the period ${period}`, usage: aggregated }];
}

function formatTable(report: Report, coverage: Coverage, records: CoverageRecords): string {
  const blocks = upstreamTables(report).map(({ title, usage }) => {
    const table = new Table({
      style: { head: [], border: [] },
      colAligns: ["right", "right"],
      chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
    });
    // A resource the records do not hold: "—", never 0.
    for (const metric of METRICS) table.push([LABELS[metric], usage[metric] === null ? "—" : String(usage[metric])]);
    return `${title}\n${table.toString()}`;
  });
  const notes = [`Mode ${report.mode}: ${MODE_DESCRIPTIONS[report.mode]}`, ...coverageSentences(coverage, records).map(inertText)];
  return `${blocks.join("\n\n")}\n\n${notes.join("\n")}\n`;
}

/**
 * The report in a format; table and JSON carry its coverage too (CSV has no place for it: the CLI prints it on
 * stderr). Whatever the archive's names hold, each is inert in a terminal: control characters escaped.
 */
export function formatReport(report: Report, coverage: Coverage, format: Format, records: CoverageRecords = "snapshots"): string {
  if (format === "json") return `${inertJson({ ...report, coverage }, 2)}\n`;
  if (format === "csv") return reportCsv(report);
  return formatTable(report, coverage, records);
}

const filesOrJobs = (count: number) => counted(count, "file or job", "files or jobs");

/** Reasons the problem summary shows; the others are counted in one line. */
export const SUMMARY_REASONS = 10;
const WITHOUT_THEM = "every number is what it would be without them";

/** Every skipped file or job, one line each, with its reason and what was found; then their number. */
export function formatProblems(problems: Problem[]): string[] {
  if (problems.length === 0) return [];
  const lines = problems.map((problem) => {
    const where = [problem.line === null ? problem.file : `${problem.file}:${problem.line}`, problem.account, problem.job && `job ${problem.job}`]
      .filter(Boolean)
      .join(" ");
    return `skipped ${where}: ${problem.reason}${problem.detail === null ? "" : ` (${problem.detail})`}`;
  });
  return [...lines, `${filesOrJobs(problems.length)} skipped: ${WITHOUT_THEM}`];
}

/** One reason: `skipped 17,540 jobs in 2,900 files: <reason>`, or `skipped 3 files: <reason>` for whole files. */
function formatProblemCount({ reason, problems, files, jobs }: ProblemCount): string {
  const what = jobs === 0 ? counted(problems, "file") : `${jobs === problems ? counted(problems, "job") : filesOrJobs(problems)} in ${counted(files, "file")}`;
  return `skipped ${what}: ${reason}`;
}

/** The skipped files and jobs counted per reason, the most frequent first, at most SUMMARY_REASONS of them; then their number. */
export function formatProblemSummary(counts: ProblemCount[]): string[] {
  if (counts.length === 0) return [];
  const lines = counts.slice(0, SUMMARY_REASONS).map(formatProblemCount);
  const others = counts.slice(SUMMARY_REASONS);
  if (others.length) lines.push(`and ${counted(others.length, "more reason")}: ${filesOrJobs(problemsOf(others))}`);
  return [...lines, `${filesOrJobs(problemsOf(counts))} skipped: ${WITHOUT_THEM}; --problems all lists each one`];
}
