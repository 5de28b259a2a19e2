/*
 * What the site's data weighs, and what a month's view of it downloads: the site's copy of the tables of an archive
 * (loaders/site/site-data.ts), as a build writes it, measured in bytes. No timing: the sizes are the same at every run.
 *
 *   npx tsx scripts/bench-site-data.ts [--archive DIR]
 *
 * Without --archive, the 2-year archive of `npm run bench` (generated into the system's temporary folder if absent).
 */
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { environmentFrom } from "../loaders/ingest/environment.js";
import { cacheFolderFor } from "../loaders/ingest/ingest-cache.js";
import { loadArchive } from "../loaders/ingest/load.js";
import { filesUnder } from "../loaders/site/fingerprint.js";
import { writeSiteTables } from "../loaders/site/site-data.js";
import { MONTHLY_SITE_TABLES } from "../loaders/site/site-tables.js";
import { generateArchive } from "./archive-generator.js";
import { median } from "./statistics.js";

const TWO_YEARS = { seed: 42, start: "2023-01-01", days: 730, jobsPerNamespace: 120 };
const { values } = parseArgs({ options: { archive: { type: "string" } }, strict: true });
const archive = values.archive ?? join(tmpdir(), "accounting-bench-2y");
if (values.archive === undefined && !existsSync(join(archive, "snapshots"))) {
  process.stderr.write(`generating the 2-year archive into ${archive}…\n`);
  await generateArchive(archive, TWO_YEARS);
}

const database = await loadArchive(archive, {
  cache: cacheFolderFor(archive, environmentFrom(process.env)),
  users: { pseudonymKey: "0123456789abcdef0123456789abcdef", private: false },
});
const folder = mkdtempSync(join(tmpdir(), "accounting-site-data-"));
try {
  const manifest = await writeSiteTables(database, folder);
  const size = (path: string) => statSync(join(folder, path)).size;
  const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
  const monthly = new Set(Object.values(manifest.months).flatMap((tables) => Object.values(tables)));
  const whole = filesUnder(folder).filter((path) => !monthly.has(path.slice(folder.length + 1)));
  const wholeBytes = whole.reduce((sum, path) => sum + statSync(path).size, 0);
  const months = Object.entries(manifest.months).map(([month, tables]) => ({ month, bytes: Object.values(tables).reduce((sum, path) => sum + size(path), 0) }));
  const allMonths = months.reduce((sum, month) => sum + month.bytes, 0);
  const [rows] = (await database.query<{ intervals: number }>("SELECT count(*)::INTEGER AS intervals FROM intervals")) as [{ intervals: number }];
  console.log(`Archive: ${archive}; ${months.length} months, ${rows.intervals} intervals.`);
  console.log("");
  console.log("| what | bytes | share of every month's files |");
  console.log("|---|---|---|");
  console.log(`| tables fetched whole (${whole.length} files, manifest included) | ${kB(wholeBytes)} | |`);
  console.log(`| every month's files (${MONTHLY_SITE_TABLES.map((table) => table.name).join(", ")}) | ${kB(allMonths)} | 100% |`);
  const middle = median(months.map((month) => month.bytes));
  console.log(`| a month's files, median month | ${kB(middle)} | ${((100 * middle) / allMonths).toFixed(1)}% |`);
  const largest = months.reduce((found, month) => (month.bytes > found.bytes ? month : found));
  console.log(`| a month's files, largest (${largest.month}) | ${kB(largest.bytes)} | ${((100 * largest.bytes) / allMonths).toFixed(1)}% |`);
  console.log(`| a month's view, median month: whole tables and its files | ${kB(wholeBytes + middle)} | |`);
  console.log(`| the whole archive's view: whole tables and every month | ${kB(wholeBytes + allMonths)} | |`);
} finally {
  database.close();
  rmSync(folder, { recursive: true, force: true });
}
