import { describe, expect, it } from "vitest";
import type { BatchRecord } from "../../../../loaders/sources/batch/records.js";
import { fixture, linesOf, parseLines, problemsOf, recordsOf, utc, type Parsed } from "./helpers.js";

/**
 * Dumps a real Slurm 22.05.8 wrote, three times as its jobs ran (test/fixtures/slurm/recorded-22.05/README.md says
 * which jobs and how), read as the ingest reads an archive: the record of each run from the latest dump.
 */
const DUMPS = ["2026-11-27T11:05:48.log", "2026-11-27T11:09:50.log", "2026-11-27T11:10:17.log"];

function parseDump(name: string): Parsed[] {
  const time = name.endsWith(".log") ? utc(name.slice(0, 19)) : null;
  return parseLines(linesOf(fixture(`recorded-22.05/${name}`)), { path: `slurm/${name}`, cluster: "files", time });
}

/** What a run comes to: its job id, state, and interval (start, end, cores, GPUs, memory) in times of day. */
function summary({ job, interval }: BatchRecord) {
  const clock = (time: number) => new Date(time / 1000).toISOString().slice(11, 19);
  const used = interval && [clock(interval.start), clock(interval.end), interval.resources.cpu_num, interval.resources.gpu_num, interval.resources.memory_MB];
  return [job.jobId, job.state, ...(used ?? [null])];
}

describe("dumps recorded from Slurm 22.05", () => {
  const parsed = DUMPS.map(parseDump);

  it("are read whole: a record per line, none a problem", () => {
    for (const [index, dump] of parsed.entries()) {
      expect(problemsOf(dump), DUMPS[index]).toEqual([]);
      expect(recordsOf(dump)).toHaveLength(dump.length);
    }
  });

  it("give each run, from the latest dump holding it, what it consumed", () => {
    const latest = new Map<string, BatchRecord>();
    for (const dump of parsed) for (const record of recordsOf(dump)) latest.set(`${record.job.cluster}/${record.run}`, record);
    expect([...latest.values()].map(summary)).toEqual([
      ["1", "COMPLETED", "11:05:44", "11:05:47", 2, 0, 500],
      // 300 MiB per CPU, but ReqMem and AllocTRES give the job's 600; gres/gpu and gres/gpu:tesla are the same GPU.
      ["2", "COMPLETED", "11:05:44", "11:05:48", 2, 1, 600],
      // Cancelled while pending: Start None.
      ["4", "CANCELLED", null],
      ["5", "CANCELLED", null],
      ["7", "FAILED", "11:06:31", "11:06:31", 1, 0, 100],
      // The requeued job's first run, then its second (a new Submit): two runs of job 8.
      ["8", "REQUEUED", "11:06:31", "11:06:48", 1, 0, 100],
      // Still running in the last dump: until its time.
      ["9", "RUNNING", "11:06:31", "11:10:17", 1, 0, 100],
      ["11", "TIMEOUT", "11:06:31", "11:07:31", 1, 0, 100],
      ["12", "COMPLETED", "11:05:44", "11:05:49", 1, 0, 100],
      ["13", "COMPLETED", "11:05:50", "11:05:54", 1, 0, 100],
      ["14", "COMPLETED", "11:05:55", "11:05:59", 1, 0, 100],
      // The array's last task keeps the array's JobIDRaw.
      ["3", "COMPLETED", "11:06:00", "11:06:05", 1, 0, 100],
      ["8", "COMPLETED", "11:09:31", "11:09:52", 1, 0, 100],
      ["16", "COMPLETED", "11:09:47", "11:09:53", 1, 0, 100],
      ["17", "COMPLETED", "11:09:55", "11:10:01", 1, 0, 100],
      ["15", "COMPLETED", "11:10:01", "11:10:07", 1, 0, 100],
    ]);
    const first = recordsOf(parsed[2]!).find(({ job }) => job.jobId === "1")!;
    expect([first.job.name, first.job.cluster, first.job.account, first.job.owner, first.job.queue, first.job.qos]).toEqual([
      "pipe|in|name",
      "adapter",
      "physics",
      "root",
      "batch",
      "normal",
    ]);
  });

  it("follow a run across dumps under one key: pending, running, ended", () => {
    const runsOf = (jobId: string) =>
      parsed.map((dump) =>
        recordsOf(dump)
          .filter(({ job }) => job.jobId === jobId)
          .map((record) => [record.run, ...summary(record)]),
      );
    expect(runsOf("9")).toEqual([
      [["9@2026-11-27T11:05:44", "9", "PENDING", null]],
      [["9@2026-11-27T11:05:44", "9", "RUNNING", "11:06:31", "11:09:50", 1, 0, 100]],
      [["9@2026-11-27T11:05:44", "9", "RUNNING", "11:06:31", "11:10:17", 1, 0, 100]],
    ]);
    expect(runsOf("8")).toEqual([
      [["8@2026-11-27T11:05:44", "8", "PENDING", null]],
      [
        ["8@2026-11-27T11:05:44", "8", "REQUEUED", "11:06:31", "11:06:48", 1, 0, 100],
        ["8@2026-11-27T11:06:48", "8", "RUNNING", "11:09:31", "11:09:50", 1, 0, 100],
      ],
      [
        ["8@2026-11-27T11:05:44", "8", "REQUEUED", "11:06:31", "11:06:48", 1, 0, 100],
        ["8@2026-11-27T11:06:48", "8", "COMPLETED", "11:09:31", "11:09:52", 1, 0, 100],
      ],
    ]);
  });

  it("with its header and job steps, in a file named by no time, gives the same runs but the running one", () => {
    const steps = parseDump("with-steps.txt");
    expect(steps.filter(({ result }) => result === null)).toHaveLength(15);
    expect(problemsOf(steps).map(({ line, job, reason }) => [line, job, reason])).toEqual([
      [12, "9", "a job still running in a file whose name gives no time (YYYY-MM-DDTHH:MM:SS.<ext>)"],
    ]);
    const last = recordsOf(parsed[2]!).filter(({ job }) => job.jobId !== "9");
    expect(recordsOf(steps)).toEqual(last);
  });
});
