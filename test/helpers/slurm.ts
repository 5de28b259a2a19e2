import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Association } from "../../loaders/queries/fairshare.js";

/**
 * A real Slurm 22.05 on this machine, for the live tests: one node with 8 CPUs and 2 GPUs (device files standing for
 * them), slurmdbd over MariaDB, started by test/helpers/slurm-up.sh as root and kept running between test runs. A
 * second cluster on the same node, whose usage decays (`slurm-up.sh --decay`: the decay check alone uses it), has
 * its own daemons and accounting database: its commands need SLURM_DECAY_ENV.
 */

/** The live Slurm's configuration file, under the folder slurm-up.sh keeps everything in. */
const SLURM_CONF = "/tmp/accounting-slurm/etc/slurm.conf";
/** What Slurm's commands need to find the live cluster. */
export const SLURM_ENV: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF };
/** The name slurm.conf gives the live cluster: the `Cluster` field of its records. */
export const SLURM_CLUSTER = "accounting";
/** What Slurm's commands need to find the cluster whose usage decays (PriorityDecayHalfLife=2, in minutes). */
export const SLURM_DECAY_ENV: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: "/tmp/accounting-slurm/decay/etc/slurm.conf" };
/** Its name. */
export const SLURM_DECAY_CLUSTER = "accounting-decay";

const UP_SCRIPT = fileURLToPath(new URL("./slurm-up.sh", import.meta.url));
/** Starting from nothing takes a few seconds; a daemon that does not come up is waited for at most a minute. */
const START_TIMEOUT_MS = 150_000;

interface Output {
  code: number | null;
  stdout: string;
  stderr: string;
}

function execute(command: string, args: string[], timeout: number, env = SLURM_ENV): Promise<Output> {
  return new Promise((resolve) => {
    execFile(command, args, { env, cwd: "/tmp", timeout, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
      resolve({ code, stdout, stderr: error && code === null ? `${stderr}${error.message}` : stderr });
    });
  });
}

/**
 * Starts the live Slurm (the cluster whose usage decays, with `decay`), or finds it running: undefined when it is up,
 * else why it is not (not root, packages missing, a daemon that does not come up and the last lines of its log).
 */
export async function startSlurm({ decay = false } = {}): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return "not root: the live Slurm tests start munged, MariaDB and Slurm's daemons; they are skipped";
  if (!existsSync("/usr/sbin/slurmctld"))
    return "Slurm is not installed (apt-get install -y slurm-wlm slurmdbd mariadb-server munge); the live Slurm tests are skipped";
  const { code, stderr } = await execute("bash", [UP_SCRIPT, ...(decay ? ["--decay"] : [])], START_TIMEOUT_MS);
  if (code === 0) return undefined;
  const why = stderr.trim().split("\n").at(-1) || `test/helpers/slurm-up.sh failed (exit status ${code ?? "none: timed out"})`;
  return `the live Slurm does not start: ${why}; the live Slurm tests are skipped`;
}

/**
 * Runs a Slurm command (as `user` when given, through runuser; for the cluster SLURM_CONF names in `env`) and gives its
 * stdout; throws with its stderr when it fails.
 */
export async function slurm(command: string, args: string[], user?: string, env = SLURM_ENV): Promise<string> {
  const [program, all] = user === undefined ? [command, args] : ["runuser", ["-u", user, "--", command, ...args]];
  const { code, stdout, stderr } = await execute(program, all, 60_000, env);
  if (code !== 0) throw new Error(`${[command, ...args].join(" ")}${user ? ` (as ${user})` : ""} failed: ${stderr.trim()}`);
  return stdout;
}

/** A Unix user, created when missing. */
export async function addUnixUser(user: string): Promise<void> {
  const exists = async () => (await execute("id", [user], 10_000)).code === 0;
  // Another run may create the user at the same time.
  if (!(await exists()))
    await slurm("useradd", ["--no-create-home", "--shell", "/usr/sbin/nologin", user]).catch(async (error: Error) => {
      if (!(await exists())) throw error;
    });
}

/** A Unix user (created when missing) with an association in each account (created when missing), the first one its default. */
export async function addSlurmUser(user: string, accounts: string[]): Promise<void> {
  await addUnixUser(user);
  for (const account of accounts) {
    if (!(await slurm("sacctmgr", ["-n", "-P", "list", "account", account, "format=account"])).trim())
      await slurm("sacctmgr", ["-i", "add", "account", account, `cluster=${SLURM_CLUSTER}`]);
  }
  const existing = new Set((await slurm("sacctmgr", ["-n", "-P", "list", "assoc", `user=${user}`, "format=account"])).split("\n").filter(Boolean));
  for (const account of accounts.filter((name) => !existing.has(name)))
    await slurm("sacctmgr", ["-i", "add", "user", user, `account=${account}`, ...(account === accounts[0] ? [`defaultaccount=${account}`] : [])]);
}

/** A line of a Slurm command's `|`-separated output (`--parsable2`), as field → value. */
export type Fields = Record<string, string>;

/** Lines of `|`-separated fields, as field → value. */
export const parseLines = (text: string, fields: readonly string[]): Fields[] =>
  text
    .split("\n")
    .filter(Boolean)
    .map((line) => Object.fromEntries(line.split("|").map((value, i) => [fields[i] as string, value])));

/** A TRES list (`billing=2,cpu=2,gres/gpu=1,mem=1536M,node=1`) as name → count; memory in MiB. */
export function tresCounts(text: string): Map<string, number> {
  const units: Record<string, number> = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 };
  return new Map(
    text
      .split(",")
      .filter(Boolean)
      .map((item) => {
        const [key, value] = item.split("=") as [string, string];
        const unit = /[KMGT]$/.exec(value)?.[0];
        return [key, unit ? Number(value.slice(0, -1)) * (units[unit] as number) : Number(value)];
      }),
  );
}

/** The association tree `sshare -P` shows (its order is slurmctld's), each user association's usage (`account|user`) from `usage`. */
export function associationTree(sshare: Fields[], usage: (key: string) => number): Association[] {
  const parents: string[] = [];
  return sshare.map((row): Association => {
    const depth = (row.Account as string).length - (row.Account as string).trimStart().length;
    const account = (row.Account as string).trim();
    const shares = row.RawShares === "parent" ? "parent" : row.RawShares === "" ? 1 : Number(row.RawShares);
    if (row.User) return { name: row.User, parent: account, shares, user: true, usage: usage(`${account}|${row.User}`) };
    parents[depth] = account;
    return { name: account, parent: depth === 0 ? null : (parents[depth - 1] as string), shares };
  });
}
