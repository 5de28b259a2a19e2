import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance } from "@duckdb/node-api";
import { CACHE_FILE, ingestVersion } from "../../loaders/ingest/ingest-cache.js";
import { generateArchive } from "../../scripts/archive-generator.js";
import { temporaryFolder } from "../helpers/archive.js";
import { runCli } from "../helpers/cli.js";
import { REFERENCE_ARCHIVE } from "../helpers/reference.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

/** npm's errors when the registry cannot be reached. */
const NO_NETWORK = /npm error code (EAI_AGAIN|ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENOTCACHED)/;

/**
 * SLOW (about 15 s, under a minute): the command as a user installs it. `npm pack` bundles it (npm's prepare, which
 * rewrites this clone's lib/), and the tarball is installed in an empty folder from npm's cache, which `npm ci`
 * filled. Without the registry, and a dependency missing from the cache, these tests are skipped.
 */
describe("the packed command, installed from its tarball", { timeout: 60_000 }, () => {
  const folder = temporaryFolder("accounting-install-");
  let packed: string[] = [];
  let unavailable: string | undefined;

  beforeAll(async () => {
    const pack = await run("npm", ["pack", "--json", "--pack-destination", folder], { cwd: ROOT });
    const [tarball] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    packed = tarball!.files.map((file) => file.path);
    writeFileSync(join(folder, "package.json"), "{}");
    const install = ["install", "--prefer-offline", "--fetch-retries=0", "--no-audit", "--no-fund", join(folder, tarball!.filename)];
    await run("npm", install, { cwd: folder }).catch((error: { stderr: string }) => {
      const offline = NO_NETWORK.exec(error.stderr);
      if (!offline) throw error;
      unavailable = `npm install of the packed tarball needs the registry, which cannot be reached (${offline[1]})`;
    });
  }, 60_000);

  const accounting = (...args: string[]) => run(join(folder, "node_modules", ".bin", "accounting"), args, { cwd: folder });
  /** Runs a module in the install folder (a file: workers inherit `--input-type`, which only an eval may have). */
  const node = (script: string) => {
    const path = join(folder, "script.mjs");
    writeFileSync(path, script);
    return run("node", [path], { cwd: folder });
  };

  it("holds the bundled command and its README, no sources, tests, fixtures, sample archive or dependency", () => {
    expect(packed.sort()).toEqual([
      "README.md",
      "bin/accounting.js",
      "lib/accounting.js",
      "lib/fold-worker.js",
      "lib/ingest-version.txt",
      "lib/licenses.txt",
      "package.json",
    ]);
  });

  it("names the license of every library its bundles hold, with its text", ({ skip }) => {
    if (unavailable) skip(unavailable);
    const lib = join(folder, "node_modules", "cluster-accounting", "lib");
    const licenses = readFileSync(join(lib, "licenses.txt"), "utf8");
    // esbuild heads each module it bundles with a comment naming its file.
    const bundled = new Set(
      ["accounting.js", "fold-worker.js"].flatMap((bundle) =>
        [...readFileSync(join(lib, bundle), "utf8").matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((match) => match[1]!),
      ),
    );
    expect([...bundled]).toEqual(expect.arrayContaining(["arquero", "@uwdata/flechette", "@duckdb/node-api", "cli-table3", "stream-json"]));
    for (const name of bundled) {
      const { version, license } = JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as Record<string, string>;
      expect(licenses).toContain(`\n${name} ${version} (${license})\n`);
    }
    expect(licenses).toContain("Copyright (c) 2020-2024, UW Interactive Data Lab");
  });

  it("installs DuckDB's native bindings as its only dependency, with nothing else beside it", ({ skip }) => {
    if (unavailable) skip(unavailable);
    const dependencies = readdirSync(join(folder, "node_modules"), { withFileTypes: true }).flatMap((entry) =>
      entry.name.startsWith("@") ? readdirSync(join(folder, "node_modules", entry.name)).map((name) => `${entry.name}/${name}`) : [entry.name],
    );
    expect(dependencies.filter((name) => !name.startsWith("@duckdb/node-bindings") && name !== ".package-lock.json" && name !== ".bin").sort()).toEqual([
      "cluster-accounting",
      "detect-libc",
    ]);
  });

  it("prints its version", async ({ skip }) => {
    if (unavailable) skip(unavailable);
    expect(await accounting("--version")).toEqual({ stdout: `${version}\n`, stderr: "" });
  });

  it("reports what the command reports in process", async ({ skip }) => {
    if (unavailable) skip(unavailable);
    const args = ["report", "--archive", REFERENCE_ARCHIVE, "--format", "json", "--no-cache"];
    const [packedRun, inProcess] = [await accounting(...args), await runCli(args)];
    expect(JSON.parse(packedRun.stdout)).toEqual(JSON.parse(inProcess.stdout));
    expect(JSON.parse(packedRun.stdout).total.jobs).toBe(548);
    expect(packedRun.stderr).toBe(inProcess.stderr);
  });

  it("fails with one line and no stack trace, and names the default archive when it is missing", async ({ skip }) => {
    if (unavailable) skip(unavailable);
    const failed = await accounting("report", "--mode", "x").catch((error) => error);
    expect([failed.code, failed.stderr]).toEqual([2, 'accounting: --mode must be exact or compat, not "x"\n']);
    const noArchive = await accounting("report").catch((error) => error);
    expect([noArchive.code, noArchive.stderr]).toEqual([
      2,
      "accounting: archive not found: data/sample (the default archive: name yours with --archive DIR)\n",
    ]);
  });

  it("folds in worker threads as plain JavaScript, with no tsx installed, and reports what the sources report", async ({ skip }) => {
    if (unavailable) skip(unavailable);
    if (availableParallelism() < 2) skip("this machine runs one thread at a time: the fold starts no worker");
    await expect(node('import("tsx/esm/api")')).rejects.toThrow(/Cannot find package 'tsx'/);
    // 480 snapshots: read by as many threads as the machine has cores (400 files or more).
    const archive = temporaryFolder();
    await generateArchive(archive, { seed: 3, start: "2024-01-01", days: 120, snapshotHours: 6, namespaces: ["vo", "other"], jobsPerNamespace: 4 });
    const args = ["report", "--archive", archive, "--format", "json", "--no-cache", "--quiet"];
    const [packedRun, inProcess] = [await accounting(...args), await runCli(args)];
    expect(packedRun.stderr).toBe("");
    expect(JSON.parse(packedRun.stdout)).toEqual(JSON.parse(inProcess.stdout));
    expect(JSON.parse(packedRun.stdout).total.jobs).toBeGreaterThan(0);
  });

  it("shares the ingest cache with the sources it was bundled from", async ({ skip }) => {
    if (unavailable) skip(unavailable);
    const cache = temporaryFolder();
    await accounting("report", "--archive", REFERENCE_ARCHIVE, "--cache", cache, "--quiet");
    const instance = await DuckDBInstance.create(join(cache, CACHE_FILE), { access_mode: "READ_ONLY" });
    const connection = await instance.connect();
    try {
      const [state] = (await connection.runAndReadAll("SELECT version FROM ingest_state")).getRowObjectsJS();
      expect(state?.version).toBe(ingestVersion());
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});

describe("bin/accounting.js", () => {
  it("says in one line that the command is not compiled when lib/ is missing", async () => {
    const bin = join(temporaryFolder(), "bin");
    mkdirSync(bin);
    copyFileSync(join(ROOT, "bin", "accounting.js"), join(bin, "accounting.js"));
    const failed = await run("node", [join(bin, "accounting.js"), "--version"]).catch((error) => error);
    expect([failed.code, failed.stdout, failed.stderr]).toEqual([
      1,
      "",
      "accounting: the command is not compiled: run npm install, or npm run prepare, in its folder\n",
    ]);
  });
});
