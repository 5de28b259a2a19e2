import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { AllocationsError, parseAllocations, type Allocations } from "../model/allocations.js";

/** An archive's allocations: `<archive>/allocations.json` (README: Allocations). */
export function allocationsPath(archive: string): string {
  return join(archive, "allocations.json");
}

/** The archive's allocations, validated; null when it has no allocations file. Throws an AllocationsError on a bad one. */
export async function readAllocations(archive: string): Promise<Allocations | null> {
  const path = allocationsPath(archive);
  const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw new AllocationsError(`cannot read ${path}: ${error.message}`);
  });
  return text === null ? null : parseAllocations(text, path);
}
