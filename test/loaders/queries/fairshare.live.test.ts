import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { classicFairShare, decayedUsage, fairTree, type Association, type Charge } from "../../../loaders/queries/fairshare.js";
import { temporaryFolder } from "../../helpers/archive.js";
import { runCli } from "../../helpers/cli.js";
import { addSlurmUser, associationTree, parseLines, SLURM_CLUSTER, SLURM_ENV, slurm, startSlurm, tresCounts, type Fields } from "../../helpers/slurm.js";

/**
 * A real Slurm (test/helpers/slurm-up.sh: priority/multifactor, Fair Tree, PriorityDecayHalfLife=0, usage never reset)
 * runs jobs of several sizes as ordinary users in a tree of accounts with shares; once slurmctld folded their usage
 * into its factors, `sshare`'s Level FS, FairShare, NormShares and EffectvUsage of every association of the cluster
 * must be fairTree's from sshare's shares and usage, and each user association's usage the sum over its jobs of
 * sacct's ElapsedRaw × their billing.
 */

const unavailable = await startSlurm();
if (unavailable && !process.env.CI) console.warn(unavailable);

const SECOND = 1000;
/**
 * This run's accounts, named anew at each run: usage never decays here, so every earlier run's associations stay in
 * the tree with theirs, and so do the accounting tests' (all are compared).
 */
const RUN = Date.now().toString(36);
const name = (letter: string) => `fs${letter}_${RUN}`;
const [TOP, A, B, C, D, E, P] = ["", "a", "b", "c", "d", "e", "p"].map(name) as [string, string, string, string, string, string, string];
/**
 * The tree under root: a and b with usage; c and d with the same shares and none (so the same Level FS, ∞): Slurm
 * does not merge their children as fair_tree.html says; e with no shares (Level FS 0); p a FairShare=parent account,
 * whose user counts among b's.
 */
const ACCOUNTS: [string, string, number | "parent"][] = [
  [TOP, "root", 1],
  [A, TOP, 3],
  [B, TOP, 1],
  [C, TOP, 2],
  [D, TOP, 2],
  [E, TOP, 0],
  [P, B, "parent"],
];
/** User associations: user, account, shares. */
const MEMBERS: [string, string, number][] = [
  ["fsann", A, 2],
  ["fsben", A, 1],
  ["fscat", B, 1],
  ["fsann", C, 1],
  ["fsdan", C, 0],
  ["fscat", D, 1],
  ["fsdan", D, 0],
  ["fseve", P, 3],
  ["fsfay", E, 1],
];

/** slurm.conf's TRESBillingWeights of the partitions the jobs run in (test/helpers/slurm-up.sh). */
const slurmWeights: Record<string, string> = { fsbatch: "CPU=1.0,Mem=0.25G", fsgpu: "CPU=1.0,Mem=0.25G,GRES/gpu=2.0" };
/** The same: per CPU, per MiB of memory (0.25G), per GPU. */
const WEIGHTS: Record<string, { cpu: number; mem: number; gpu: number }> = {
  fsbatch: { cpu: 1, mem: 0.25 / 1024, gpu: 0 },
  fsgpu: { cpu: 1, mem: 0.25 / 1024, gpu: 2 },
};

/**
 * The jobs, all at once on the node's 8 CPUs, 8000 MiB and 2 GPUs: user, account, partition, CPUs, memory, GPUs,
 * seconds. Memory in multiples of 512 MiB bills multiples of 1/8, and 1536 MiB tells MiB (0.375) from whole GiB.
 */
const JOBS: [string, string, string, number, string, number, number][] = [
  ["fsann", A, "fsbatch", 2, "1536M", 0, 20],
  ["fsben", A, "fsbatch", 1, "1G", 0, 12],
  ["fscat", B, "fsgpu", 2, "2G", 1, 16],
  ["fsann", A, "fsgpu", 1, "512M", 1, 8],
  ["fseve", P, "fsbatch", 1, "1G", 0, 10],
  ["fsfay", E, "fsbatch", 1, "512M", 0, 6],
];

/** A Slurm command's output with its times as seconds since 1970 (SLURM_TIME_FORMAT). */
const epochs = (command: string, args: string[]) => slurm("env", ["SLURM_TIME_FORMAT=%s", command, ...args]);

const SSHARE = ["Account", "User", "RawShares", "NormShares", "RawUsage", "NormUsage", "EffectvUsage", "FairShare", "LevelFS"];
const SACCT = ["JobIDRaw", "Account", "User", "Elapsed", "ElapsedRaw", "AllocTRES", "Partition", "State", "Start", "End"];

