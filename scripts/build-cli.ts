/**
 * `npm run prepare`, which npm runs on `npm install` in a clone and on `npm pack`: bundles the command into `lib/` for
 * plain Node, one module for the command (`lib/accounting.js`) and one for the fold's worker thread
 * (`lib/fold-worker.js`, started by its file's URL), each holding the modules of `cli/` and `loaders/` it imports and
 * the JavaScript of its dependencies; only DuckDB's native bindings are loaded from `node_modules`. Writes beside them
 * the licenses of the libraries bundled (`lib/licenses.txt`: their notices must travel with their code) and the ingest
 * cache's version of the sources they came from (loaders/ingest-cache.ts).
 *
 * One module instead of a tree of them: Node resolves, reads and links each module of a tree at every start, and
 * scans each CommonJS one for its exports (DuckDB's API, cli-table3, stream-json), about 0.2 s of a command's start
 * here (BENCHMARKS.md).
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { COMPILED_VERSION_FILE, ingestVersion } from "../loaders/ingest/ingest-cache.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const output = join(root, "lib");

/** The folder of each package whose modules are in the bundles, from esbuild's list of the files it read. */
function bundledPackages(inputs: string[]): string[] {
  const folders = inputs.map((path) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1]).filter((folder) => folder !== undefined);
  return [...new Set(folders)].sort();
}

/** Each bundled package's name, version and license, with the text of its license file (which each must have). */
function licenses(packages: string[]): string {
  const notices = packages.map((folder) => {
    const { name, version, license } = JSON.parse(readFileSync(join(root, folder, "package.json"), "utf8")) as Record<string, string>;
    const file = readdirSync(join(root, folder)).find((entry) => /^(licen[cs]e|copying)([-.][\w.-]+)?$/i.test(entry));
    // Without its license file, its notice is unknown: someone must look before it ships.
    if (file === undefined) throw new Error(`${name} ${version}, bundled into the command, has no license file`);
    return `${name} ${version} (${license})\n\n${readFileSync(join(root, folder, file), "utf8").trim()}\n`;
  });
  return `The libraries bundled into accounting.js and fold-worker.js, and their licenses.\n\n${notices.join(`\n${"-".repeat(80)}\n\n`)}`;
}

rmSync(output, { recursive: true, force: true });
const { metafile } = await build({
  entryPoints: { accounting: join(root, "cli", "main.ts"), "fold-worker": join(root, "loaders", "sources", "nomad", "fold-worker.ts") },
  absWorkingDir: root,
  outdir: output,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // The native library and its loader, which picks the build for the platform at run time.
  external: ["@duckdb/node-bindings"],
  // The CommonJS modules bundled call `require` for Node's own modules and DuckDB's bindings.
  banner: { js: 'import { createRequire as __accountingRequire } from "node:module";\nconst require = __accountingRequire(import.meta.url);' },
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});
writeFileSync(join(output, "licenses.txt"), licenses(bundledPackages(Object.keys(metafile.inputs))));
writeFileSync(join(output, COMPILED_VERSION_FILE), ingestVersion());
