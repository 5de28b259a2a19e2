import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { decayedUsage, fairTree, type Charge } from "../../../loaders/queries/fairshare.js";
import { temporaryFolder } from "../../helpers/archive.js";
import { runCli } from "../../helpers/cli.js";
import {
  addUnixUser,
  associationTree,
  parseLines,
  SLURM_DECAY_CLUSTER,
  SLURM_DECAY_ENV,
  slurm,
  startSlurm,
  tresCounts,
  type Fields,
} from "../../helpers/slurm.js";

/**
 * Usage decayed with a short half-life, against a real Slurm: the cluster of `slurm-up.sh --decay`
 * (PriorityDecayHalfLife=2 minutes, PriorityCalcPeriod=1 minute, usage never reset) runs jobs of known billing at
 * known times in a tree of accounts; after the first decay pass that follows the last job's end, each association's
 * raw usage (scontrol's UsageRaw, sshare's RawUsage) must be decayedUsage's, given the times of Slurm's passes, and
 * sshare's Level FS and FairShare must be fairTree's from that usage.
 *
 * The tolerance, and why: Slurm decays in passes (decayedUsage's comment): each one multiplies all usage by d^Δ
 * (d = 1 − 0.693 / half-life, Δ the seconds since the last pass), then adds each running job's seconds since that
 * pass × billing × d^(their number); a job's last part is added so when it ends and decayed from the pass before it
 * by the next one. decayedUsage with the passes' times, read here from slurmctld's priority_last_decay_ran as each
 * pass writes it, does exactly that in doubles (Slurm: long double usage, double factors): the same number but for
 * rounding, far below 1e-9 of it. So the tolerance is the printing's: scontrol prints UsageRaw with two decimals (|difference| ≤ 0.005,
 * plus 1e-9 of the usage for the arithmetic), sshare RawUsage truncated to an integer, Level FS and EffectvUsage with
 * six decimals (≤ 5e-7 plus 1e-9), FairShare's rank / N exactly. One case would be ambiguous, a job ending in the
 * second of a pass (Slurm may add its last part before or after the pass's decay): the jobs end 15 s or more away from
 * any pass. The project's balance (`accounting balance`, from the records alone: it does not know when Slurm's passes
 * came) decays each second from its own start instead, the limit of passes every second: at a pass, of jobs ended
 * before it, Slurm's usage is at most that and at least d^(2P − 2) of it, P the longest time between two passes:
 * 0.50 of it with these settings (Slurm's is some 0.7 to 0.9 of it here), within 6.9e-4 of it with 5-minute passes
 * and a week's half-life. sshare's Level FS then differs from the balance's by as much: printed, not compared.
 */

const unavailable = await startSlurm({ decay: true });
if (unavailable && !process.env.CI) console.warn(unavailable);

const SECOND = 1000;
/** slurm.conf's PriorityDecayHalfLife (2 minutes) and PriorityCalcPeriod (1 minute), in seconds. */
const HALF_LIFE = 120;
const PERIOD = 60;
const d = 1 - 0.693 / HALF_LIFE;
/** No job ends closer than this to a pass (s). */
const MARGIN = 15;

const env = SLURM_DECAY_ENV;
const run = (command: string, args: string[], user?: string) => slurm(command, args, user, env);
/** A Slurm command's output with its times as seconds since 1970 (SLURM_TIME_FORMAT). */
const epochs = (command: string, args: string[]) => run("env", ["SLURM_TIME_FORMAT=%s", command, ...args]);

/** This run's accounts, named anew at each run: earlier runs' stay in the tree, their usage decayed. */
const RUN = Date.now().toString(36);
const [TOP, A, B, C] = ["", "a", "b", "c"].map((letter) => `fd${letter}_${RUN}`) as [string, string, string, string];
const ACCOUNTS: [string, string, number][] = [
  [TOP, "root", 1],
  [A, TOP, 3],
  [B, TOP, 1],
  [C, TOP, 2],
];
/** User associations: user, account, shares. */
const MEMBERS: [string, string, number][] = [
  ["fdamy", A, 2],
  ["fdbob", A, 1],
  ["fdcid", B, 1],
  ["fdamy", C, 1],
];

