import { createReadStream, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { pipeline } from "node:stream/promises";
import { pack } from "tar-stream";
import { loadArchive } from "../ingest/load.js";
import { assertUsableArchive, writeSiteParquet } from "../ingest/database.js";
import { contentFingerprint } from "./fingerprint.js";
import { cacheFolderFor } from "../ingest/ingest-cache.js";
import { knownIssuesPath } from "../ingest/known-issues.js";
import { environmentFrom, VARIABLES } from "../ingest/environment.js";
import { pseudonymKeyFrom } from "../ingest/pseudonym.js";

const DEFAULT_ARCHIVE = "data/sample";
type Output = NodeJS.WritableStream & { write(chunk: Uint8Array | string): boolean };

/** The loader outputs under Framework's cache that depend on the build's inputs other than the pseudonym key. */
export const SITE_DATA_OUTPUTS = ["data/known-issues.json"];

/**
 * The outputs that depend on the archive and the pseudonym key: made anew at every build, from the ingest cache, which
 * reads only what the archive gained (or, with ACCOUNTING_VERIFY_CONTENT=1, changed). `reports`, `allocations.md`,
 * `index.md`, `accounting.md` and `data/accounting-people.json`: the period pages, the allocations page, the overview and
 * the accounting page with the users and jobs of its default period (src/reports/pages.ts), which hold pseudonyms. A fingerprint telling whether
 * the key changed would let anyone holding Framework's cache test guesses of the key.
 */
export const KEYED_SITE_DATA_OUTPUTS = [
  "data/accounting.tar",
  "data/accounting",
  "reports",
  "allocations.md",
  "index.md",
  "accounting.md",
  "data/accounting-people.json",
];

interface SiteBuild {
  archive: string;
  /** The ingest cache's folder (loaders/ingest-cache.ts). */
  cache: string;
  /** The archive's known issues file (it may not exist). */
  knownIssues: string;
  users: { pseudonymKey: string; private: boolean };
  /** Tell the archive's files apart by their content too, in the ingest cache and in the loader's fingerprint. */
  verifyContent: boolean;
}

/** What a site build reads, from its environment (loaders/ingest/environment.ts). */
export function siteBuildFrom(env: Record<string, string | undefined>, warn: (message: string) => void): SiteBuild {
  const environment = environmentFrom(env);
  const key = pseudonymKeyFrom(environment.pseudonymKey);
  if (key.random) warn(`${VARIABLES.pseudonymKey} is not set: pseudonyms are random and change from one build to the next`);
  const archive = environment.archive ?? DEFAULT_ARCHIVE;
  return {
    archive,
    cache: cacheFolderFor(archive, environment),
    knownIssues: knownIssuesPath(archive),
    users: { pseudonymKey: key.key, private: environment.private },
    verifyContent: environment.verifyContent,
  };
}

/**
 * What the site's data Framework may keep between builds (SITE_DATA_OUTPUTS) depends on: the archive's known issues
 * and the pipeline's own code (Framework only looks at the data loader file itself). The tables, which depend on the
 * archive and the key, are made anew at every build (KEYED_SITE_DATA_OUTPUTS), through the ingest cache.
 */
export function siteDataFingerprint(build: SiteBuild): string {
  let knownIssues = "";
  try {
    knownIssues = readFileSync(build.knownIssues, "utf8");
  } catch {
    // no known issues: the loader reads an empty list
  }
  // All of loaders/, every source included: this module is one folder down.
  const pipeline = fileURLToPath(new URL("..", import.meta.url));
  return contentFingerprint([pipeline], [knownIssues]);
}

/**
 * Ingests the archive and writes the site's copy of its tables (loaders/site-tables.ts) to `output` as one tar of
 * Parquet files, byte for byte the same for the same archive. An archive with no usable snapshot is refused
 * (UnusableArchiveError, the command line's message), before anything is written: its pages would have nothing
 * to show.
 */
export async function writeSiteData(build: SiteBuild, output: Output, warn: (message: string) => void): Promise<void> {
  const database = await loadArchive(build.archive, { cache: build.cache, users: build.users, verifyContent: build.verifyContent, onWarning: warn });
  try {
    await assertUsableArchive(database, build.archive);
    const folder = await mkdtemp(join(tmpdir(), "accounting-site-"));
    try {
      const tar = pack();
      const done = pipeline(tar, output);
      for (const path of await writeSiteParquet(database, folder)) {
        tar.entry({ name: basename(path), mtime: new Date(0), uid: 0, gid: 0, mode: 0o644 }, await readFile(path));
      }
      tar.finalize();
      await done;
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  } finally {
    database.close();
  }
}

/** Writes one of the DuckDB-WASM files the browser needs, served from the site itself. */
/**
 * DuckDB-WASM's browser API, only what the pages use (`AsyncDuckDB`, `VoidLogger`), bundled by esbuild with Arrow
 * into one module the site serves itself. Framework would bundle the package's whole entry, which holds a function
 * building CDN URLs (`getJsDelivrBundles`): tree-shaken away here, so no file of the site names a CDN.
 */
export async function writeDuckdbModule(output: Output): Promise<void> {
  const { build } = await import("esbuild");
  const result = await build({
    stdin: { contents: 'export { AsyncDuckDB, VoidLogger } from "@duckdb/duckdb-wasm";', resolveDir: fileURLToPath(new URL(".", import.meta.url)) },
    bundle: true,
    format: "esm",
    platform: "browser",
    minify: true,
    legalComments: "none",
    write: false,
    logLevel: "silent",
  });
  const [file] = result.outputFiles;
  if (!file) throw new Error("esbuild wrote no DuckDB-WASM module");
  // The package embeds its package.json, whose `jsdelivr` and `unpkg` fields name its files on those CDNs: metadata
  // nothing reads, dropped. A later version naming a CDN elsewhere fails the build rather than ship it.
  const text = file.text.replace(/,(jsdelivr|unpkg):"[^"]*"/g, "");
  const cdn = CDN_NAMES.exec(text);
  if (cdn) throw new Error(`the DuckDB-WASM module names a CDN (${cdn[0]}): the site must not`);
  output.write(text);
}

/** Hosts of public CDNs, which no file of the site may name. */
export const CDN_NAMES = /jsdelivr|unpkg|esm\.sh|cdnjs|skypack|googleapis|jspm\.io/i;

export async function writeDuckdbAsset(name: "duckdb-eh.wasm" | "duckdb-browser-eh.worker.js", output: Output): Promise<void> {
  const path = createRequire(import.meta.url).resolve(`@duckdb/duckdb-wasm/dist/${name}`);
  await pipeline(createReadStream(path), output);
}
