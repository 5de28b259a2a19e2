import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

/** Every file under `folder`, by path. */
export function filesUnder(folder: string): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    let entries;
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) found.push(child);
    }
  };
  if (statSync(folder, { throwIfNoEntry: false })?.isDirectory()) walk(folder);
  return found.sort();
}

/** SHA-256 of `settings` and of every file under `folders`, paths and bytes. */
export function contentFingerprint(folders: string[], settings: string[]): string {
  const hash = createHash("sha256");
  for (const setting of settings) hash.update(`${setting}\0`);
  for (const [position, folder] of folders.entries()) {
    hash.update(`${position}\0`);
    for (const path of filesUnder(folder)) hash.update(`${relative(folder, path)}\0`).update(readFileSync(path));
  }
  return hash.digest("hex");
}

/**
 * Framework reuses a data loader's cached output without checking its inputs: drop the cached files
 * under `cacheFolder` named by `outputs` when the fingerprint differs from the last build's, and those named by
 * `always` every time.
 */
export function dropStaleLoaderOutputs(cacheFolder: string, outputs: string[], fingerprint: string, always: string[] = []): boolean {
  for (const output of always) rmSync(join(cacheFolder, output), { recursive: true, force: true });
  const record = join(cacheFolder, "archive.sha256");
  if (statSync(record, { throwIfNoEntry: false }) && readFileSync(record, "utf8") === fingerprint) return false;
  for (const output of outputs) rmSync(join(cacheFolder, output), { recursive: true, force: true });
  mkdirSync(cacheFolder, { recursive: true });
  writeFileSync(record, fingerprint);
  return true;
}
