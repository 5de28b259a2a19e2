import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Whether a program is found at its absolute path, or on PATH. */
function found(program: string): boolean {
  if (program.startsWith("/")) return existsSync(program);
  return (process.env.PATH ?? "").split(delimiter).some((folder) => folder !== "" && existsSync(join(folder, program)));
}

/**
 * Whether the tests of `suite`, which run these programs (beyond Node, npm and Chromium), must be skipped: when one is
 * missing, with a message naming it; except under CI (`CI` set), where they run and fail, for CI must run them.
 */
export function missingPrograms(suite: string, programs: string[]): boolean {
  const missing = programs.filter((program) => !found(program));
  if (missing.length === 0 || process.env.CI) return false;
  console.log(`skipped: ${suite} needs ${missing.join(" and ")}, not found here`);
  return true;
}