/** slurm.conf's TRESBillingWeights of the decay cluster's partitions (test/helpers/slurm-up.sh). */
const slurmWeights: Record<string, string> = { batch: "CPU=1.0,Mem=0.25G", gpu: "CPU=1.0,Mem=0.25G,GRES/gpu=2.0" };
const WEIGHTS: Record<string, { cpu: number; mem: number; gpu: number }> = {
  batch: { cpu: 1, mem: 0.25 / 1024, gpu: 0 },
  gpu: { cpu: 1, mem: 0.25 / 1024, gpu: 2 },
};

/**
 * The jobs, relative to the first pass after the start (N): user, account, partition, CPUs, memory, GPUs, whether it
 * starts after N (else at once), its end (s after N). Across two passes (chunks before N, from N to N + 60, then the
 * last part), across one, and one between two passes; all over before N + 120, which folds the last parts in.
 */
const JOBS: [string, string, string, number, string, number, boolean, number][] = [
  ["fdamy", A, "batch", 2, "1536M", 0, false, 85], // billing 2.375
  ["fdbob", A, "gpu", 1, "512M", 1, false, 20], // 3.125
  ["fdcid", B, "batch", 1, "1G", 0, false, 45], // 1.25
  ["fdamy", C, "gpu", 2, "1G", 1, true, 40], // 4.25
];

/** The times of slurmctld's decay passes, as it writes the last one (priority_last_decay_ran's first number). */
class Passes {
  readonly times: number[] = [];
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly file: string) {
    this.poll();
    this.timer = setInterval(() => this.poll(), 250);
  }
  /** The last pass seen now. */
  poll(): number | undefined {
    try {
      const bytes = readFileSync(this.file);
      const time = bytes.length >= 8 ? Number(bytes.readBigInt64BE(0)) : undefined;
      if (time !== undefined && time > (this.times.at(-1) ?? 0)) this.times.push(time);
    } catch {
      // Between the old file's removal and the new one's rename.
    }
    return this.times.at(-1);
  }
  /** Waits for a pass later than `after` (s). */
  async after(after: number, timeout: number): Promise<number> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const last = this.poll();
      if (last !== undefined && last > after) return last;
      if (Date.now() > deadline) throw new Error(`no decay pass after ${after} within ${timeout / SECOND} s (passes seen: ${this.times.join(", ")})`);
      await sleep(100);
    }
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

const SSHARE = ["Account", "User", "RawShares", "RawUsage", "EffectvUsage", "FairShare", "LevelFS"];
const SACCT = ["JobIDRaw", "Account", "User", "ElapsedRaw", "AllocTRES", "Partition", "State", "Start", "End"];

/** What Slurm showed after the pass that folded the jobs in. */
interface Seen {
  /** That pass (s). */
  pass: number;
  sshare: Fields[];
  /** scontrol's UsageRaw of each association (`account|user`), two decimals. */
  usage: Map<string, number>;
}

