import { main } from "../../cli/main.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** What a run may see besides its arguments: a terminal on stderr, and the time now (ms). */
export interface CliSetting {
  isTTY?: boolean;
  now?: () => number;
}

/** Runs the command line in this process, capturing its output; its default ingest cache is the tests' own. */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}, setting: CliSetting = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: setting.isTTY },
    env: { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, ...env },
    now: setting.now,
  });
  return { code, stdout, stderr };
}
