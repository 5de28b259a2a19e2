import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { frameworkClientPackages, NOT_INSTALLED, pinFrameworkClientImports } from "../../../loaders/site/framework-offline.js";
import { temporaryFolder } from "../../helpers/archive.js";

// Framework's own resolver, as its build calls it for the client's imports.
const { resolveNpmImport } = (await import("@observablehq/framework/dist/npm.js" as string)) as {
  resolveNpmImport(root: string, specifier: string): Promise<string>;
};

const installed = (name: string) => (JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8")) as { version: string }).version;

describe("pinFrameworkClientImports", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("finds the libraries Framework's client imports, React among them", () => {
    const packages = frameworkClientPackages();
    expect(packages).toEqual(expect.arrayContaining(["react-dom", "@observablehq/plot", "@duckdb/duckdb-wasm", "d3-dsv"]));
    expect(packages.every((name) => /^(@[\w.-]+\/)?[\w.-]+$/.test(name))).toBe(true);
  });

  it("lets Framework resolve every one of them with no network, at the version node_modules holds", async () => {
    const root = temporaryFolder("framework-root-");
    pinFrameworkClientImports(root);
    const fetch = vi.fn(() => Promise.reject(new Error("no network in this test")));
    vi.stubGlobal("fetch", fetch);
    for (const name of frameworkClientPackages()) {
      expect(await resolveNpmImport(root, name), name).toMatch(new RegExp(`^/_npm/${name.replace(/[.]/g, "\\.")}@[^/]+/`));
    }
    expect(fetch).not.toHaveBeenCalled();
    expect(await resolveNpmImport(root, "@observablehq/plot")).toBe(`/_npm/@observablehq/plot@${installed("@observablehq/plot")}/_esm.js`);
    expect(await resolveNpmImport(root, "react-dom")).toBe(`/_npm/react-dom@${NOT_INSTALLED}/client._esm.js`);
  });

  it("keeps a version the cache already has, and makes nothing twice", () => {
    const root = temporaryFolder("framework-root-");
    mkdirSync(join(root, ".observablehq", "cache", "_npm", "react-dom@19.0.0"), { recursive: true });
    const made = pinFrameworkClientImports(root);
    expect(made.some((folder) => folder.startsWith("react-dom@"))).toBe(false);
    expect(made.length).toBe(frameworkClientPackages().length - 1);
    expect(pinFrameworkClientImports(root)).toEqual([]);
  });
});
