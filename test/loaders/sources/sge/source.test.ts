import { describe, expect, it } from "vitest";
import type { BatchFile, BatchRecord, LineResult } from "../../../../loaders/sources/batch/records.js";
import { sgeSource } from "../../../../loaders/sources/sge/source.js";
import { recordOf, single } from "./files.js";

const S = 1_000_000;
const file: BatchFile = { path: "sge/c1/accounting", cluster: "c1", time: null };
const parse = (text: string, at: BatchFile = file): LineResult => single(sgeSource.parser(at), text, 7);
const record = (text: string, at: BatchFile = file): BatchRecord => recordOf(sgeSource.parser(at), text);

/** The 45 fields of Son of Grid Engine 8.1 (and SGE 6.2), accounting(5), in order. */
const SOGE_FIELDS = [
  "qname",
  "hostname",
  "group",
  "owner",
  "job_name",
  "job_number",
  "account",
  "priority",
  "submission_time",
  "start_time",
  "end_time",
  "failed",
  "exit_status",
  "ru_wallclock",
  "ru_utime",
  "ru_stime",
  "ru_maxrss",
  "ru_ixrss",
  "ru_ismrss",
  "ru_idrss",
  "ru_isrss",
  "ru_minflt",
  "ru_majflt",
  "ru_nswap",
  "ru_inblock",
  "ru_oublock",
  "ru_msgsnd",
  "ru_msgrcv",
  "ru_nsignals",
  "ru_nvcsw",
  "ru_nivcsw",
  "project",
  "department",
  "granted_pe",
  "slots",
  "task_number",
  "cpu",
  "mem",
  "io",
  "category",
  "iow",
  "pe_taskid",
  "maxvmem",
  "arid",
  "ar_submission_time",
] as const;
type Field = (typeof SOGE_FIELDS)[number];

/** A job of 1 slot that ran from 1700000060 to 1700003660 (one hour), as SoGE 8.1.9 writes it; `fields` replace some. */
function soge(fields: Partial<Record<Field, string>> = {}): string {
  const base: Record<Field, string> = {
    ...(Object.fromEntries(SOGE_FIELDS.map((name) => [name, "0"])) as Record<Field, string>),
    qname: "all.q",
    hostname: "node1",
    group: "chem",
    owner: "alice",
    job_name: "run.sh",
    job_number: "123",
    account: "sge",
    submission_time: "1700000000",
    start_time: "1700000060",
    end_time: "1700003660",
    ru_wallclock: "3600",
    project: "proj",
    department: "defaultdepartment",
    granted_pe: "NONE",
    slots: "1",
    category: "NONE",
    iow: "0.000000",
    pe_taskid: "NONE",
    maxvmem: "2306048.000000",
  };
  return SOGE_FIELDS.map((name) => fields[name] ?? base[name]).join(":");
}

