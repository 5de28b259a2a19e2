import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { ingestVersion } from "../../loaders/ingest/ingest-cache.js";
import { temporaryFolder } from "../helpers/archive.js";
import { runCli } from "../helpers/cli.js";
import { REFERENCE_ARCHIVE } from "../helpers/reference.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

/** npm's errors when the registry cannot be reached. */
const NO_NETWORK = /npm error code (EAI_AGAIN|ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENOTCACHED)/;

/**
 * SLOW (about 15 s, under a minute): the command as a user installs it. `npm pack` compiles it (npm's prepare, which
 * rewrites this clone's lib/), and the tarball is installed in an empty folder from npm's cache, which `npm ci`
 * filled. Without the registry, and a dependency missing from the cache, these tests are skipped.
 */
describe("the packed command, installed from its tarball", { timeout: 60_000 }, () => {
  const folder = temporaryFolder("accounting-install-");
  const installed = join(folder, "node_modules", "cluster-accounting");
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

  it("holds the compiled command, its README and arquero with its dependencies (flechette pinned to the version it works with), no sources, tests, fixtures or sample archive", () => {
    const own = packed.filter((path) => !path.startsWith("node_modules/"));
    for (const path of own) expect(path).toMatch(/^(package\.json|README\.md|bin\/accounting\.js|lib\/(cli|loaders(\/[\w-]+)*)\/[\w-]+\.(js|txt))$/);
    const bundled = new Set(
      packed
        .filter((path) => path.startsWith("node_modules/"))
        .map((path) =>
          path
            .split("/")
            .slice(1, path.split("/")[1]!.startsWith("@") ? 3 : 2)
            .join("/"),
        ),
    );
    expect([...bundled].sort()).toEqual(["@uwdata/flechette", "acorn", "arquero"]);
    expect(packed).toEqual(
      expect.arrayContaining(["bin/accounting.js", "lib/cli/main.js", "lib/loaders/sources/nomad/fold-worker.js", "lib/loaders/ingest/ingest-version.txt"]),
    );
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

  it("folds in worker threads as plain JavaScript, with no tsx installed", async ({ skip }) => {
    if (unavailable) skip(unavailable);
    await expect(node('import("tsx/esm/api")')).rejects.toThrow(/Cannot find package 'tsx'/);
    const lib = (module: string) => JSON.stringify(join(installed, "lib", "loaders", module));
    const { stdout } = await node(`
      import { isDeepStrictEqual } from "node:util";
      const { listSnapshotFiles } = await import(${lib("sources/nomad/archive.js")});
      const { foldArchive } = await import(${lib("sources/nomad/parallel-fold.js")});
      const { foldSnapshots } = await import(${lib("sources/nomad/fold.js")});
      const { files } = await listSnapshotFiles(${JSON.stringify(REFERENCE_ARCHIVE)});
      const threads = await foldArchive(${JSON.stringify(REFERENCE_ARCHIVE)}, files, { threads: 2, minFilesPerThread: 1 });
      console.log(isDeepStrictEqual(threads, foldSnapshots(${JSON.stringify(REFERENCE_ARCHIVE)}, files)), threads.intervals.length);`);
    expect(stdout).toBe("true 570\n");
  });

  it("shares the ingest cache with the sources it was compiled from", async ({ skip }) => {
    if (unavailable) skip(unavailable);
    const { stdout } = await node(
      `const { ingestVersion } = await import(${JSON.stringify(join(installed, "lib", "loaders", "ingest", "ingest-cache.js"))}); console.log(ingestVersion());`,
    );
    expect(stdout).toBe(`${ingestVersion()}\n`);
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
