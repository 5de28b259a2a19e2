/**
 * `npm run prepare`, which npm runs on `npm install` in a clone and on `npm pack`: compiles the command into `lib/`
 * (tsconfig.build.json) for plain Node, and records beside the compiled pipeline the ingest cache's version of the
 * sources it came from (loaders/ingest-cache.ts).
 */
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { COMPILED_VERSION_FILE, ingestVersion } from "../loaders/ingest/ingest-cache.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const output = join(root, "lib");

rmSync(output, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
writeFileSync(join(output, "loaders", "ingest", COMPILED_VERSION_FILE), ingestVersion());
