import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BatchRecord } from "../../../../loaders/sources/batch/records.js";
import { linesOf, parseLines, problemsOf, recordsOf, utc } from "./helpers.js";
import { realdata } from "../../../helpers/realdata.js";

/**
 * Open XDMoD's Slurm records and what it made of them (../shared/realdata/slurm/xdmod, see its PROVENANCE.md): its
 * shredder's unit cases, and the CPU- and GPU-hours its regression run computed from two real clusters' dumps.
 */
const xdmod = realdata("slurm/xdmod");
const ARTIFACTS = join(xdmod.path, "tests/artifacts/xdmod");
const UNIT = join(ARTIFACTS, "unit/shredder/slurm");

const parseLog = (path: string) => parseLines(linesOf(readFileSync(path, "utf8")), { path: "slurm/xdmod.log", cluster: "testresource", time: null });
const seconds = (micros: number | null | undefined) => (micros == null ? null : micros / 1e6);

describe.skipIf(xdmod.missing)("Open XDMoD's shredder cases", () => {
  it("accounting-logs: what XDMoD parsed, where it maps onto our records", () => {
    const records = recordsOf(parseLog(join(UNIT, "input/accounting-logs.log")));
    const expected = JSON.parse(readFileSync(join(UNIT, "output/accounting-logs.json"), "utf8")) as Record<string, string | number | null>[];
    expect(records).toHaveLength(expected.length);
    for (const [index, want] of expected.entries()) {
      const { job, interval } = records[index]!;
      expect(
        {
          jobId: job.jobId,
          account: job.account,
          owner: job.owner,
          queue: job.queue ?? "",
          qos: job.qos,
          name: job.name,
          submit: seconds(job.submitTime),
          start: seconds(interval?.start),
          end: seconds(interval?.end),
          exitCode: job.exitCode,
          nodes: String(job.nodes),
          cores: String(interval?.resources.cpu_num),
          gpus: interval?.resources.gpu_num,
        },
        String(want.job_id),
      ).toEqual({
        jobId: want.job_id_raw,
        account: want.account_name,
        owner: want.user_name,
        queue: want.partition_name,
        qos: want.qos_name,
        name: want.job_name,
        submit: want.submit_time,
        start: want.start_time,
        end: want.end_time,
        exitCode: want.exit_code,
        nodes: want.nnodes,
        cores: want.ncpus,
        gpus: want.ngpus,
      });
      // XDMoD keeps `CANCELLED by <uid>` whole; the state is CANCELLED. The cluster is the dump's, not XDMoD's resource.
      expect(job.state).toBe(String(want.state).replace(/ by \d+$/, ""));
      expect(job.cluster).toBe("ub-hpc");
    }
  });

  it("accounting-logs-with-job-arrays: each line one run of its JobIDRaw, not one per array index", () => {
    // XDMoD expands `4103947_[9-11,20]` into a job per index with the line's times. Slurm writes `_[…]` only for an
    // array's tasks still pending, in one record (JobIDRaw the array's) that the first to run takes over: one run.
    const records = recordsOf(parseLog(join(UNIT, "input/accounting-logs-with-job-arrays.log")));
    const indexes = JSON.parse(readFileSync(join(UNIT, "output/accounting-logs-with-job-arrays.json"), "utf8")) as number[][];
    expect(records).toHaveLength(indexes.length);
    expect(new Set(records.map(({ job, run }) => `${job.jobId} ${run}`))).toEqual(new Set(["4103947 4103947@2015-06-26T13:57:00"]));
    for (const { interval } of records)
      expect([seconds(interval?.start), seconds(interval?.end), interval?.resources.cpu_num]).toEqual([1435460150, 1435719350, 256]);
  });

  it("non-ended-job-state and unknown-job-state: jobs XDMoD skips consume nothing here either", () => {
    for (const name of ["non-ended-job-state", "unknown-job-state"]) {
      const parsed = parseLog(join(UNIT, `input/${name}.log`));
      expect(problemsOf(parsed), name).toEqual([]);
      const used = recordsOf(parsed).map(({ job, interval }) => [job.state, interval && interval.end - interval.start]);
      // Both lines' Start is their End (the first) or Unknown (the second, never started): 0 hours, as XDMoD's none.
      expect(used, name).toEqual(
        name === "unknown-job-state"
          ? [
              ["FOO", 0],
              ["BAR", null],
            ]
          : [
              ["RUNNING", 0],
              ["PENDING", null],
            ],
      );
    }
  });

  it("utf8-multibyte-chars: the job name as written", () => {
    const [record] = recordsOf(parseLog(join(UNIT, "input/utf8-multibyte-chars.log")));
    const [want] = JSON.parse(readFileSync(join(UNIT, "output/utf8-multibyte-chars.json"), "utf8")) as { job_name: string }[];
    expect(record?.job.name).toBe(want?.job_name);
    expect(want?.job_name).toBe("aàb");
  });
});

