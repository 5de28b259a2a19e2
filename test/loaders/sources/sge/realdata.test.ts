import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import type { BatchRecord } from "../../../../loaders/sources/batch/records.js";
import { sgeSource } from "../../../../loaders/sources/sge/source.js";
import { parseFile, recordOf as parsedRecord, slotHours, type ParsedFile } from "./files.js";
import { realdata } from "../../../helpers/realdata.js";

/** Real accounting files of other installations and what other tools made of them: see each PROVENANCE.md. */
const { path: SGE, missing } = realdata("sge");

const parseReal = (path: string): ParsedFile => parseFile(join(SGE, path), { path: `sge/${path}`, cluster: "sge", time: null });
const recordOf = (line: string): BatchRecord => parsedRecord(sgeSource.parser({ path: "sge/accounting", cluster: "sge", time: null }), line);
/** The whole seconds since the epoch as ISO 8601 (UTC), as APEL's tests write them. */
const isoSeconds = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

describe.skipIf(missing)("the real Grid Engine accounting files", () => {
  it("are read without a crash, every line a record, a header or nothing, no line rejected", () => {
    const walk = (folder: string): string[] =>
      readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? walk(join(folder, entry.name)) : /\.(md|json)$/.test(entry.name) ? [] : [relative(SGE, join(folder, entry.name))],
      );
    const counts = Object.fromEntries(
      walk(SGE)
        .sort()
        .map((path) => {
          const { records, problems, nothing } = parseReal(path);
          return [path, { records: records.length, nothing, problems }];
        }),
    );
    expect(counts).toEqual({
      "apel/apel-sge-lines.txt": { records: 6, nothing: 0, problems: [] },
      "gridengine-accounting/tests/ug82_accounting": { records: 21, nothing: 4, problems: [] },
      "wyntonquery/inst/exdata/accounting": { records: 1000, nothing: 4, problems: [] },
      "xdmod/tests/artifacts/xdmod/unit/shredder/sge/input/accounting-logs.log": { records: 2, nothing: 0, problems: [] },
      "xdmod/tests/artifacts/xdmod/unit/shredder/uge/input/accounting-logs.log": { records: 2, nothing: 0, problems: [] },
    });
  });

  it("give what APEL's SGE parser gives: job, user, group, start, stop (rounded to the second), processors", () => {
    const { cases } = JSON.parse(readFileSync(join(SGE, "apel", "apel-sge-expected.json"), "utf8")) as {
      cases: { test: string; line: string; expected: Record<string, string | number> }[];
    };
    // The last case builds APEL's parser without MPI (Processors 0), which says nothing of the job.
    const compared = cases.filter(({ expected }) => "StartTime" in expected);
    expect(compared).toHaveLength(5);
    for (const { line, expected } of compared) {
      const { job, interval } = recordOf(line);
      const [group, project] = [line.split(":")[2], line.split(":")[31]];
      expect(group).toBe(expected.LocalUserGroup);
      expect({
        JobName: job.jobId,
        LocalUserID: job.owner,
        LocalUserGroup: project === "NONE" ? job.account : group,
        StartTime: isoSeconds(Math.round(interval!.start / 1e6)),
        StopTime: isoSeconds(Math.round(interval!.end / 1e6)),
        Processors: interval!.resources.cpu_num,
      }).toEqual({
        JobName: expected.JobName,
        LocalUserID: expected.LocalUserID,
        LocalUserGroup: expected.LocalUserGroup,
        StartTime: expected.StartTime,
        StopTime: expected.StopTime,
        Processors: expected.Processors,
      });
      expect(job.account).toBe(project === "NONE" ? group : project);
    }
  });

  it.each(["sge", "uge"])("give what Open XDMoD's %s shredder gives, field by field (its times floored to the second)", (shredder) => {
    const folder = `xdmod/tests/artifacts/xdmod/unit/shredder/${shredder}`;
    const lines = readFileSync(join(SGE, folder, "input", "accounting-logs.log"), "utf8")
      .split("\n")
      .filter(Boolean);
    const outputs = JSON.parse(readFileSync(join(SGE, folder, "output", "accounting-logs.json"), "utf8")) as Record<string, string | number | null>[];
    expect(lines).toHaveLength(outputs.length);
    for (const [index, line] of lines.entries()) {
      const { job, interval } = recordOf(line);
      const out = outputs[index]!;
      const seconds = (micros: number | null) => (micros === null ? null : Math.floor(micros / 1e6));
      expect({
        owner: job.owner,
        qname: job.queue,
        job_name: job.name,
        job_number: job.jobId,
        account: job.account,
        submission_time: seconds(job.submitTime),
        start_time: seconds(interval!.start),
        end_time: seconds(interval!.end),
        exit_status: job.exitCode,
        cpu_count: interval!.resources.cpu_num,
        gpu_count: interval!.resources.gpu_num,
      }).toEqual({
        owner: out.owner,
        qname: out.qname,
        job_name: out.job_name,
        job_number: out.job_number,
        account: out.project === "NONE" ? out.groupname : out.project,
        submission_time: Number(out.submission_time),
        start_time: Number(out.start_time),
        end_time: Number(out.end_time),
        exit_status: String(out.exit_status),
        // Open XDMoD's cpu_count: the larger of slots and num_proc; gpu_count: -l gpu, else 0.
        cpu_count: Math.max(Number(out.slots), Number(out.resource_list_num_proc ?? 1)),
        gpu_count: Number(out.resource_list_gpu ?? 0),
      });
      // Open XDMoD's mem_free in KiB, per slot.
      if (out.resource_list_mem_free !== undefined) expect((interval!.resources.memory_MB! * 1024) / Number(out.slots)).toBe(out.resource_list_mem_free);
    }
  });

  it("read Univa 8.2's milliseconds, its jobs that never started and those started again (gridengine-accounting)", () => {
    const { records } = parseReal("gridengine-accounting/tests/ug82_accounting");
    const notStarted = records.filter((record) => record.interval === null);
    expect(notStarted.map(({ job }) => [job.jobId, job.state, job.submitTime])).toEqual(["4", "5", "6", "7", "8"].map((id) => [id, "not started", null]));
    // Jobs 4 to 8 failed to start on a host, then ran: two runs of one job.
    for (const id of ["4", "5", "6", "7", "8"]) expect(new Set(records.filter(({ job }) => job.jobId === id).map(({ run }) => run)).size).toBe(2);
    expect(records.filter(({ job }) => job.state === "killed").map(({ job }) => [job.jobId, job.exitCode])).toEqual([["2", "137"]]);
    const first = records[0]!;
    expect([first.job.submitTime, first.interval?.start, first.interval?.end]).toEqual([1416358463256_000, 1416359112008_000, 1416359112016_000]);
  });

  describe("the 1,000 jobs of UCSF Wynton (wyntonquery)", () => {
    const path = "wyntonquery/inst/exdata/accounting";
    const fields = () =>
      readFileSync(join(SGE, path), "utf8")
        .split("\n")
        .filter((line) => line !== "" && !line.startsWith("#"))
        .map((line) => line.split(":"));

    it("give the slot-hours per project and per owner that slots × (end − start) of each line gives", () => {
      const expected = { project: new Map<string, number>(), owner: new Map<string, number>() };
      for (const f of fields()) {
        if (f[9] === "0") continue;
        const hours = (Number(f[34]) * (Number(f[10]) - Number(f[9]))) / 3600;
        expected.project.set(f[31]!, (expected.project.get(f[31]!) ?? 0) + hours);
        expected.owner.set(f[3]!, (expected.owner.get(f[3]!) ?? 0) + hours);
      }
      const actual = { project: new Map<string, number>(), owner: new Map<string, number>() };
      for (const record of parseReal(path).records) {
        actual.project.set(record.job.account, (actual.project.get(record.job.account) ?? 0) + slotHours(record));
        actual.owner.set(record.job.owner, (actual.owner.get(record.job.owner) ?? 0) + slotHours(record));
      }
      for (const by of ["project", "owner"] as const) {
        expect([...actual[by].keys()].sort()).toEqual([...expected[by].keys()].sort());
        for (const [key, hours] of expected[by]) expect(actual[by].get(key)).toBeCloseTo(hours, 9);
      }
      expect(expected.project.size).toBe(6);
    });

    it("are 669 array tasks, one job that never started, as many runs as lines, and the states their failed and exit_status give", () => {
      const { records } = parseReal(path);
      expect(records.filter(({ job }) => job.jobId.includes(".")).length).toBe(669);
      expect(records.filter(({ interval }) => interval === null).map(({ job }) => [job.jobId, job.state])).toEqual([["339", "not started"]]);
      expect(new Set(records.map(({ run }) => run)).size).toBe(1000);
      const states = new Map<string, number>();
      for (const { job } of records) states.set(job.state!, (states.get(job.state!) ?? 0) + 1);
      const count = (keep: (f: string[]) => boolean) => fields().filter(keep).length;
      expect(Object.fromEntries(states)).toEqual({
        completed: count((f) => f[11] === "0" && f[12] === "0"),
        failed: count((f) => f[11] === "0" && f[12] !== "0"),
        killed: count((f) => f[11] === "100" || f[11] === "37"),
        "not started": count((f) => f[9] === "0"),
      });
      expect(Object.fromEntries(states)).toEqual({ completed: 809, failed: 51, killed: 139, "not started": 1 });
    });

    it("end in the ISO weeks (America/Los_Angeles) that wyntonquery's PROVENANCE recomputed", () => {
      const day = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Los_Angeles", year: "numeric", month: "2-digit", day: "2-digit" });
      const isoWeek = (micros: number) => {
        const [y, m, d] = day
          .format(new Date(micros / 1000))
          .split("-")
          .map(Number) as [number, number, number];
        const date = Date.UTC(y, m - 1, d);
        const thursday = date + (3 - ((new Date(date).getUTCDay() + 6) % 7)) * 86_400_000;
        const year = new Date(thursday).getUTCFullYear();
        return `${year}W${1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86_400_000))}`;
      };
      const weeks = new Map<string, number>();
      const { records } = parseReal(path);
      for (const { job } of records) if (job.endTime !== null) weeks.set(isoWeek(job.endTime), (weeks.get(isoWeek(job.endTime)) ?? 0) + 1);
      const listed = [406, 44, 49, 23, 9, 30, 17, 22, 2, 17];
      expect(listed.map((_, index) => weeks.get(`2017W${33 + index}`))).toEqual(listed);
      expect(records.filter(({ job }) => job.endTime === null)).toHaveLength(1);
    });
  });
});
