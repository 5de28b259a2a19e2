/*
 * What the site's data weighs, and what a month's view of it downloads (scripts/bench-site-data.ts, scripts/bench.ts):
 * the files the browser fetches whole, and each month's files of the monthly tables (loaders/site/site-tables.ts).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { SiteManifest } from "../loaders/site/site-tables.js";
import { median } from "./statistics.js";

export interface SiteDataSizes {
  /** Files every page that opens DuckDB-WASM fetches whole (tables, the monthly tables' columns, the manifest). */
  wholeFiles: number;
  wholeBytes: number;
  /** The problems table, which the quality page alone fetches (src/components/database.ts, TABLES_ON_DEMAND). */
  problemsBytes: number;
  /** Bytes of each month's files, in the manifest's order. */
  months: { month: string; bytes: number }[];
}

/** The sizes of the files `whole` and of each month's files of `manifest`, its paths relative to `monthsFolder`. */
export function siteDataSizes(whole: string[], manifest: SiteManifest, monthsFolder: string): SiteDataSizes {
  const size = (path: string) => statSync(path).size;
  const problems = (path: string) => /(^|\/)problems(\.[0-9a-f]+)?\.parquet$/.test(path);
  const always = whole.filter((path) => !problems(path));
  return {
    wholeFiles: always.length,
    wholeBytes: always.reduce((sum, path) => sum + size(path), 0),
    problemsBytes: whole.filter(problems).reduce((sum, path) => sum + size(path), 0),
    months: Object.entries(manifest.months).map(([month, tables]) => ({
      month,
      bytes: Object.values(tables).reduce((sum, path) => sum + size(join(monthsFolder, path)), 0),
    })),
  };
}

/** The sizes of a built site's data (`npm run build`'s dist/): whole files under `_file/`, months under `data/`. */
export function builtSiteDataSizes(dist: string): SiteDataSizes {
  const folder = join(dist, "_file", "data", "accounting");
  const whole = readdirSync(folder).map((name) => join(folder, name));
  const manifest = whole.find((path) => /\/manifest\.[0-9a-f]+\.json$/.test(path));
  if (manifest === undefined) throw new Error(`${folder} holds no manifest`);
  return siteDataSizes(whole, JSON.parse(readFileSync(manifest, "utf8")) as SiteManifest, join(dist, "data", "accounting"));
}

/** Bytes of every month's files, of the median month's and of the largest month's. */
function monthlyBytes(sizes: SiteDataSizes): { all: number; median: number; largest: { month: string; bytes: number } } {
  return {
    all: sizes.months.reduce((sum, month) => sum + month.bytes, 0),
    median: median(sizes.months.map((month) => month.bytes)),
    largest: sizes.months.reduce((found, month) => (month.bytes > found.bytes ? month : found)),
  };
}

/** The table of BENCHMARKS.md's "A month's view" section, as Markdown lines. */
export function siteDataTable(sizes: SiteDataSizes, monthlyTables: string[]): string[] {
  const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
  const { all, median: middle, largest } = monthlyBytes(sizes);
  const share = (bytes: number) => `${((100 * bytes) / all).toFixed(1)}%`;
  return [
    "| what | bytes | share of every month's files |",
    "|---|---|---|",
    `| tables fetched whole (${sizes.wholeFiles} files, manifest included) | ${kB(sizes.wholeBytes)} | |`,
    `| the problems table, fetched by the quality page alone | ${kB(sizes.problemsBytes)} | |`,
    `| every month's files (${monthlyTables.join(", ")}) | ${kB(all)} | 100% |`,
    `| a month's files, median month | ${kB(middle)} | ${share(middle)} |`,
    `| a month's files, largest (${largest.month}) | ${kB(largest.bytes)} | ${share(largest.bytes)} |`,
    `| a month's view, median month: whole tables and its files | ${kB(sizes.wholeBytes + middle)} | |`,
    `| the whole archive's view: whole tables and every month | ${kB(sizes.wholeBytes + all)} | |`,
  ];
}
