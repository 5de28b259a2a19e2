import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./project.js";

/**
 * The real records of other schedulers, with what other tools computed from them: beside the repository, never in
 * it (`../shared/realdata`, see each folder's PROVENANCE.md). CI has them; a clone alone does not.
 */
export const REALDATA = join(ROOT, "..", "shared", "realdata");

/**
 * A folder of the real records (`slurm/xdmod`…), and whether its tests must be skipped: when it is absent, with a
 * message naming it; except under CI (`CI` set), where they run and fail, for CI must run them.
 */
export function realdata(folder: string): { path: string; missing: boolean } {
  const path = join(REALDATA, folder);
  const missing = !existsSync(path) && !process.env.CI;
  if (missing) console.log(`skipped: the tests on ${folder} need ${path}, which is absent`);
  return { path, missing };
}