/** What Slurm says at one moment, as its factors saw it. */
interface Snapshot {
  /** sshare's lines, the Account column's indentation (its depth in the tree) kept. */
  sshare: Fields[];
  /** Each association's raw usage (`account|user`), exactly: scontrol's two decimals of a multiple of 1/8. */
  usage: Map<string, number>;
}

/** When slurmctld's decay thread last folded usage into the factors (s): the first number of its state file. */
function lastPass(stateDirectory: string): number {
  return Number(readFileSync(join(stateDirectory, "priority_last_decay_ran")).readBigInt64BE(0));
}

/**
 * Everything slurmctld computed its factors from changes only at its decay passes (every PriorityCalcPeriod, a
 * minute), except when a job ends (its usage is added at once) or the associations change: sshare shows factors
 * computed at the last pass beside the usage of now. A snapshot counts when the last pass began after `after` (s),
 * and no job ended and no association changed since it began (another test may be using the cluster).
 */
async function snapshot(after: number, stateDirectory: string, timeout: number): Promise<Snapshot> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for a decay pass after ${after} with the cluster quiet`);
    const pass = lastPass(stateDirectory);
    if (pass <= after) {
      await sleep(SECOND);
      continue;
    }
    const [sshare, usage] = [
      await slurm("sshare", ["-a", "-P", "-n", "-o", SSHARE.join(",")]),
      await slurm("scontrol", ["-o", "show", "assoc_mgr", "flags=assoc"]),
    ];
    const ends = parseLines(await epochs("squeue", ["-h", "-a", "-t", "all", "-o", "%T|%e"]), ["state", "end"]);
    const busy = ends.some(({ state, end }) => !["PENDING", "RUNNING"].includes(state as string) && Number(end) >= pass);
    // slurmdbd sends slurmctld the associations changed a moment after their transaction.
    const transactions = await epochs("sacctmgr", ["-n", "-P", "list", "transactions", "start=now-15minutes", "format=time"]);
    const changed = transactions.split("\n").some((time) => Number(time) >= pass - 5);
    if (busy || changed || lastPass(stateDirectory) !== pass) {
      after = pass;
      continue;
    }
    const exact = new Map<string, number>();
    for (const line of usage.split("\n")) {
      const match = /Account=(\S+) UserName=([^\s(]*)\S* .*UsageRaw\/Norm\/Efctv=([\d.]+)\//.exec(line);
      if (!match) continue;
      const printed = Number(match[3]);
      const eighths = Math.round(printed * 8) / 8;
      // Two decimals of a multiple of 1/8: within 0.005 (and a rounding error of the subtraction).
      expect(Math.abs(printed - eighths), line).toBeLessThanOrEqual(0.005 + 1e-9);
      exact.set(`${match[1]}|${match[2]}`, eighths);
    }
    return { sshare: parseLines(sshare, SSHARE), usage: exact };
  }
}

/**
 * Whether sshare printed `value` as `shown`: the same text, or six decimals within half a unit of the last (and a
 * rounding error) of it, whichever way a tie such as 9.1015625 was rounded on each side.
 */
function printedAs(value: string | number, shown: string): boolean {
  const text = String(value);
  return (
    text === shown ||
    (text !== "" &&
      Number.isFinite(Number(text)) &&
      /^-?\d+\.\d{6}$/.test(shown) &&
      Math.abs(Number(text) - Number(shown)) <= 5e-7 + 1e-9 * Math.abs(Number(shown)))
  );
}

/** sshare's line for each association, from fairTree (and its NormUsage, usage over the root's, from classicFairShare). */
function computedLines(tree: Association[]): string[] {
  // Unrounded: compared with sshare's six decimals below.
  const f = (value: number) => (value === Infinity ? "inf" : String(value));
  const classic = classicFairShare(tree);
  return fairTree(tree).map((row, i) => {
    const root = row.parent === null;
    const [account, user] = row.user ? [row.parent, row.name] : [row.name, ""];
    const fields = [
      account,
      user,
      root ? "" : tree[i]!.shares,
      f(row.normShares),
      Math.trunc(row.usage),
      root ? "" : f(classic[i]!.normUsage),
      f(row.effectiveUsage),
      row.fairShare === null ? "" : f(row.fairShare),
      row.levelFs === null ? "" : f(row.levelFs),
    ];
    return fields.join("|");
  });
}

describe.skipIf(unavailable !== undefined && !process.env.CI)("fair-share against a live Slurm", { timeout: 60_000 }, () => {
  const ids: string[] = [];
  let seen: Snapshot;
  let tree: Association[];
  let jobs: Fields[];

  beforeAll(async () => {
    if (unavailable) throw new Error(`${unavailable} (CI must run the live Slurm tests)`);
    for (const [account, parent, shares] of ACCOUNTS)
      await slurm("sacctmgr", ["-i", "add", "account", account, `parent=${parent}`, `fairshare=${shares}`, `cluster=${SLURM_CLUSTER}`]);
    for (const user of new Set(MEMBERS.map(([user]) => user))) await addSlurmUser(user, []);
    for (const [user, account, shares] of MEMBERS) await slurm("sacctmgr", ["-i", "add", "user", user, `account=${account}`, `fairshare=${shares}`]);
    for (const [user, account, partition, cpus, memory, gpus, seconds] of JOBS) {
      const args = [`--account=${account}`, `--partition=${partition}`, `--cpus-per-task=${cpus}`, `--mem=${memory}`, ...(gpus ? [`--gres=gpu:${gpus}`] : [])];
      const output = await slurm("sbatch", ["--parsable", "--chdir=/tmp", "--output=/dev/null", ...args, `--wrap=sleep ${seconds}`], user);
      ids.push(output.trim().split(";")[0] as string);
    }
    // Until the accounting database has them all ended.
    const deadline = Date.now() + 120 * SECOND;
    for (;;) {
      jobs = parseLines(await epochs("sacct", ["-X", "-n", "-P", "-j", ids.join(","), "-o", SACCT.join(",")]), SACCT);
      if (jobs.length === ids.length && jobs.every((job) => job.State === "COMPLETED" && /^\d+$/.test(job.End as string))) break;
      if (Date.now() > deadline) throw new Error(`the jobs did not end: ${JSON.stringify(jobs)}`);
      await sleep(SECOND);
    }
    const lastEnd = Math.max(...jobs.map((job) => Number(job.End)));
    const stateDirectory = /StateSaveLocation\s*=\s*(\S+)/.exec(await slurm("scontrol", ["show", "config"]))?.[1] as string;
    seen = await snapshot(lastEnd, stateDirectory, 150 * SECOND);
    tree = associationTree(seen.sshare, (key) => seen.usage.get(key) as number);
  }, 300 * SECOND);

  it("gives every association of the cluster sshare's Level FS, FairShare, NormShares, EffectvUsage and RawUsage", () => {
    const printed = seen.sshare.map((row) => SSHARE.map((field) => (field === "Account" ? (row[field] as string).trim() : row[field])).join("|"));
    const computed = computedLines(tree).map((line, i) => {
      const fields = line.split("|");
      const shown = printed[i]?.split("|") ?? [];
      return fields.length === shown.length && fields.every((field, j) => printedAs(field, shown[j] as string)) ? printed[i] : line;
    });
    expect(computed).toEqual(printed);
    // Not an empty comparison: this run's associations are there, with usage.
    const mine = tree.filter((association) => association.user && ACCOUNTS.some(([account]) => account === association.parent));
    expect(mine).toHaveLength(MEMBERS.length);
    expect(mine.filter((association) => (association.usage as number) > 0)).toHaveLength(5);
  });

  it("ranks the users of tied accounts without merging them, as Slurm's code does (not as fair_tree.html says)", () => {
    const rows = fairTree(tree);
    const factor = (account: string, user: string) => rows.find((row) => row.parent === account && row.name === user)?.fairShare as number;
    const n = tree.filter((association) => association.user).length;
    // c before d (sshare's order): d's first user takes the rank last given, c's second's, and the next rank is as if
    // untied; merged, c's and d's first users would tie, and so would both fsdan.
    expect(factor(D, "fscat")).toBe(factor(C, "fsdan"));
    expect(factor(D, "fscat")).toBeLessThan(factor(C, "fsann"));
    expect(factor(D, "fscat") - factor(D, "fsdan")).toBeCloseTo(2 / n, 12);
  });

  it("gives the classic NormShares and EffectvUsage of the root's children, where Fair Tree's are the same numbers", () => {
    const printed = new Map(seen.sshare.map((row) => [`${(row.Account as string).trim()}|${row.User}`, row]));
    const classic = classicFairShare(tree);
    const children = classic.filter((row, i) => row.parent === "root" && tree[i]!.shares !== "parent");
    expect(children.length).toBeGreaterThan(1);
    for (const row of children) {
      const line = printed.get(row.user ? `root|${row.name}` : `${row.name}|`) as Fields;
      expect(
        [printedAs(row.normShares, line.NormShares as string), printedAs(row.effectiveUsage, line.EffectvUsage as string)],
        `${row.name}: ${row.normShares}, ${row.effectiveUsage} against ${line.NormShares}, ${line.EffectvUsage}`,
      ).toEqual([true, true]);
    }
  });

  it("charges each user association Σ ElapsedRaw × billing of its jobs: the billing recomputed, not AllocTRES's truncated one", () => {
    const charged = new Map<string, { elapsedBilling: number; elapsedAllocBilling: number; jobs: string[]; charges: Charge[] }>();
    for (const job of jobs) {
      const counts = tresCounts(job.AllocTRES as string);
      const weights = WEIGHTS[job.Partition as string]!;
      const billing = weights.cpu * counts.get("cpu")! + weights.mem * counts.get("mem")! + weights.gpu * (counts.get("gres/gpu") ?? 0);
      // AllocTRES's billing is Slurm's billing truncated to an integer: 2.375 → 2.
      expect(counts.get("billing"), job.AllocTRES).toBe(Math.trunc(billing));
      const key = `${job.Account}|${job.User}`;
      const sum = charged.get(key) ?? { elapsedBilling: 0, elapsedAllocBilling: 0, jobs: [], charges: [] };
      sum.charges.push({ start: Number(job.Start), end: Number(job.End), units_per_second: billing });
      sum.elapsedBilling += Number(job.ElapsedRaw) * billing;
      sum.elapsedAllocBilling += Number(job.ElapsedRaw) * counts.get("billing")!;
      sum.jobs.push(`${job.JobIDRaw} ${job.Partition} ${job.Elapsed} ${job.AllocTRES}`);
      charged.set(key, sum);
    }
    const rawUsage = new Map(seen.sshare.map((row) => [`${(row.Account as string).trim()}|${row.User}`, Number(row.RawUsage)]));
    const recorded = [...charged].map(([key, { charges, ...sum }]) => ({
      association: key,
      ...sum,
      decayed: decayedUsage(charges, 0, Date.now() / SECOND),
      usage: seen.usage.get(key),
      rawUsage: rawUsage.get(key),
    }));
    console.info(`fair-share: usage per user association against its jobs:\n${recorded.map((row) => JSON.stringify(row)).join("\n")}`);
    for (const row of recorded) {
      // No decay: usage accrues second by second from the job's start to its end, exactly Elapsed × billing, whatever
      // the passes in between; sshare's RawUsage is it truncated.
      expect(row.usage, row.association).toBe(row.elapsedBilling);
      expect(row.decayed, row.association).toBe(row.usage);
      expect(row.rawUsage, row.association).toBe(Math.trunc(row.elapsedBilling));
    }
    // The truncated billing undercounts: 0.375 of a billing a second for fsann's first job, 1 in 4 for the GPU job's.
    const ann = recorded.find((row) => row.association === `${A}|fsann`)!;
    expect(ann.elapsedAllocBilling).toBeLessThan(ann.elapsedBilling);
  });

  it("gives, through accounting collect and balance, each bank sshare's RawUsage and Level FS", async () => {
    const archive = temporaryFolder("fairshare-archive-");
    const collected = await runCli(["collect", "slurm", "--archive", archive], { PATH: SLURM_ENV.PATH, SLURM_CONF: SLURM_ENV.SLURM_CONF });
    expect(collected.code, collected.stderr).toBe(0);
    // The tree under TOP as banks, slurm.conf's weights as billing rules; p (FairShare=parent) is b's: its user counts among b's.
    const allocations = {
      banks: [
        { name: TOP, accounts: [TOP] },
        ...ACCOUNTS.filter(([account]) => account !== TOP && account !== P).map(([account, , shares]) => ({
          name: account,
          parent: TOP,
          shares,
          accounts: account === B ? [B, P] : [account],
        })),
      ],
      billing: Object.entries(slurmWeights).map(([partition, weights]) => ({ source: "slurm", partition, weights })),
      fairshare: { half_life_days: 0 },
    };
    writeFileSync(join(archive, "allocations.json"), JSON.stringify(allocations));
    const run = await runCli(["balance", "--archive", archive, "--format", "json", "--problems", "none"]);
    // No bank has a grant: none is held.
    expect(run.code, run.stderr).toBe(0);
    const { banks } = JSON.parse(run.stdout) as { banks: Record<string, { fairshare: { raw_usage: number; factor: number | null } }> };
    const printed = new Map(seen.sshare.map((row) => [`${(row.Account as string).trim()}|${row.User}`, row]));
    for (const [account] of ACCOUNTS.filter(([account]) => account !== P)) {
      const { raw_usage, factor } = banks[account]!.fairshare;
      // scontrol's exact usage of the account (its sub-accounts' included), in billing-seconds.
      expect(raw_usage, account).toBeCloseTo(seen.usage.get(`${account}|`)!, 6);
      if (account === TOP) continue;
      // TOP's siblings are other tests' accounts, which no bank holds; its children's Level FS are among themselves.
      const levelFs = printed.get(`${account}|`)!.LevelFS as string;
      expect(printedAs(factor === null ? "inf" : factor, levelFs), `${account}: ${factor} against ${levelFs}`).toBe(true);
    }
    expect(banks[A]!.fairshare.raw_usage).toBeGreaterThan(0);
  });
});
