import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Every test's temporary files and ingest caches go under one folder, removed when the run ends. */
export default function setup(): () => void {
  const folder = mkdtempSync(join(tmpdir(), "accounting-tests-"));
  process.env.TMPDIR = folder;
  process.env.XDG_CACHE_HOME = join(folder, "cache");
  mkdirSync(process.env.XDG_CACHE_HOME);
  return () => rmSync(folder, { recursive: true, force: true });
}