/** One resource's column of an XDMoD CSV, after its preamble: `{ "2016-12-22": 200.9567, … }`. */
function xdmodColumn(metric: string, file: string, cluster: string): Record<string, number> {
  const text = readFileSync(join(ARTIFACTS, "regression/current/expected/reference/Jobs/resource", metric, file), "utf8");
  const [header, ...rows] = (text.split("---------\n")[1] ?? "").trim().split("\n");
  const cells = rows.map((row) => row.split(","));
  if (file.startsWith("aggregate")) return Object.fromEntries(cells.filter(([name]) => name === cluster).map(([name, value]) => [name, Number(value)]));
  const column = (header ?? "").split(",").findIndex((name) => name.startsWith(`"[${cluster}]`));
  return Object.fromEntries(cells.map((row) => [row[0], Number(row[column])]));
}

/** Resource-hours over [from, to): each record's amount times the overlap of its interval with the period. */
function hours(records: readonly BatchRecord[], resource: "cpu_num" | "gpu_num", from: string, to: string): number {
  const [start, end] = [utc(`${from}T00:00:00`), utc(`${to}T00:00:00`)];
  let total = 0;
  for (const { interval } of records) {
    if (!interval) continue;
    const overlap = Math.min(interval.end, end) - Math.max(interval.start, start);
    if (overlap > 0) total += (interval.resources[resource] ?? 0) * overlap;
  }
  return total / 3_600e6;
}

const nextDay = (day: string) => new Date(utc(`${day}T00:00:00`) / 1000 + 86_400_000).toISOString().slice(0, 10);

describe.skipIf(xdmod.missing)("the records of phillips.log and pozidriv.log against XDMoD's hours", () => {
  const MONTHS = {
    phillips: [9_994.7011, 1_773.2872],
    pozidriv: [66_258.3922, 5_725.8842],
  };
  for (const [cluster, [december, january]] of Object.entries(MONTHS)) {
    describe(cluster, () => {
      const parsed = parseLog(join(ARTIFACTS, "referencedata", `${cluster}.log`));
      const records = recordsOf(parsed);

      it("reads every line: none a problem, the jobs that never ran without consumption", () => {
        expect(problemsOf(parsed)).toEqual([]);
        expect(records).toHaveLength(parsed.length);
        // XDMoD's PROVENANCE: `None assigned` = never ran (239 of phillips, 419 of pozidriv).
        expect(records.filter(({ interval }) => interval === null)).toHaveLength(cluster === "phillips" ? 239 : 419);
        expect(new Set(records.map(({ job }) => job.cluster))).toEqual(new Set([cluster]));
      });

      it("gives XDMoD's CPU-hours per month, to 0.001 h", () => {
        expect(Math.abs(hours(records, "cpu_num", "2016-12-22", "2017-01-01") - december!)).toBeLessThan(0.001);
        expect(Math.abs(hours(records, "cpu_num", "2017-01-01", "2017-01-02") - january!)).toBeLessThan(0.001);
      });

      it("gives XDMoD's CPU- and GPU-hours of every day, and its GPU-hours in all", () => {
        const cpu = xdmodColumn("total_cpu_hours", "timeseries-Day-reference.csv", cluster);
        const gpu = xdmodColumn("total_gpu_hours", "timeseries-Day-reference.csv", cluster);
        expect(Object.keys(cpu)).toHaveLength(11);
        for (const day of Object.keys(cpu)) {
          expect(Math.abs(hours(records, "cpu_num", day, nextDay(day)) - cpu[day]!), `${day} CPU-hours`).toBeLessThan(0.001);
          expect(Math.abs(hours(records, "gpu_num", day, nextDay(day)) - gpu[day]!), `${day} GPU-hours`).toBeLessThan(0.001);
        }
        const total = xdmodColumn("total_gpu_hours", "aggregate-Day-reference.csv", cluster)[cluster]!;
        expect(Math.abs(hours(records, "gpu_num", "2016-12-22", "2017-01-02") - total)).toBeLessThan(0.001);
        if (cluster === "phillips") expect(total).toBe(506.9128);
      });
    });
  }
});
