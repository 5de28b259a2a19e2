/**
 * `npm run prepare`, which npm runs on `npm install` in a clone and on `npm pack`: bundles the command into `lib/` for
 * plain Node, one module for the command (`lib/accounting.js`) and one for the fold's worker thread
 * (`lib/fold-worker.js`, started by its file's URL), each holding the modules of `cli/` and `loaders/` it imports and
 * the JavaScript of its dependencies; only DuckDB's native bindings are loaded from `node_modules`. Records beside
 * them the ingest cache's version of the sources they came from (loaders/ingest-cache.ts).
 *
 * One module instead of a tree of them: Node resolves, reads and links each module of a tree at every start, and
 * scans each CommonJS one for its exports (DuckDB's API, cli-table3, stream-json), about 0.2 s of a command's start
 * here (BENCHMARKS.md).
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { COMPILED_VERSION_FILE, ingestVersion } from "../loaders/ingest/ingest-cache.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const output = join(root, "lib");

rmSync(output, { recursive: true, force: true });
await build({
  entryPoints: { accounting: join(root, "cli", "main.ts"), "fold-worker": join(root, "loaders", "sources", "nomad", "fold-worker.ts") },
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
  logLevel: "warning",
});
writeFileSync(join(output, COMPILED_VERSION_FILE), ingestVersion());
