import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./project.js";

const run = promisify(execFile);

/** Debian's Grid Engine: where its packages put the cell `default`, unless `SGE_ROOT` and `SGE_CELL` say otherwise. */
const SGE_ROOT = process.env.SGE_ROOT || "/var/lib/gridengine";
const SGE_CELL = process.env.SGE_CELL || "default";

/** How long starting and configuring the daemons may take, in s: the script gives up waiting on them after that. */
const START_TIMEOUT_SECONDS = 120;

/** A one-host Grid Engine that takes jobs, started (or found running) by test/helpers/gridengine.sh. */
export interface GridEngine {
  /** The cell's accounting file: one line per finished job (and per task of a parallel job), which qacct reads. */
  accounting: string;
  /** Runs a Grid Engine command (qsub, qdel, qstat, qacct…) as root, or as `user`; its stdout. */
  command(name: string, args: string[], user?: string): Promise<string>;
}

/**
 * Starts the Grid Engine of the live tests, reusing the daemons that run already, or says why it cannot: not
 * installed, not root, a daemon that does not answer within the timeout. Those tests are skipped with that message,
 * except under CI (`CI` set), where they must fail: CI must run them.
 */
export async function startGridEngine(): Promise<GridEngine | { missing: string }> {
  const env = { ...process.env, SGE_ROOT, SGE_CELL, TZ: "UTC", GRIDENGINE_TIMEOUT: String(START_TIMEOUT_SECONDS) };
  try {
    await run("bash", [join(ROOT, "test/helpers/gridengine.sh")], { env, timeout: (START_TIMEOUT_SECONDS + 30) * 1000 });
  } catch (error) {
    const { stderr, killed } = error as { stderr?: string; killed?: boolean };
    const why = killed ? `starting it took more than ${START_TIMEOUT_SECONDS + 30} s` : stderr?.trim().split("\n").at(-1) || String(error);
    return { missing: `no Grid Engine: ${why}` };
  }
  return {
    accounting: join(SGE_ROOT, SGE_CELL, "common", "accounting"),
    async command(name, args, user) {
      const [file, all] = user === undefined ? [name, args] : ["runuser", ["-u", user, "--", name, ...args]];
      return (await run(file, all, { env, cwd: "/tmp", timeout: 60_000 })).stdout;
    },
  };
}
