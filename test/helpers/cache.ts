import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { expect } from "vitest";
import { writeOutTables } from "../../loaders/ingest/database.js";
import { CACHE_FILE, STAMP_FILE } from "../../loaders/ingest/ingest-cache.js";
import { loadArchive } from "../../loaders/ingest/load.js";
import { temporaryFolder } from "./archive.js";

/** Runs `statements` on the ingest cache of `folder`, as another process would: to alter it behind the pipeline's back. */
export async function alterCache(folder: string, ...statements: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(join(folder, CACHE_FILE));
  const connection = await instance.connect();
  try {
    for (const statement of statements) await connection.run(statement);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * Writes the stamp of the cache file of `folder` as a run leaves it (device, inode, size, modification and
 * status-change times): a file altered behind the pipeline's back then passes for the one the last run left.
 */
export function stampAnew(folder: string): void {
  if (isStamped(folder)) throw new Error("the cache file is as the last run left it");
  writeFileSync(join(folder, STAMP_FILE), currentStamp(folder));
}

/** The stamp the cache file of `folder` has now. */
function currentStamp(folder: string): string {
  const info = statSync(join(folder, CACHE_FILE), { bigint: true });
  return [info.dev, info.ino, info.size, info.mtimeNs, info.ctimeNs].join(":");
}

/** Whether the last run recorded the stamp the cache file of `folder` has now: the next run then trusts it. */
export function isStamped(folder: string): boolean {
  try {
    return readFileSync(join(folder, STAMP_FILE), "utf8") === currentStamp(folder);
  } catch {
    return false;
  }
}

/**
 * The documented tables as `accounting ingest --out` writes them (writeOutTables), by path,
 * and how many files were read; `inPlace` as that command loads them (LoadOptions.inPlace).
 */
export async function ingestOut(
  archive: string,
  options: { cache?: string; privateBuild: boolean; inPlace: boolean },
): Promise<{ files: Map<string, Buffer>; read: number }> {
  let read = 0;
  const database = await loadArchive(archive, {
    cache: options.cache,
    inPlace: options.inPlace,
    users: { pseudonymKey: "k", private: options.privateBuild },
    onProgress: (_, total) => (read = total),
  });
  try {
    const folder = temporaryFolder();
    const paths = await writeOutTables(database, join(folder, "documented"), options.privateBuild);
    return { files: new Map(paths.sort().map((path) => [path.slice(folder.length), readFileSync(path)])), read };
  } finally {
    database.close();
  }
}

/** The same files, byte for byte, by path. */
export function expectSameFiles(actual: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [name, bytes] of expected) expect(actual.get(name)?.equals(bytes), name).toBe(true);
}
