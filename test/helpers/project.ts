import { spawn } from "node:child_process";
import { cpSync, readdirSync, symlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The working tree these tests run in. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Not copied into a build folder: dependencies (linked instead), outputs (the site, the compiled command), history and scratch work. */
const NOT_COPIED = new Set(["node_modules", "dist", "lib", ".git", "scratch", "coverage"]);

/** Runs a command to its end: its exit status, and its stdout and stderr together. */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** The working tree without its outputs, node_modules linked: a build there leaves the shared tree alone. */
export function copyProject(target: string): void {
  for (const entry of readdirSync(ROOT)) {
    if (NOT_COPIED.has(entry)) continue;
    cpSync(join(ROOT, entry), join(target, entry), { recursive: true, verbatimSymlinks: true, filter: (source) => basename(source) !== ".observablehq" });
  }
  symlinkSync(join(ROOT, "node_modules"), join(target, "node_modules"), "dir");
}
