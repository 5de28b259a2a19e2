import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SACCT_FIELDS } from "../../../../loaders/sources/slurm/fields.js";
import { temporaryFolder } from "../../../helpers/archive.js";
import { runCli } from "../../../helpers/cli.js";
import { ROOT } from "../../../helpers/project.js";
import { addSlurmUser, parseLines, SLURM_CLUSTER, SLURM_ENV, slurm, startSlurm, type Fields } from "../../../helpers/slurm.js";

/**
 * A real Slurm (test/helpers/slurm.ts) runs jobs of several sizes and endings as ordinary users in two accounts;
 * `accounting collect slurm` dumps its database into an archive, and `accounting report` must give, per account and
 * day, the numbers Slurm's own sacct gives for the same jobs and period. With RECORD_SLURM_LIVE=1 the dumps and
 * sacct's numbers are written to test/fixtures/slurm/live/, for the adapter's tests where no Slurm runs.
 */

const unavailable = await startSlurm();
if (unavailable && !process.env.CI) console.warn(unavailable);

const FIXTURES = join(ROOT, "test", "fixtures", "slurm", "live");
const SECOND = 1000;
const DAY = 86_400 * SECOND;

/**
 * This run's accounts, named anew at each run: runs at the same time (the live Slurm is shared) and jobs left by an
 * earlier run add nothing to the numbers compared.
 */
const RUN = Date.now().toString(36);
const PHYSICS = `physics_${RUN}`;
const CHEMISTRY = `chemistry_${RUN}`;
/** The two accounts compared with sacct. */
const ACCOUNTS = [PHYSICS, CHEMISTRY];
/** An account of its own for a suspended job, which the adapter does not count as Slurm does yet. */
const SUSPENDED = `suspended_${RUN}`;
/** Users and their accounts: slcarol charges either. */
const USERS: Record<string, string[]> = { slalice: [PHYSICS], slbob: [CHEMISTRY, SUSPENDED], slcarol: [PHYSICS, CHEMISTRY] };

/** A job's id as sbatch gives it. */
async function submit(user: string, account: string, args: string[]): Promise<string> {
  const output = await slurm("sbatch", ["--parsable", "--chdir=/tmp", "--output=/dev/null", `--account=${account}`, ...args], user);
  return output.trim().split(";")[0] as string;
}

/** The state squeue gives a job, "" once it left the queue. */
async function queued(job: string): Promise<string> {
  return (await slurm("squeue", ["-h", "-j", job, "-o", "%T"]).catch(() => "")).trim();
}

async function until(what: string, condition: () => Promise<boolean>, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** sacct's records of some jobs (one per allocation, requeued runs too). */
async function records(jobs: string[], fields: string[]): Promise<Fields[]> {
  return parseLines(await slurm("sacct", ["-X", "-D", "-n", "-P", "-j", jobs.join(","), "--format", fields.join(",")]), fields);
}

const UNITS: Record<string, number> = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 };

/** A TRES list (`billing=2,cpu=2,gres/gpu=1,mem=100M,node=1`) as name → count; memory in MiB. */
function tres(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of text.split(",").filter(Boolean)) {
    const [name, value] = item.split("=") as [string, string];
    const unit = /[KMGT]$/.exec(value)?.[0];
    counts.set(name, unit ? Number(value.slice(0, -1)) * (UNITS[unit] as number) : Number(value));
  }
  return counts;
}

/** What an account consumed in a period, by Slurm's numbers. */
interface Sums {
  cpu_num_hours: number;
  gpu_num_hours: number;
  memory_MB_hours: number;
  jobs: number;
  users: number;
}

const NOTHING: Sums = { cpu_num_hours: 0, gpu_num_hours: 0, memory_MB_hours: 0, jobs: 0, users: 0 };

