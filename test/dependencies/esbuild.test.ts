import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** Every copy of `name` installed under `folder`'s node_modules, nested ones included, with its version. */
function installed(name: string, folder = "node_modules"): { path: string; version: string }[] {
  const found: { path: string; version: string }[] = [];
  const walk = (modules: string) => {
    let entries: string[];
    try {
      entries = readdirSync(modules);
    } catch {
      return;
    }
    for (const entry of entries) {
      const packages = entry.startsWith("@") ? readdirSync(join(modules, entry)).map((child) => join(entry, child)) : [entry];
      for (const pkg of packages) {
        const path = join(modules, pkg);
        if (pkg === name) found.push({ path, version: (JSON.parse(readFileSync(join(path, "package.json"), "utf8")) as { version: string }).version });
        walk(join(path, "node_modules"));
      }
    }
  };
  walk(folder);
  return found;
}

describe("dependencies", () => {
  it("hold no esbuild older than 0.28.1 (GHSA-gv7w-rqvm-qjhr), Framework's included, through the override", () => {
    const copies = installed("esbuild");
    expect(copies.length).toBeGreaterThan(0);
    for (const { path, version } of copies) {
      const [major, minor, patch] = version.split(".").map(Number) as [number, number, number];
      expect(major > 0 || minor > 28 || (minor === 28 && patch >= 1), `${path} is ${version}`).toBe(true);
    }
  });
});
