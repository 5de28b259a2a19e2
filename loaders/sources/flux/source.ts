import type { ShapeReason } from "../../model/json-shape.js";
import type { Problem } from "../../model/records.js";
import type { BatchFile, BatchSource, LineResult } from "../batch/records.js";
import { fluxLineStream } from "./document.js";
import { fluxJob } from "./job.js";
import { isRecord, parseJson, shown } from "./json-text.js";
import type { FluxReason } from "./reasons.js";

const lineProblem = (file: BatchFile, line: number, reason: FluxReason | ShapeReason, detail: string | null): Problem => ({
  file: file.path,
  line,
  account: null,
  job: null,
  reason,
  detail,
});

/**
 * Every job a line of a Flux file holds: one job-list record (JSON Lines, as job-list and `flux jobs --from-stdin`
 * take them, or `flux jobs --json` for one job id), or the `{"jobs": […]}` document `flux jobs -a --json` prints on
 * one line (the `jobs` that `--recursive` nests under a job are not read: they ran inside its allocation, which
 * already counts). None for a blank line.
 */
export function fluxLineResults(text: string, number: number, file: BatchFile): LineResult[] {
  if (text.trim() === "") return [];
  const parsed = parseJson(text);
  if ("shape" in parsed) return [lineProblem(file, number, parsed.shape, null)];
  if ("error" in parsed) return [lineProblem(file, number, "a line that is not valid JSON", parsed.error)];
  const { value } = parsed;
  if (!isRecord(value)) return [lineProblem(file, number, "a line that is not a JSON object", shown(value))];
  if (value.id === undefined && value.jobid === undefined && Array.isArray(value.jobs)) {
    return (value.jobs as unknown[]).map((job, index) =>
      isRecord(job) ? fluxJob(job, file, number) : lineProblem(file, number, "a line that is not a JSON object", `jobs[${index}]: ${shown(job)}`),
    );
  }
  return [fluxJob(value, file, number)];
}

/**
 * Flux job records (`<archive>/flux/**\/*.json*`): job-list records, one a line, or `flux jobs -a --json` documents.
 * The account is the job's bank (else `default`), the cluster the file's folder; a run lasts from `t_run` to
 * `t_inactive`, or to the file's time while the job runs; a job that never ran (canceled while pending, rejected by
 * the scheduler) consumed nothing.
 */
export const fluxSource: BatchSource = {
  source: "flux",
  folder: "flux",
  // `*.json*`: JSON, JSON Lines and their rotated copies (`jobs.jsonl.1`; gzipped ones too: the ingest decompresses them).
  matches: (name) => name.includes(".json"),
  // A line over a MiB (a `flux jobs -a --json` document of thousands of jobs) streams, job by job.
  parser: (file) => ({ line: (text, number) => fluxLineResults(text, number, file), stream: (number) => fluxLineStream(file, number) }),
};