/** The sacct options of Slurm's own accounting of some accounts in [from, to). */
const sacctWindow = (accounts: string[], from: string, to: string) => ["-a", "-A", accounts.join(","), "-X", "-D", "-T", "-n", "-P", "-S", from, "-E", to];
const SUM_FIELDS = ["account", "user", "jobidraw", "elapsedraw", "cputimeraw", "ncpus", "alloctres"];

/** sacct's lines of some accounts in [from, to), as sacctSums sums them. */
async function sacctLines(accounts: string[], from: string, to: string): Promise<Fields[]> {
  return parseLines(await slurm("sacct", [...sacctWindow(accounts, from, to), "--format", SUM_FIELDS.join(",")]), SUM_FIELDS);
}

/**
 * Slurm's own accounting of [from, to): `sacct -X -D -T` (allocations, requeued runs too, each cut to the period),
 * summed per account (or per what `key` gives of a line: its user, its account and user). CPU-hours: Σ CPUTimeRaw
 * (Slurm's Elapsed × NCPUS) / 3600; GPU- and memory-hours: Σ ElapsedRaw × AllocTRES's gres/gpu or mem (MiB) / 3600;
 * jobs and users: those that ran in the period.
 */
async function sacctSums(accounts: string[], from: string, to: string): Promise<Record<string, Sums>> {
  return sumLines(await sacctLines(accounts, from, to), (line) => line.account as string);
}

function sumLines(lines: Fields[], key: (line: Fields) => string): Record<string, Sums> {
  const seconds = new Map<string, { cpu: number; gpu: number; memory: number; jobs: Set<string>; users: Set<string> }>();
  for (const line of lines) {
    const [elapsed, cpuTime] = [Number(line.elapsedraw), Number(line.cputimeraw)];
    // Slurm's CPUTimeRaw is Elapsed × NCPUS, for runs cut by the period too.
    expect(cpuTime, JSON.stringify(line)).toBe(elapsed * Number(line.ncpus));
    const counts = tres(line.alloctres as string);
    const group = key(line);
    const sum = seconds.get(group) ?? { cpu: 0, gpu: 0, memory: 0, jobs: new Set(), users: new Set() };
    seconds.set(group, sum);
    sum.cpu += cpuTime;
    sum.gpu += elapsed * (counts.get("gres/gpu") ?? 0);
    sum.memory += elapsed * (counts.get("mem") ?? 0);
    if (elapsed > 0) {
      sum.jobs.add(line.jobidraw as string);
      sum.users.add(line.user as string);
    }
  }
  const hours = (seconds: number) => seconds / 3600;
  return Object.fromEntries(
    [...seconds].map(([group, sum]) => [
      group,
      { cpu_num_hours: hours(sum.cpu), gpu_num_hours: hours(sum.gpu), memory_MB_hours: hours(sum.memory), jobs: sum.jobs.size, users: sum.users.size },
    ]),
  );
}

const utc = (ms: number) => new Date(ms).toISOString().slice(0, 19);
const day = (ms: number) => utc(ms).slice(0, 10);

/** Per window (`<from>/<to>`, UTC), per account: what sacct gave. */
type Windows = Record<string, Record<string, Sums>>;

/** The usage `accounting report --by user` gives each user of some accounts in a day (owner ids, not pseudonyms). */
async function reportByUser(archive: string, accounts: string[], start: number): Promise<Record<string, Sums>> {
  const period = ["--from", day(start), "--to", day(start), "--namespaces", accounts.join(","), "--by", "user", "--format", "json"];
  const { code, stdout, stderr } = await runCli(["report", "--archive", archive, ...period, "--no-cache", "--quiet"]);
  expect(code, stderr).toBe(0);
  return (JSON.parse(stdout) as { groups: Record<string, Sums> }).groups;
}