describe("a line of a Grid Engine accounting file", () => {
  it("is a run of its job on its slots, charged to its project, with the exact record", () => {
    const line = soge({ granted_pe: "smp", slots: "4", category: "-l h_rt=01:00:00,h_vmem=2G -pe smp 4" });
    expect(record(line)).toEqual({
      job: {
        source: "sge",
        cluster: "c1",
        account: "proj",
        jobId: "123",
        owner: "alice",
        name: "run.sh",
        kind: null,
        title: null,
        dockerImage: null,
        datacenter: null,
        queue: "all.q",
        qos: null,
        group: "chem",
        nodes: null,
        nodeNames: ["node1"],
        submitTime: 1_700_000_000 * S,
        startTime: 1_700_000_060 * S,
        endTime: 1_700_003_660 * S,
        firstSeen: null,
        lastSeen: null,
        state: "completed",
        exitCode: "0",
      },
      interval: {
        source: "sge",
        cluster: "c1",
        account: "proj",
        owner: "alice",
        jobId: "123",
        allocId: null,
        start: 1_700_000_060 * S,
        end: 1_700_003_660 * S,
        firstSnapshot: null,
        lastSnapshot: null,
        resources: { cpu_num: 4, cpu_MHz: null, gpu_num: 0, memory_MB: 4 * 2048, disk_MB: null },
      },
      run: `123@${1_700_000_000 * S}@${1_700_000_060 * S}`,
    });
  });

  it("is charged to the Unix group when the project is NONE", () => {
    expect(record(soge({ project: "NONE" })).job.account).toBe("chem");
    expect(record(soge({ project: "NONE" })).interval?.account).toBe("chem");
  });

  it("names an array task job.task, and a job that is not an array job (task 0) by its number", () => {
    expect(record(soge({ task_number: "4" })).job.jobId).toBe("123.4");
    expect(record(soge({ task_number: "1" })).interval?.jobId).toBe("123.1");
    expect(record(soge({ task_number: "0" })).job.jobId).toBe("123");
    expect(record(soge({ task_number: "4" })).run).toBe(`123.4@${1_700_000_000 * S}@${1_700_000_060 * S}`);
  });

  it("is one host for a job without a parallel environment, unknown for a parallel one", () => {
    expect(record(soge()).job.nodes).toBe(1);
    expect(record(soge({ granted_pe: "smp", slots: "1" })).job.nodes).toBe(1);
    expect(record(soge({ granted_pe: "mpi", slots: "8" })).job.nodes).toBeNull();
  });

  describe("its category, which may hold colons", () => {
    it("ends where iow, pe_taskid and maxvmem follow it (a real line of SGE 6.2 at UFZ Leipzig: -l cpu=24:00:00)", () => {
      const line =
        "queue02:node072:wkdv:lberg:jobname:10245:sge:0:1303311181:1303311191:1303311491:0:0:300:0.002999:0.001999:0.000000:0:0:0:0:934:0:0:0.000000:0:0:0:0:49:9:wkdv:wkdv:NONE:1:0:0.004998:0.000000:0.000027:-l cpu=24:00:00:0.000000:NONE:12754944.000000:0:0";
      const { job, interval } = record(line);
      expect([job.jobId, job.account, job.owner, job.startTime, job.endTime]).toEqual(["10245", "wkdv", "lberg", 1303311191 * S, 1303311491 * S]);
      expect(interval?.resources.cpu_num).toBe(1);
    });

    it("gives GPUs, memory and num_proc after colons as well", () => {
      const { interval } = record(soge({ granted_pe: "smp", slots: "4", category: "-l h_rt=01:00:00,h_vmem=2G,gpu=2,num_proc=1 -pe smp 4" }));
      expect(interval?.resources).toEqual({ cpu_num: 4, cpu_MHz: null, gpu_num: 2, memory_MB: 8192, disk_MB: null });
    });

    it("ends at the first iow:pe_taskid:maxvmem: a category holding such a sequence is a line of no known layout", () => {
      expect(parse(soge({ category: "-l x=a:1:2.b:3" }))).toMatchObject({
        reason: "a line whose fields after the category match no Grid Engine accounting layout",
      });
    });
  });

  describe("cores, GPUs and memory", () => {
    const resources = (category: string, slots = "1") => record(soge({ slots, category })).interval?.resources;

    it("are the slots, or a larger num_proc", () => {
      expect(resources("NONE", "3")?.cpu_num).toBe(3);
      expect(resources("-l num_proc=8", "2")?.cpu_num).toBe(8);
      expect(resources("-l num_proc=1", "9")?.cpu_num).toBe(9);
    });

    it("count -l gpu=N once for the job, 0 without a GPU request, unknown for a gpu that is not a count", () => {
      expect(resources("-l gpu=2 -pe smp 8", "8")?.gpu_num).toBe(2);
      expect(resources("-q gpu.q", "8")?.gpu_num).toBe(0);
      expect(resources("NONE")?.gpu_num).toBe(0);
      expect(resources("-l gpu=TRUE")?.gpu_num).toBeNull();
      expect(resources("-l gpu")?.gpu_num).toBeNull();
    });

    it("leave out soft requests", () => {
      expect(resources("-l h_vmem=1G -soft -l gpu=1,mem_free=8G")).toMatchObject({ gpu_num: 0, memory_MB: 1024 });
      expect(resources("-soft -l gpu=1 -hard -l gpu=3")?.gpu_num).toBe(3);
    });

    it("take memory from m_mem_free, else mem_free, else h_vmem, per slot, in MiB", () => {
      expect(resources("-l h_vmem=4G,mem_free=2G,m_mem_free=1G", "2")?.memory_MB).toBe(2048);
      expect(resources("-l h_vmem=4G,mem_free=2G", "2")?.memory_MB).toBe(4096);
      expect(resources("-l h_vmem=4G", "2")?.memory_MB).toBe(8192);
      expect(resources("-l h_rt=3600", "2")?.memory_MB).toBeNull();
      expect(resources("-l h_vmem=INFINITY")?.memory_MB).toBeNull();
    });

    it("read sge_types(5) memory specifiers: k K m M g G t T and bytes", () => {
      const mib = (value: string) => resources(`-l h_vmem=${value}`)?.memory_MB;
      expect([mib("1048576"), mib("1024K"), mib("1M"), mib("1.5G"), mib("1.000T"), mib("512M"), mib("1124M")]).toEqual([1, 1, 1, 1536, 1048576, 512, 1124]);
      expect([mib("1000k"), mib("1m"), mib("1g"), mib("1.024t")]).toEqual([1e6 / 2 ** 20, 1e6 / 2 ** 20, 1e9 / 2 ** 20, 1.024e12 / 2 ** 20]);
      expect(mib("2X")).toBeNull();
    });
  });

  describe("what became of the job", () => {
    const state = (fields: Partial<Record<Field, string>>) => record(soge(fields)).job.state;

    it("completed, failed (exit status or failure code), killed (failed 100 or 37)", () => {
      expect(state({})).toBe("completed");
      expect(state({ exit_status: "1" })).toBe("failed");
      expect(state({ failed: "15" })).toBe("failed");
      expect(state({ failed: "100", exit_status: "137" })).toBe("killed");
      expect(state({ failed: "37", exit_status: "137" })).toBe("killed");
      expect(record(soge({ failed: "100", exit_status: "137" })).job.exitCode).toBe("137");
    });

    it("a job that never started: a job without an interval, its run keyed by its submission", () => {
      const line = soge({ start_time: "0", end_time: "0", failed: "26", ru_wallclock: "0" });
      expect(record(line)).toEqual({
        job: expect.objectContaining({
          jobId: "123",
          state: "not started",
          exitCode: null,
          nodes: null,
          startTime: null,
          endTime: null,
          submitTime: 1_700_000_000 * S,
        }),
        interval: null,
        run: `123@${1_700_000_000 * S}@0`,
      });
    });

    it("as Univa and SGE 6 write it, without a submission time", () => {
      const { job, interval, run } = record(soge({ submission_time: "0", start_time: "0", end_time: "0", failed: "1", slots: "0" }));
      expect([job.submitTime, job.state, interval, run]).toEqual([null, "not started", null, "123@0@0"]);
    });

    it("a job still running: up to the file's time when its name gives one, else a problem", () => {
      const at: BatchFile = { path: "sge/c1/accounting", cluster: "c1", time: 1_700_007_200 * S };
      const { job, interval } = record(soge({ end_time: "0" }), at);
      expect([job.state, job.endTime, interval?.start, interval?.end]).toEqual(["running", null, 1_700_000_060 * S, 1_700_007_200 * S]);
      expect(parse(soge({ end_time: "0" }))).toEqual({
        file: "sge/c1/accounting",
        line: 7,
        account: "proj",
        job: "123",
        reason: "a job still running in a file whose name gives no time (YYYY-MM-DDTHH:MM:SS.<ext>)",
        detail: "submission_time 1700000000, start_time 1700000060, end_time 0",
      });
      expect(parse(soge({ end_time: "0" }), { ...at, time: 1_600_000_000 * S })).toMatchObject({ reason: "a job that ends before it starts" });
    });
  });

  describe("a parallel job written one line per task (accounting_summary FALSE)", () => {
    // Recorded from Son of Grid Engine 8.1.9 on this machine (test/fixtures/sge/soge-8.1.9): a job of 2 slots in PE
    // `mpi` (control_slaves TRUE, accounting_summary FALSE) starting two `qrsh -inherit` tasks. Every line repeats the
    // job's 2 slots; the tasks' lines come first, with their own submission (the qrsh call) and times.
    const task2 =
      "all.q:vm:gephys:gebob:tight:2:sge:0:1795777302:1795777302:1795777307:0:0:5:0.016900:0.032029:5068.000000:0:0:0:0:609:0:0:0.000000:40:0:0:0:8:2:physics:defaultdepartment:mpi:2:0:0.048929:0.000000:0.000012:-pe mpi 2:0.000000:2.localhost:3559424.000000:0:0";
    const task1 =
      "all.q:vm:gephys:gebob:tight:2:sge:0:1795777302:1795777302:1795777306:0:0:4:0.029393:0.018536:4840.000000:0:0:0:0:604:0:0:0.000000:56:0:0:0:8:9:physics:defaultdepartment:mpi:2:0:0.047929:0.000000:0.000012:-pe mpi 2:0.000000:1.localhost:3534848.000000:0:0";
    const master =
      "all.q:vm:gephys:gebob:tight:2:sge:0:1795777301:1795777301:1795777307:0:0:6:0.239129:0.323086:18196.000000:0:0:0:0:7944:2:0:112.000000:24:0:0:0:345:167:physics:defaultdepartment:mpi:2:0:0.562215:0.000414:0.000470:-pe mpi 2:0.000000:NONE:19263488.000000:0:0";

    it("counts once, with the slots of the job, from its own line; the tasks' lines hold nothing more", () => {
      expect(parse(task2)).toBeNull();
      expect(parse(task1)).toBeNull();
      const { job, interval } = record(master);
      expect([job.jobId, job.account, interval?.start, interval?.end, interval?.resources.cpu_num]).toEqual([
        "2",
        "physics",
        1795777301 * S,
        1795777307 * S,
        2,
      ]);
    });

    it("the slot-hours of all lines' slots each counted once would be three times the job's", () => {
      const slots = [task2, task1, master].map((line) => Number(line.split(":")[34]));
      expect(slots).toEqual([2, 2, 2]);
    });
  });

  describe("every layout", () => {
    it("SGE 6.0: 43 fields (no arid, ar_submission_time), a line of APEL's tests", () => {
      const line =
        "dteam:testce.test:dteam:dteam041:STDIN:43:sge:19:1200093286:1200093294:1200093295:0:0:1:0:0:0.000000:0:0:0:0:46206:0:0:0.000000:0:0:0:0:337:257:NONE:defaultdepartment:NONE:1:0:0.090000:0.000213:0.000000:-U dteam -q dteam:0.000000:NONE:30171136.000000";
      const { job, interval } = record(line);
      expect([job.jobId, job.account, job.owner, interval?.start, interval?.end, interval?.resources.cpu_num]).toEqual([
        "43",
        "dteam",
        "dteam041",
        1200093294 * S,
        1200093295 * S,
        1,
      ]);
    });

    it("SGE 6.0: a task line of a parallel job (pe_taskid 1.head, 43 fields) holds nothing", () => {
      const line =
        "all.q:head.liclus.leipzig.ufz.de:oscartst:oscartst:pvmtest:1:sge:0:0:1163080982:1163080992:0:0:10:0:0:0.000000:0:0:0:0:18934:1:0:0.000000:0:0:0:0:316:131:NONE:defaultdepartment:pvm:1:0:0.000000:0.000000:0.000000:-pe pvm 1:0.000000:1.head:0.000000";
      expect(parse(line)).toBeNull();
    });

    it("Univa 8.0/8.1: 46 fields (job_class), in seconds", () => {
      const line =
        "grid.q:node101.cm.cluster:prdatl:prdatl26:cream_324080374:3294013:sge:0:1404167579:1404169049:1404169408:0:0:359:32.189106:18.607171:99104.000000:0:0:0:0:1957472:1546:0:483672.000000:20488:0:0:0:151429:47022:NONE:defaultdepartment:NONE:1:0:50.796277:4.497218:0.339940:-u prdatl26 -q grid.q -binding no_job_binding 0 0 0 0 no_explicit_binding:0.000000:NONE:5944487936.000000:0:0:NONE";
      expect([record(line).interval?.start, record(line).interval?.end]).toEqual([1404169049 * S, 1404169408 * S]);
    });

    it("Univa 8.2: 52 fields, times in milliseconds, kept to the millisecond", () => {
      const line =
        "grid.q:node101.cm.cluster:atlas:atlas235:cream_814542935:3872561:sge:0:1412932860657:1412932865141:1412933085629:0:0:220.488:7.301:5.469:123796:0:0:0:0:601325:794:0:237152:728:0:0:0:54396:1217:NONE:defaultdepartment:NONE:1:0:12.770:0.803193:0.084159:-u atlas235 -q grid.q -binding no_job_binding 0 0 0 0 no_explicit_binding:0.000000:NONE:1291231232:0:0:NONE:NONE:124411904:115065856:grid-cream-02.hpc.susx.ac.uk:NONE:qsub /tmp/cream_814542935";
      const { job, interval, run } = record(line);
      expect([job.submitTime, interval?.start, interval?.end, run]).toEqual([
        1412932860657_000,
        1412932865141_000,
        1412933085629_000,
        `3872561@${1412932860657_000}@${1412932865141_000}`,
      ]);
    });

    it("Univa 8.2 and later: colons in cwd and submit_cmd after the category", () => {
      const line =
        "all.q:master:irvined:irvined:sleep.sh:3:sge:0:1416359425028:1416359425045:1416359435057:0:1:10.012:0.004:0.000:1552:0:0:0:0:970:0:0:264:8:0:0:0:5:0:NONE:defaultdepartment:NONE:1:0:0.004:0.000000:0.000009:-l h_rt=0:10:0 -binding no_job_binding 0 0 0 0 no_explicit_binding:0.000000:NONE:19947520:0:0:NONE:NONE:0:0:master:/home/a:b:qsub -l h_rt=0:10:0 sleep.sh:10.012:0";
      const { job, interval } = record(line);
      expect([job.jobId, job.exitCode, job.state, interval?.end]).toEqual(["3", "1", "failed", 1416359435057_000]);
    });

    // Golden lines of the two layouts between 52 and 74 fields, written by the test after accounting(5) of Univa GE 8.3
    // (wallclock after submit_cmd) and 8.4 (ioops after it), their first 52 fields as the real UGE 8.2.0 lines of
    // ../shared/realdata/sge/gridengine-accounting: times in milliseconds, ru_wallclock with decimals. No colon in the
    // category, cwd or submit_cmd: exactly 53 and 54 fields.
    it("Univa 8.3: 53 fields (wallclock), an array task of 4 slots in PE smp, charged to its project, times in milliseconds", () => {
      const line =
        "all.q:node7:bio:carol:align.sh:4711:sge:0:1500000000123:1500000060456:1500003660789:0:0:3600.333:14380.120:12.004:1953124:0:0:0:0:120034:3:0:2048:4096:0:0:0:5120:880:genomics:defaultdepartment:smp:4:3:14392.124:5210.500000:0.812000:-l h_rt=7200,m_mem_free=2G -pe smp 4 -binding no_job_binding 0 0 0 0 no_explicit_binding:0.000000:NONE:2147483648:0:0:NONE:NONE:2000000000:1900000000:login1:/home/carol:qsub -t 1-3 -pe smp 4 align.sh:3600.333";
      expect(line.split(":")).toHaveLength(53);
      const { job, interval, run } = record(line);
      expect(job).toMatchObject({
        jobId: "4711.3",
        account: "genomics",
        owner: "carol",
        group: "bio",
        queue: "all.q",
        name: "align.sh",
        nodes: null,
        nodeNames: ["node7"],
        submitTime: 1500000000123_000,
        startTime: 1500000060456_000,
        endTime: 1500003660789_000,
        state: "completed",
        exitCode: "0",
      });
      expect(interval).toMatchObject({ account: "genomics", owner: "carol", jobId: "4711.3", start: 1500000060456_000, end: 1500003660789_000 });
      // 2G of m_mem_free per slot; the run lasts ru_wallclock (and wallclock), 3600.333 s, to the millisecond.
      expect(interval?.resources).toEqual({ cpu_num: 4, cpu_MHz: null, gpu_num: 0, memory_MB: 4 * 2048, disk_MB: null });
      expect((interval!.end - interval!.start) / S).toBe(3600.333);
      expect(run).toBe(`4711.3@${1500000000123_000}@${1500000060456_000}`);
    });

    it("Univa 8.4: 54 fields (wallclock, ioops), killed (failed 100, exit 137), project NONE: its group, -l gpu=2,h_vmem=8G on 2 slots", () => {
      const line =
        "gpu.q:gpu3:phys:dave:train.py:9000:sge:0:1600000000500:1600000100250:1600007300999:100:137:7200.749:7000.500:40.250:8000000:0:0:0:0:5000:1:0:100:200:0:0:0:300:400:NONE:defaultdepartment:NONE:2:0:7040.750:100.000000:0.500000:-l gpu=2,h_vmem=8G -q gpu.q:0.000000:NONE:8589934592:0:0:NONE:dave@login2:8000000000:7900000000:login2:/scratch/dave:qsub -l gpu=2,h_vmem=8G train.py:7200.749:123456";
      expect(line.split(":")).toHaveLength(54);
      const { job, interval, run } = record(line);
      expect(job).toMatchObject({
        jobId: "9000",
        account: "phys",
        owner: "dave",
        group: "phys",
        queue: "gpu.q",
        nodes: 1,
        nodeNames: ["gpu3"],
        submitTime: 1600000000500_000,
        startTime: 1600000100250_000,
        endTime: 1600007300999_000,
        state: "killed",
        exitCode: "137",
      });
      expect(interval?.resources).toEqual({ cpu_num: 2, cpu_MHz: null, gpu_num: 2, memory_MB: 2 * 8192, disk_MB: null });
      expect((interval!.end - interval!.start) / S).toBe(7200.749);
      expect(run).toBe(`9000@${1600000000500_000}@${1600000100250_000}`);
    });

    it("53 and 54 fields with a maxrss that is not a number are no known layout (the Univa tail is checked, not assumed)", () => {
      const line53 =
        "all.q:node7:bio:carol:align.sh:4711:sge:0:1500000000123:1500000060456:1500003660789:0:0:3600.333:14380.120:12.004:1953124:0:0:0:0:120034:3:0:2048:4096:0:0:0:5120:880:genomics:defaultdepartment:smp:4:3:14392.124:5210.500000:0.812000:-pe smp 4:0.000000:NONE:2147483648:0:0:NONE:NONE:x:1900000000:login1:/home/carol:qsub align.sh:3600.333";
      expect(parse(line53)).toMatchObject({ reason: "a line whose fields after the category match no Grid Engine accounting layout", detail: "53 fields" });
      expect(parse(`${line53}:123456`)).toMatchObject({ detail: "54 fields" });
    });

    it("Univa/Altair: 74 fields with -l gpu=1,m_mem_free=1.000G on 16 slots (Open XDMoD's test line)", () => {
      const line =
        "gpu_queue:gpuhost:gpugroup:gpuowner:gpujob:4437956:sge:0:1652111621288:1652111622875:1652124460193:0:0:12837.318:198688.218:102.134:648376:0:0:0:0:3023988:0:0:0:8:0:0:0:656204:268918:NONE:department:threads:16:0:198790.352:1680849.506333:0.490467:-u gpuuser,department -q gpu_queue -l gpu=1,m_mem_free=1.000G -pe threads 16 -binding no_job_binding 0 0 0 0 no_explicit_binding:0.000000:NONE:9323855872:0:0:NONE:NONE:668106752:638583808:dev1:REDACTED:qsub script.sh:12838.830000:954601:NONE:1,REDACTED:REDACTED:NONE:REDACTED:0:0:0.000000:0.000000:0.000000:NONE:0:0:NONE:gpu=1,m_mem_free=1G:NONE:gpu_queue:NONE:REDACTED:REDACTED";
      expect(line.split(":")).toHaveLength(74);
      expect(record(line).interval?.resources).toEqual({ cpu_num: 16, cpu_MHz: null, gpu_num: 1, memory_MB: 16 * 1024, disk_MB: null });
    });
  });

  it("holds no record in a header, a comment, a blank line or a line of one character", () => {
    for (const line of ["# Version: 8.1.9", "# ", "# DO NOT MODIFY THIS FILE MANUALLY!", "#", "", " ", "\t", "x"]) expect(parse(line)).toBeNull();
  });

  describe("a line that cannot be used: a problem naming file, line, account, job and what was found", () => {
    const cases: [what: string, line: string, account: string | null, job: string | null, reason: string, detail: string][] = [
      ["42 fields", soge().split(":").slice(0, 42).join(":"), null, null, "a line with fewer fields than any Grid Engine accounting layout", "42 fields"],
      [
        "44 fields (one after maxvmem)",
        soge().split(":").slice(0, 44).join(":"),
        null,
        null,
        "a line whose fields after the category match no Grid Engine accounting layout",
        "44 fields",
      ],
      [
        "two lines run together",
        `${soge()}${soge()}`,
        null,
        null,
        "a line whose fields after the category match no Grid Engine accounting layout",
        "89 fields",
      ],
      [
        "no pe_taskid after the category",
        soge({ pe_taskid: "x" }),
        null,
        null,
        "a line whose fields after the category match no Grid Engine accounting layout",
        "45 fields",
      ],
      [
        "a job number that is not a number",
        soge({ job_number: "12a" }),
        "proj",
        null,
        "a job number or array task number that is not a whole number",
        'job_number "12a", task_number "0"',
      ],
      [
        "a negative task",
        soge({ task_number: "-1" }),
        "proj",
        null,
        "a job number or array task number that is not a whole number",
        'job_number "123", task_number "-1"',
      ],
      ["slots that are not a number", soge({ slots: "two" }), "proj", "123", "a slot count that is not a whole number", '"two"'],
      [
        "a failure code that is not a number",
        soge({ failed: "" }),
        "proj",
        "123",
        "a failure code or exit status that is not a whole number",
        'failed "", exit_status "0"',
      ],
      [
        "a time that is not a number",
        soge({ start_time: "17000000x0" }),
        "proj",
        "123",
        "a time that is not a whole number of seconds or milliseconds since 2000",
        "submission_time 1700000000, start_time 17000000x0, end_time 1700003660",
      ],
      [
        "a time of -1",
        soge({ start_time: "-1" }),
        "proj",
        "123",
        "a time that is not a whole number of seconds or milliseconds since 2000",
        "submission_time 1700000000, start_time -1, end_time 1700003660",
      ],
      [
        "a time before 2000",
        soge({ submission_time: "12345" }),
        "proj",
        "123",
        "a time that is not a whole number of seconds or milliseconds since 2000",
        "submission_time 12345, start_time 1700000060, end_time 1700003660",
      ],
      [
        "seconds and milliseconds mixed",
        soge({ end_time: "1700003660000" }),
        "proj",
        "123",
        "a time that is not a whole number of seconds or milliseconds since 2000",
        "submission_time 1700000000, start_time 1700000060, end_time 1700003660000",
      ],
      [
        "an end before the start",
        soge({ end_time: "1700000000" }),
        "proj",
        "123",
        "a job that ends before it starts",
        "submission_time 1700000000, start_time 1700000060, end_time 1700000000",
      ],
    ];

    it.each(cases)("%s", (_, line, account, job, reason, detail) => {
      expect(parse(line)).toEqual({ file: "sge/c1/accounting", line: 7, account, job, reason, detail });
    });
  });
});

describe("the files of Grid Engine", () => {
  it("are accounting and its rotated copies (the ingest decompresses gzipped ones, and names others compressed)", () => {
    const names = [
      "accounting",
      "accounting.1",
      "accounting.0",
      "accounting-2024-05",
      "accounting-20240501",
      "accounting.0.gz",
      "accounting.1.bz2",
      "reporting",
      "my-accounting",
    ];
    expect(names.filter(sgeSource.matches)).toEqual([
      "accounting",
      "accounting.1",
      "accounting.0",
      "accounting-2024-05",
      "accounting-20240501",
      "accounting.0.gz",
      "accounting.1.bz2",
    ]);
    expect([sgeSource.source, sgeSource.folder]).toEqual(["sge", "sge"]);
  });
});
