import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

const PREFIX = "accounting-tests-";

/**
 * Every test's temporary files and ingest caches go under one folder, removed when the run ends. Vitest runs this for
 * the run and again for each project (vitest.config.ts): a project's run keeps the folder already made, so the tests'
 * folders stay one level under the system's, which the unprivileged user of some tests can cross.
 */
export default function setup(): () => void {
  if (basename(tmpdir()).startsWith(PREFIX)) return () => {};
  const folder = mkdtempSync(join(tmpdir(), PREFIX));
  process.env.TMPDIR = folder;
  process.env.XDG_CACHE_HOME = join(folder, "cache");
  mkdirSync(process.env.XDG_CACHE_HOME);
  return () => rmSync(folder, { recursive: true, force: true });
}