/** The report's groups against sacct's sums per the same groups: the same hours, jobs and users (none: nothing). */
function expectSums(got: Record<string, Sums>, want: Record<string, Sums>, what: string): void {
  for (const group of new Set([...Object.keys(got), ...Object.keys(want)])) {
    const [mine, theirs] = [got[group] ?? NOTHING, want[group] ?? NOTHING];
    for (const metric of ["cpu_num_hours", "gpu_num_hours", "memory_MB_hours"] as const)
      expect(mine[metric], `${metric} of ${group} ${what}`).toBeCloseTo(theirs[metric], 9);
    expect([mine.jobs, mine.users], `jobs and users of ${group} ${what}`).toEqual([theirs.jobs, theirs.users]);
  }
}

/** Per window, per user and per `account|user`: what sacct gave. */
type UserWindows = Record<string, { users: Record<string, Sums>; accountUsers: Record<string, Sums> }>;

/**
 * The report of some accounts a day at a time, from `first`'s day to the dump's ([day, day+1), the last day ending at
 * the dump), against sacct's numbers for the same windows: the same hours, jobs and users; per account, and per user
 * (`report --by user`) of the accounts together and of each account (sacct's lines summed per user, per account and
 * user). `byUser`, when given, gets the per-user sums of each window.
 */
async function compare(archive: string, accounts: string[], first: number, dumped: number, byUser?: UserWindows): Promise<Windows> {
  const windows: Windows = {};
  for (let start = Date.parse(`${day(first)}T00:00:00Z`); start <= dumped; start += DAY) {
    const end = Math.min(start + DAY, dumped);
    const period = ["--from", day(start), "--to", day(start), "--namespaces", accounts.join(","), "--format", "json"];
    const { code, stdout, stderr } = await runCli(["report", "--archive", archive, ...period, "--no-cache", "--quiet"]);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as { namespaces: Record<string, Sums> };
    const lines = await sacctLines(accounts, utc(start), utc(end));
    const sums = sumLines(lines, (line) => line.account as string);
    for (const account of accounts) {
      const [got, want] = [report.namespaces[account] as Sums, sums[account] ?? NOTHING];
      for (const metric of ["cpu_num_hours", "gpu_num_hours", "memory_MB_hours"] as const)
        expect(got[metric], `${metric} of ${account} on ${day(start)}`).toBeCloseTo(want[metric], 9);
      expect([got.jobs, got.users], `jobs and users of ${account} on ${day(start)}`).toEqual([want.jobs, want.users]);
    }
    windows[`${utc(start)}/${utc(end)}`] = sums;

    const users = sumLines(lines, (line) => line.user as string);
    expectSums(await reportByUser(archive, accounts, start), users, `in ${accounts.join(", ")} on ${day(start)}`);
    const accountUsers: Record<string, Sums> = {};
    for (const account of accounts) {
      const mine = sumLines(
        lines.filter((line) => line.account === account),
        (line) => line.user as string,
      );
      expectSums(await reportByUser(archive, [account], start), mine, `in ${account} on ${day(start)}`);
      for (const [user, sum] of Object.entries(mine)) accountUsers[`${account}|${user}`] = sum;
    }
    if (byUser) byUser[`${utc(start)}/${utc(end)}`] = { users, accountUsers };
  }
  return windows;
}

interface Dump {
  path: string;
  /** When it was taken (ms), from its name. */
  time: number;
  /** The line `accounting collect slurm` printed. */
  printed: string;
}

/** `accounting collect slurm` into the archive. */
async function collect(archive: string): Promise<Dump> {
  const { code, stdout, stderr } = await runCli(["collect", "slurm", "--archive", archive], { PATH: SLURM_ENV.PATH, SLURM_CONF: SLURM_ENV.SLURM_CONF });
  expect(code, stderr).toBe(0);
  const [, path, time] = /to (\S+\/slurm\/(\S+)\.txt)$/.exec(stdout.trim()) ?? [];
  expect(path, stdout).toBeDefined();
  return { path: path as string, time: Date.parse(`${time}Z`), printed: stdout.trim() };
}