describe.skipIf(unavailable !== undefined && !process.env.CI)("decayed usage against a live Slurm", { timeout: 60_000 }, () => {
  let passes: number[];
  let seen: Seen;
  /** Each user association's charges (`account|user`), from sacct. */
  const charges = new Map<string, Charge[]>();
  let jobs: Fields[];

  beforeAll(async () => {
    if (unavailable) throw new Error(`${unavailable} (CI must run the live Slurm tests)`);
    const stateDirectory = /StateSaveLocation\s*=\s*(\S+)/.exec(await run("scontrol", ["show", "config"]))?.[1] as string;
    const watch = new Passes(join(stateDirectory, "priority_last_decay_ran"));
    try {
      for (const [account, parent, shares] of ACCOUNTS)
        await run("sacctmgr", ["-i", "add", "account", account, `parent=${parent}`, `fairshare=${shares}`, `cluster=${SLURM_DECAY_CLUSTER}`]);
      for (const user of new Set(MEMBERS.map(([user]) => user))) await addUnixUser(user);
      for (const [user, account, shares] of MEMBERS)
        await run("sacctmgr", ["-i", "add", "user", user, `account=${account}`, `fairshare=${shares}`, `cluster=${SLURM_DECAY_CLUSTER}`]);
      // slurmctld learns the associations from slurmdbd a moment later; a pass comes every minute from its start.
      await sleep(2 * SECOND);
      const first = await watch.after(0, 2 * PERIOD * SECOND);
      let next = first + PERIOD;
      // Not so close to the next pass that the jobs meant to start before it start after it.
      if (next - Date.now() / SECOND < 5) next += PERIOD;
      const submit = async ([user, account, partition, cpus, memory, gpus, , end]: (typeof JOBS)[number]) => {
        const args = [
          `--account=${account}`,
          `--partition=${partition}`,
          `--cpus-per-task=${cpus}`,
          `--mem=${memory}`,
          ...(gpus ? [`--gres=gpu:${gpus}`] : []),
        ];
        // Until a second of its own: its end whatever its start.
        const wrap = `--wrap=sleep $((${next + end} - $(date +%s)))`;
        return (await run("sbatch", ["--parsable", "--chdir=/tmp", "--output=/dev/null", ...args, wrap], user)).trim().split(";")[0] as string;
      };
      const ids = await Promise.all(JOBS.filter((job) => !job[6]).map(submit));
      const pass = await watch.after(next - 1, 2 * PERIOD * SECOND);
      expect(pass, "the pass expected").toBeLessThan(next + 5);
      await sleep(3 * SECOND);
      ids.push(...(await Promise.all(JOBS.filter((job) => job[6]).map(submit))));
      // Until the accounting database has them all ended.
      const deadline = Date.now() + (2 * PERIOD + 60) * SECOND;
      for (;;) {
        jobs = parseLines(await epochs("sacct", ["-X", "-n", "-P", "-j", ids.join(","), "-o", SACCT.join(",")]), SACCT);
        if (jobs.length === ids.length && jobs.every((job) => job.State === "COMPLETED" && /^\d+$/.test(job.End as string))) break;
        if (Date.now() > deadline) throw new Error(`the jobs did not end: ${JSON.stringify(jobs)}`);
        await sleep(SECOND);
      }
      const lastEnd = Math.max(...jobs.map((job) => Number(job.End)));
      const folded = await watch.after(lastEnd, 2 * PERIOD * SECOND);
      const [sshare, usage] = [
        await run("sshare", ["-a", "-P", "-n", "-o", SSHARE.join(",")]),
        await run("scontrol", ["-o", "show", "assoc_mgr", "flags=assoc"]),
      ];
      expect(watch.poll(), "no pass while sshare and scontrol were read").toBe(folded);
      passes = [...watch.times];
      const exact = new Map<string, number>();
      for (const line of usage.split("\n")) {
        const match = /Account=(\S+) UserName=([^\s(]*)\S* .*UsageRaw\/Norm\/Efctv=([\d.]+)\//.exec(line);
        if (match) exact.set(`${match[1]}|${match[2]}`, Number(match[3]));
      }
      seen = { pass: folded, sshare: parseLines(sshare, SSHARE), usage: exact };
    } finally {
      watch.stop();
    }
    for (const job of jobs) {
      const counts = tresCounts(job.AllocTRES as string);
      const weights = WEIGHTS[job.Partition as string]!;
      const billing = weights.cpu * counts.get("cpu")! + weights.mem * counts.get("mem")! + weights.gpu * (counts.get("gres/gpu") ?? 0);
      const key = `${job.Account}|${job.User}`;
      charges.set(key, [...(charges.get(key) ?? []), { start: Number(job.Start), end: Number(job.End), units_per_second: billing }]);
    }
  }, 330 * SECOND);

  it("ran the jobs across the passes as meant: every pass seen, no job ending near one", () => {
    // Passes a minute apart (a second more or less when slurmctld wakes late), none missed.
    for (let i = 1; i < passes.length; i++) expect(Math.abs(passes[i]! - passes[i - 1]! - PERIOD), passes.join(", ")).toBeLessThanOrEqual(2);
    for (const job of jobs) {
      const end = Number(job.End);
      expect(Math.min(...passes.map((pass) => Math.abs(pass - end))), `job ${job.JobIDRaw} ends near a pass`).toBeGreaterThanOrEqual(MARGIN - 2);
    }
    expect(passes.filter((pass) => pass > Math.min(...jobs.map((job) => Number(job.Start))) && pass <= seen.pass).length).toBeGreaterThanOrEqual(2);
  });

  it("gives each association scontrol's UsageRaw and sshare's RawUsage: decayedUsage with the passes, to their decimals", () => {
    const ours = (keys: readonly string[]) => keys.reduce((sum, key) => sum + decayedUsage(charges.get(key) ?? [], HALF_LIFE, seen.pass, undefined, passes), 0);
    const continuous = (keys: readonly string[]) => keys.reduce((sum, key) => sum + decayedUsage(charges.get(key) ?? [], HALF_LIFE, seen.pass), 0);
    const undecayed = (keys: readonly string[]) => keys.reduce((sum, key) => sum + decayedUsage(charges.get(key) ?? [], 0, seen.pass), 0);
    const rawUsage = new Map(seen.sshare.map((row) => [`${(row.Account as string).trim()}|${row.User}`, Number(row.RawUsage)]));
    const users = MEMBERS.map(([user, account]) => `${account}|${user}`);
    const under = (account: string): string[] =>
      users.filter((key) => key.startsWith(`${account}|`)).concat(...ACCOUNTS.filter(([, parent]) => parent === account).map(([child]) => under(child)));
    const rows = [...users.map((key) => [key, [key]] as const), ...ACCOUNTS.map(([account]) => [`${account}|`, under(account)] as const)].map(
      ([key, keys]) => ({
        association: key,
        scontrol: seen.usage.get(key)!,
        sshare: rawUsage.get(key)!,
        ours: ours(keys),
        continuous: continuous(keys),
        undecayed: undecayed(keys),
      }),
    );
    console.info(
      `decayed usage at the pass ${seen.pass} (passes ${passes.join(", ")}):\n${rows
        .map(
          (row) =>
            `${row.association}: scontrol ${row.scontrol}, sshare ${row.sshare}, decayedUsage with passes ${row.ours.toFixed(6)}, without ${row.continuous.toFixed(6)}, undecayed ${row.undecayed}`,
        )
        .join("\n")}`,
    );
    const longest = Math.max(...passes.slice(1).map((pass, i) => pass - passes[i]!));
    for (const row of rows) {
      expect(Math.abs(row.ours - row.scontrol), row.association).toBeLessThanOrEqual(0.005 + 1e-9 * row.ours);
      expect([Math.trunc(row.ours - 1e-9), Math.trunc(row.ours + 1e-9)], row.association).toContain(row.sshare);
      // Without the passes: Slurm's usage is at most that, and not less than d^(2P − 2) of it.
      expect(row.ours, row.association).toBeLessThanOrEqual(row.continuous * (1 + 1e-12));
      expect(row.ours, row.association).toBeGreaterThanOrEqual(row.continuous * d ** (2 * longest - 2));
    }
    // Decayed indeed, by more than the rounding could hide: below 80 % of the undecayed usage.
    for (const row of rows.filter((row) => row.undecayed > 0)) expect(row.scontrol, row.association).toBeLessThan(0.8 * row.undecayed);
    expect(rows.filter((row) => row.ours > 1)).toHaveLength(rows.length);
  });

  it("gives sshare's Level FS and EffectvUsage under the top account, and each user's FairShare, from that usage", () => {
    const mine = (key: string) => MEMBERS.some(([user, account]) => key === `${account}|${user}`);
    // This run's user associations with decayedUsage's usage; the others (earlier runs') with scontrol's.
    const tree = associationTree(seen.sshare, (key) =>
      mine(key) ? decayedUsage(charges.get(key) ?? [], HALF_LIFE, seen.pass, undefined, passes) : seen.usage.get(key)!,
    );
    const rows = fairTree(tree);
    let compared = 0;
    seen.sshare.forEach((line, i) => {
      const row = rows[i]!;
      const account = row.user ? row.parent : row.name;
      if (!ACCOUNTS.some(([name]) => name === account) || account === TOP) return;
      const where = `${account}|${row.user ? row.name : ""}`;
      expect(Math.abs(row.levelFs! - Number(line.LevelFS)), `${where} Level FS`).toBeLessThanOrEqual(5e-7 + 1e-9 * row.levelFs!);
      expect(Math.abs(row.effectiveUsage - Number(line.EffectvUsage)), `${where} EffectvUsage`).toBeLessThanOrEqual(5e-7 + 1e-9);
      if (row.user) expect(row.fairShare!.toFixed(6), `${where} FairShare`).toBe(line.FairShare);
      compared++;
    });
    expect(compared).toBe(ACCOUNTS.length - 1 + MEMBERS.length);
  });

  it("gives, through accounting collect and balance (decayed second by second), each bank's usage within the stated bounds", async () => {
    const archive = temporaryFolder("fairshare-decay-archive-");
    const collected = await runCli(["collect", "slurm", "--archive", archive], { PATH: env.PATH, SLURM_CONF: env.SLURM_CONF });
    expect(collected.code, collected.stderr).toBe(0);
    const allocations = {
      banks: [
        { name: TOP, accounts: [TOP] },
        ...ACCOUNTS.filter(([account]) => account !== TOP).map(([account, , shares]) => ({ name: account, parent: TOP, shares, accounts: [account] })),
      ],
      billing: Object.entries(slurmWeights).map(([partition, weights]) => ({ source: "slurm", partition, weights })),
      // Slurm's 2 minutes.
      fairshare: { half_life_days: HALF_LIFE / 86_400 },
    };
    writeFileSync(join(archive, "allocations.json"), JSON.stringify(allocations));
    // The day of the pass: balance decays usage to its end.
    const day = new Date(seen.pass * SECOND).toISOString().slice(0, 10);
    const end = Date.parse(`${day}T00:00:00Z`) / SECOND + 86_400;
    const balance = await runCli(["balance", "--archive", archive, "--at", day, "--format", "json", "--problems", "none"]);
    expect(balance.code, balance.stderr).toBe(0);
    const { banks } = JSON.parse(balance.stdout) as { banks: Record<string, { fairshare: { raw_usage: number; factor: number | null } }> };
    const longest = Math.max(...passes.slice(1).map((pass, i) => pass - passes[i]!));
    const lines = new Map(seen.sshare.map((row) => [`${(row.Account as string).trim()}|${row.User}`, row]));
    const report: string[] = [];
    for (const [account] of ACCOUNTS) {
      const keys = [...charges.keys()].filter((key) => key.startsWith(`${account}|`) || (account === TOP && key.split("|")[0] !== TOP));
      const { raw_usage, factor } = banks[account]!.fairshare;
      // Balance's usage is decayedUsage's without passes, at the end of the day (some 1e-200 of it: in doubles still).
      const continuous = keys.reduce((sum, key) => sum + decayedUsage(charges.get(key)!, HALF_LIFE, end), 0);
      expect(raw_usage / continuous, account).toBeCloseTo(1, 9);
      // Back at the pass (jobs ended: only decay in between), against scontrol's usage of the account.
      const atPass = raw_usage / d ** (end - seen.pass);
      const slurmUsage = seen.usage.get(`${account}|`)!;
      expect(slurmUsage, account).toBeLessThanOrEqual(atPass + 0.005);
      expect(slurmUsage, account).toBeGreaterThanOrEqual(atPass * d ** (2 * longest - 2) - 0.005);
      report.push(
        `${account}: balance ${atPass.toFixed(4)} at the pass, Slurm ${slurmUsage} (${(slurmUsage / atPass).toFixed(4)}), Level FS ${factor} against sshare's ${lines.get(`${account}|`)?.LevelFS}`,
      );
    }
    console.info(`balance's decayed usage against Slurm's:\n${report.join("\n")}`);
  });
});
