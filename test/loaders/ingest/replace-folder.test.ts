import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import type * as fs from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { replaceFolder } from "../../../loaders/ingest/replace-folder.js";
import { temporaryFolder } from "../../helpers/archive.js";

/** What replaceFolder did to the disk, in order: each flush of a path, each rename. */
const events: string[][] = [];

vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof fs>();
  return {
    ...actual,
    open: async (...args: Parameters<typeof fs.open>) => {
      const handle = await actual.open(...args);
      const flush = handle.sync.bind(handle);
      handle.sync = async () => {
        await flush();
        events.push(["sync", String(args[0])]);
      };
      return handle;
    },
    rename: async (from: string, to: string) => {
      events.push(["rename", from, to]);
      await actual.rename(from, to);
    },
  };
});

describe("replaceFolder", () => {
  it("flushes every file, then every folder, deepest first, then the new set itself, all before it takes the target's name", async () => {
    const target = join(temporaryFolder(), "tables");
    // More files than are flushed at once, at several depths.
    const files = Array.from({ length: 40 }, (_, n) => join(`t${n % 3}`, `year=${2020 + (n % 4)}`, `month=${n % 12}`, `f${n}.parquet`));
    let fresh = "";
    await replaceFolder(
      target,
      () => true,
      async (folder) => {
        fresh = folder;
        for (const file of [...files, "top.json"]) {
          mkdirSync(dirname(join(folder, file)), { recursive: true });
          writeFileSync(join(folder, file), file);
        }
      },
    );
    expect(readdirSync(target, { recursive: true }).filter((path) => String(path).includes(".")).length).toBe(files.length + 1);
    expect(readFileSync(join(target, files[7]!), "utf8")).toBe(files[7]);

    const firstRename = events.findIndex(([kind, from]) => kind === "rename" && from === fresh);
    expect(firstRename).toBeGreaterThan(0);
    const synced = events.slice(0, firstRename).map(([, path]) => relative(fresh, path!));
    const folders = new Set(
      files.flatMap((file) =>
        file
          .split(sep)
          .slice(0, -1)
          .map((_, depth, parts) => parts.slice(0, depth + 1).join(sep)),
      ),
    );
    expect(new Set(synced)).toEqual(new Set(["", "top.json", ...files, ...folders]));
    expect(synced.length).toBe(1 + 1 + files.length + folders.size);
    expect(synced.at(-1)).toBe("");
    // A file before its folder, a folder before the folder holding it.
    for (const [index, path] of synced.entries()) {
      if (path === "") continue;
      expect(synced.indexOf(dirname(path) === "." ? "" : dirname(path)), path).toBeGreaterThan(index);
    }
  });
});