/** The lines of a dump (Open XDMoD's 26 fields, no header) of some jobs (their array's tasks too). */
function dumped(dump: Dump, jobs: string[]): Fields[] {
  return parseLines(readFileSync(dump.path, "utf8"), SACCT_FIELDS).filter((line) => jobs.includes((line.jobid as string).split("_")[0] as string));
}

describe.skipIf(unavailable !== undefined && !process.env.CI)("a live Slurm, collected and reported", { timeout: 60_000 }, () => {
  const jobs: Record<string, string> = {};
  const job = (name: string) => jobs[name] as string;
  let archive: string;
  let started: number;
  let first: Dump;
  let second: Dump;

  beforeAll(async () => {
    if (unavailable) throw new Error(`${unavailable} (CI must run the live Slurm tests)`);
    started = Date.now();
    for (const [user, accounts] of Object.entries(USERS)) await addSlurmUser(user, accounts);
    // The slowest first: Slurm's time limits are whole minutes, checked every half minute or so.
    jobs.timeout = await submit("slalice", PHYSICS, ["--job-name=timeout", "--time=1", "--wrap=sleep 300"]);
    jobs.completed = await submit("slalice", PHYSICS, ["--job-name=completed", "--ntasks=2", "--mem=200M", "--wrap=sleep 3"]);
    jobs.gpu = await submit("slbob", CHEMISTRY, ["--job-name=gpu", "--partition=gpu", "--cpus-per-task=2", "--gres=gpu:1", "--wrap=sleep 4"]);
    jobs.failed = await submit("slbob", CHEMISTRY, ["--job-name=failed", "--wrap=sleep 1; exit 3"]);
    jobs.cancelled = await submit("slcarol", CHEMISTRY, ["--job-name=cancelled", "--partition=gpu", "--gres=gpu:1", "--wrap=sleep 120"]);
    jobs.held = await submit("slcarol", PHYSICS, ["--job-name=held", "--hold", "--wrap=sleep 5"]);
    jobs.array = await submit("slbob", CHEMISTRY, ["--job-name=array", "--array=1-3", "--wrap=sleep 2"]);
    // Its first run lasts until requeued, however slow the machine (a short first run could end before the requeue).
    jobs.requeued = await submit("slalice", PHYSICS, ["--job-name=requeued", '--wrap=if [ -n "$SLURM_RESTART_COUNT" ]; then sleep 4; else sleep 300; fi']);
    // Long enough to be suspended while it runs, however slow the start of the others; it still ends before the time limit does.
    jobs.suspended = await submit("slbob", SUSPENDED, ["--job-name=suspended", "--wrap=sleep 30"]);
    jobs.running = await submit("slcarol", PHYSICS, ["--job-name=running", "--partition=gpu", "--ntasks=2", "--mem=300M", "--gres=gpu:1", "--wrap=sleep 600"]);

    await slurm("scancel", [job("held")]);
    const running = async (name: string) => (await queued(job(name))) === "RUNNING";
    const allRunning = async (...names: string[]) => (await Promise.all(names.map(running))).every(Boolean);
    await until("the jobs to run", () => allRunning("cancelled", "requeued", "suspended", "running"), 60 * SECOND);
    // Suspended for a while: Slurm's Elapsed leaves that time out.
    await slurm("scontrol", ["suspend", job("suspended")]);
    await sleep(3 * SECOND);
    await slurm("scancel", [job("cancelled")]);
    // A requeued job may start again two minutes later: it is told to start now.
    await slurm("scontrol", ["requeue", job("requeued")]);
    await until("the requeued job to wait", async () => (await queued(job("requeued"))) === "PENDING", 30 * SECOND);
    await slurm("scontrol", ["update", `jobid=${job("requeued")}`, "starttime=now"]);
    await until("the requeued job to run again", async () => (await queued(job("requeued"))) !== "PENDING", 30 * SECOND);
    await slurm("scontrol", ["resume", job("suspended")]);
    // The whole node cannot be had while the running job holds two of its CPUs: this one waits, eligible, until cancelled.
    jobs.pending = await submit("slcarol", CHEMISTRY, ["--job-name=pending", "--cpus-per-task=8", "--wrap=sleep 5"]);
    await until("the job to wait", async () => (await queued(job("pending"))) === "PENDING", 30 * SECOND);
    await slurm("scancel", [job("pending")]);

    // All ended but one, as the accounting database knows them (slurmdbd hears of jobs a little after slurmctld).
    await until(
      "the jobs to end",
      async () => {
        const states = await records(Object.values(jobs), ["jobidraw", "state", "end"]);
        const unfinished = states.filter((record) => ["RUNNING", "PENDING"].includes(record.state as string) || record.end === "Unknown");
        return unfinished.length === 1 && unfinished[0]!.jobidraw === job("running") && unfinished[0]!.state === "RUNNING";
      },
      150 * SECOND,
    );
    archive = temporaryFolder("accounting-slurm-live-");
    first = await collect(archive);
    // The running job runs on past the first dump, which counts it until its own time only.
    await sleep(3 * SECOND);
    await slurm("scancel", [job("running")]);
    await until("the running job's end", async () => (await records([job("running")], ["state"]))[0]?.state?.startsWith("CANCELLED") ?? false, 30 * SECOND);
    second = await collect(archive);
  }, 170 * SECOND);

  afterAll(async () => {
    if (Object.keys(jobs).length) await slurm("scancel", Object.values(jobs)).catch(() => undefined);
    if (process.env.RECORD_SLURM_LIVE) record();
  });

  it("dumps every allocation, in Open XDMoD's 26 fields, with the endings the jobs had", () => {
    const ending = (name: string) => dumped(first, [job(name)]).map((line) => `${line.state} ${line.exitcode}`);
    expect(ending("timeout")).toEqual(["TIMEOUT 0:0"]);
    expect(ending("completed")).toEqual(["COMPLETED 0:0"]);
    expect(ending("failed")).toEqual(["FAILED 3:0"]);
    expect(ending("cancelled")).toEqual(["CANCELLED by 0 0:0"]);
    expect(ending("pending")).toEqual(["CANCELLED by 0 0:0"]);
    // Without --state, sacct lists the jobs that were eligible in its period: never one cancelled while held.
    expect(ending("held")).toEqual([]);
    expect(ending("array")).toEqual(["COMPLETED 0:0", "COMPLETED 0:0", "COMPLETED 0:0"]);
    expect(ending("requeued")).toEqual(["REQUEUED 0:0", "COMPLETED 0:0"]);
    expect(ending("suspended")).toEqual(["COMPLETED 0:0"]);
    expect(ending("running")).toEqual(["RUNNING 0:0"]);
    const [gpu] = dumped(first, [job("gpu")]);
    expect([gpu?.account, gpu?.user, gpu?.cluster, gpu?.partition, gpu?.ncpus, gpu?.alloctres]).toEqual([
      CHEMISTRY,
      "slbob",
      SLURM_CLUSTER,
      "gpu",
      "2",
      "billing=2,cpu=2,gres/gpu=1,mem=200M,node=1",
    ]);
    expect(dumped(first, [job("cancelled")])[0]?.account).toBe(CHEMISTRY);
    // A job cancelled while it waited ends when it "starts", with nothing allocated.
    const [pending] = dumped(first, [job("pending")]);
    expect([pending?.start === pending?.end, pending?.elapsed, pending?.alloctres]).toEqual([true, "00:00:00", ""]);
    // Elapsed leaves out the time a job was suspended: shorter than from Start to End.
    const [suspended] = dumped(first, [job("suspended")]);
    const [hours, minutes, seconds] = (suspended?.elapsed ?? "").split(":").map(Number) as [number, number, number];
    const wall = (Date.parse(`${suspended?.end}Z`) - Date.parse(`${suspended?.start}Z`)) / SECOND;
    expect(wall - (hours * 3600 + minutes * 60 + seconds)).toBeGreaterThanOrEqual(2);
    expect(first.printed).toMatch(/^Wrote \d+ Slurm job records \(since 1970-01-01T00:00:00 UTC\) to /);
  });

  it("collects from the newest dump's time on: the running job again, ended", () => {
    expect(second.printed).toContain(`(since ${utc(first.time)} UTC)`);
    const [running] = dumped(second, [job("running")]);
    expect(running?.state).toBe("CANCELLED by 0");
    expect(Date.parse(`${running?.end}Z`)).toBeGreaterThan(first.time);
  });

  it("reports, per account, user and account and user and day, the hours, jobs and users sacct gives: the running job cut at the first dump", async () => {
    const alone = temporaryFolder("accounting-slurm-first-");
    mkdirSync(join(alone, "slurm"));
    copyFileSync(first.path, join(alone, "slurm", basename(first.path)));
    recorded.first = await compare(alone, ACCOUNTS, started, first.time);
    rmSync(alone, { recursive: true });
    // Not an empty comparison: both accounts used CPUs and GPUs on the dump's day.
    const last = Object.values(recorded.first).at(-1) as Record<string, Sums>;
    for (const account of ACCOUNTS) {
      expect(last[account]?.cpu_num_hours).toBeGreaterThan(0);
      expect(last[account]?.gpu_num_hours).toBeGreaterThan(0);
    }
  });

  it("reports the sums sacct gives once both dumps are in the archive, per account, user and account and user: the running job's latest record wins", async () => {
    const byUser: UserWindows = {};
    recorded.second = await compare(archive, ACCOUNTS, started, second.time, byUser);
    // Not an empty comparison: every user used CPUs over the windows, slcarol in both accounts.
    const cpu = (group: "users" | "accountUsers", key: string) =>
      Object.values(byUser).reduce((sum, window) => sum + (window[group][key]?.cpu_num_hours ?? 0), 0);
    for (const user of Object.keys(USERS)) expect(cpu("users", user), user).toBeGreaterThan(0);
    for (const account of ACCOUNTS) expect(cpu("accountUsers", `${account}|slcarol`), account).toBeGreaterThan(0);
  });

  // Slurm's Elapsed, CPUTimeRaw (and sreport) leave the time a job was suspended out: so does the adapter.
  it("reports a suspended job's hours as sacct does: without the time it was suspended", async () => {
    const [from, to] = [`${day(started)}T00:00:00`, utc(second.time)];
    recorded.suspended = { [`${from}/${to}`]: await sacctSums([SUSPENDED], from, to) };
    await compare(archive, [SUSPENDED], started, second.time);
  });

  const recorded: { first?: Windows; second?: Windows; suspended?: Windows } = {};

  /** The dumps and what sacct gave, as fixtures for the adapter's tests. */
  function record(): void {
    rmSync(join(FIXTURES, "slurm"), { recursive: true, force: true });
    mkdirSync(join(FIXTURES, "slurm"), { recursive: true });
    for (const dump of [first, second]) {
      copyFileSync(dump.path, join(FIXTURES, "slurm", basename(dump.path)));
      chmodSync(join(FIXTURES, "slurm", basename(dump.path)), 0o644);
    }
    const [one, both] = [[`slurm/${basename(first.path)}`], [`slurm/${basename(first.path)}`, `slurm/${basename(second.path)}`]];
    const fixture = {
      jobs,
      sacct: `TZ=UTC sacct ${sacctWindow(["<accounts>"], "<from>", "<to>").join(" ")} --format ${SUM_FIELDS.join(",")}`,
      first: { archive: one, accounts: ACCOUNTS, windows: recorded.first },
      second: { archive: both, accounts: ACCOUNTS, windows: recorded.second },
      suspended: { archive: both, accounts: [SUSPENDED], windows: recorded.suspended },
    };
    writeFileSync(join(FIXTURES, "sacct.json"), `${JSON.stringify(fixture, null, 2)}\n`);
  }
});
