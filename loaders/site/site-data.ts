import { createReadStream, readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { pipeline } from "node:stream/promises";
import { pack } from "tar-stream";
import { filesWrittenBy, linkKept, type AccountingDatabase } from "../ingest/database.js";
import { createFileHasher } from "../sources/nomad/archive.js";
import { contentFingerprint, filesUnder } from "./fingerprint.js";
import { cacheFolderFor } from "../ingest/ingest-cache.js";
import { knownIssuesPath } from "../ingest/known-issues.js";
import { environmentFrom, VARIABLES } from "../ingest/environment.js";
import { pseudonymKeyFrom } from "../ingest/pseudonym.js";
import { rowChecksumSql, sqlIdentifier as quote, sqlString, utcSql } from "../queries/sql.js";
import { CREATE_SITE_NUMBERS, DROP_SITE_NUMBERS, MONTHLY_SITE_TABLES, SITE_TABLES, type SiteManifest } from "./site-tables.js";

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

const PARQUET = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 9, PARQUET_VERSION v2";

/** The month (`year * 12 + month - 1`) of an instant, in UTC whatever the session's time zone. */
const monthOf = (time: string) => `(year(${utcSql(time)}) * 12 + month(${utcSql(time)}) - 1)`;

/**
 * The months' files of the last writeSiteTables into a folder, `months.json` beside them: for each monthly table,
 * `writer`, what its files' bytes depend on besides their rows (DuckDB's version, the options, the table's columns),
 * and by month (`year=2024/month=11`) the file and the checksum of the rows it holds (their count and the sum of their
 * hashes). A file whose rows and writer are the same is the file a new COPY would write, byte for byte (its rows in the
 * order of their key, a total one), as long as its bytes still hash to its name.
 */
const MONTHS_RECORD = "months.json";

type MonthsRecord = Record<string, { writer: string; files: Record<string, { rows: string; file: string }> }>;

/** The months of `table` in the record in `folder`, if it has one this writer can use. */
async function readMonthsRecord(folder: string | undefined, table: string, writer: string): Promise<MonthsRecord[string]["files"]> {
  if (folder === undefined) return {};
  const record = (await readFile(join(folder, MONTHS_RECORD), "utf8").then(JSON.parse, () => undefined)) as Partial<MonthsRecord> | undefined;
  return filesWrittenBy(record?.[table], writer);
}

/** The first 16 hexadecimal digits of a SHA-256: a file's name in the site's data, of its bytes' hash. */
const contentName = (sha256: string) => `${sha256.slice(0, 16)}.parquet`;

/**
 * Writes the site's copy of the tables of an archive loaded (loaders/site/site-tables.ts) into the empty `folder`:
 * `<table>.parquet` for the tables shipped whole and the columns of the monthly ones, these Hive-style (`intervals/year=2024/month=11/<hash>.parquet`,
 * named by a hash of their content, so that a browser never mixes the files of two builds), and `manifest.json`; byte
 * for byte the same for the same archive and key. A month's file whose rows the site's data in `previous` (the last
 * build's) already holds is linked from there, not written again: after one new snapshot, the months it touched are
 * written, and the runs' places (`run_order`), which a new run shifts. Format v2 (DELTA_BINARY_PACKED times and ids,
 * RLE_DICTIONARY elsewhere, both decoded by hyparquet), zstd level 9: on the 2-year archive level 19 made the monthly
 * files 0.4% smaller and the whole tables 6% (3.07 MB against 3.08 MB in all) in 1.8 s instead of 1.2 s; at 10 times the
 * jobs, 24 s instead of 14-16 s (3.9 s of it compressing the problems table).
 */
export async function writeSiteTables(database: AccountingDatabase, folder: string, previous?: string): Promise<SiteManifest> {
  const { connection } = database;
  for (const sql of CREATE_SITE_NUMBERS) await connection.run(sql);
  for (const { name, sql } of SITE_TABLES) await connection.run(`COPY (${sql}) TO ${sqlString(join(folder, `${name}.parquet`))} (${PARQUET})`);
  const manifest: SiteManifest = { months: {} };
  for (const { name, sql } of MONTHLY_SITE_TABLES) {
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${quote(`site_${name}`)} AS ${sql}`);
    // No row: the table's columns, as the browser's DuckDB has them before it fetches a month.
    await connection.run(`COPY (SELECT * FROM ${quote(`site_${name}`)} LIMIT 0) TO ${sqlString(join(folder, `${name}.parquet`))} (${PARQUET})`);
  }
  // Every month from a job's first run's beginning to its last run's end, snapshots included.
  await connection.run(`CREATE OR REPLACE TEMP TABLE site_job_months AS
SELECT job_id, unnest(range(first_month, last_month + 1)) AS m
FROM (
  SELECT job_id, min(${monthOf("least(start_time, first_snapshot)")}) AS first_month, max(${monthOf("greatest(end_time, last_snapshot)")}) AS last_month
  FROM site_intervals GROUP BY job_id
)`);
  const [version] = (await connection.runAndReadAll("SELECT version()")).getRowsJS()[0] as [string];
  const record: MonthsRecord = {};
  const sha256 = createFileHasher();
  for (const { name, key } of MONTHLY_SITE_TABLES) {
    const columns = (await connection.runAndReadAll(`DESCRIBE ${quote(`site_${name}`)}`)).getRowObjectsJS().map((row) => [row.column_name, row.column_type]);
    const writer = JSON.stringify([version, PARQUET, columns]);
    const known = await readMonthsRecord(previous, name, writer);
    const files: MonthsRecord[string]["files"] = {};
    record[name] = { writer, files };
    // Each row beside each of its months, grouped by month, in one pass: each month's COPY then reads its own rows (a
    // COPY from the table itself, filtered by the month's jobs, read all of it). A COPY per month: DuckDB's
    // PARTITION_BY keeps no row order within a partition.
    await connection.run(`CREATE OR REPLACE TEMP TABLE site_months AS
SELECT jm.m AS site_month, x.* FROM ${quote(`site_${name}`)} x JOIN site_job_months jm USING (job_id) ORDER BY site_month, ${key.map(quote).join(", ")}`);
    const months = (
      await connection.runAndReadAll(
        `SELECT site_month, ${rowChecksumSql(columns.map(([column]) => quote(String(column))).join(", "))} AS rows FROM site_months GROUP BY site_month ORDER BY site_month`,
      )
    ).getRowsJS();
    for (const [m, rows] of months) {
      const [year, month] = [Math.floor(Number(m) / 12), (Number(m) % 12) + 1];
      const partition = join(name, `year=${year}`, `month=${month}`);
      await mkdir(join(folder, partition), { recursive: true });
      // The last build's file of the month when it holds these rows and its bytes still hash to its name.
      const kept = known[`year=${year}/month=${month}`];
      const keep = previous !== undefined && kept?.rows === String(rows) && kept.file === join(partition, contentName(sha256(join(previous, kept.file))));
      let file: string;
      if (keep) {
        file = kept.file;
        await linkKept(join(previous, file), join(folder, file));
      } else {
        const written = join(folder, partition, "rows.parquet");
        await connection.run(
          `COPY (SELECT * EXCLUDE (site_month) FROM site_months WHERE site_month = ${String(m)} ORDER BY ${key.map(quote).join(", ")}) TO ${sqlString(written)} (${PARQUET})`,
        );
        file = join(partition, contentName(sha256(written)));
        await rename(written, join(folder, file));
      }
      files[`year=${year}/month=${month}`] = { rows: String(rows), file };
      (manifest.months[`${year}-${String(month).padStart(2, "0")}`] ??= { intervals: "", jobs: "", run_order: "" })[name] = file;
    }
    await connection.run(`DROP TABLE ${quote(`site_${name}`)}`);
    await connection.run("DROP TABLE site_months");
  }
  for (const sql of ["DROP TABLE site_job_months", ...DROP_SITE_NUMBERS]) await connection.run(sql);
  await writeFile(join(folder, MANIFEST), JSON.stringify(manifest));
  await writeFile(join(folder, MONTHS_RECORD), JSON.stringify(record));
  return manifest;
}

/** The site data's list of files, beside them. */
export const MANIFEST = "manifest.json";

/** Writes the files under `folder` (writeSiteTables) but its record to `output` as one tar, in the order of their paths, dated 1970. */
export async function packSiteTables(folder: string, output: Output): Promise<void> {
  const tar = pack();
  const done = pipeline(tar, output);
  for (const path of filesUnder(folder).filter((path) => relative(folder, path) !== MONTHS_RECORD)) {
    tar.entry({ name: relative(folder, path), mtime: new Date(0), uid: 0, gid: 0, mode: 0o644 }, await readFile(path));
  }
  tar.finalize();
  await done;
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
