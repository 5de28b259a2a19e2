/*
 * What the site's data weighs, and what a month's view of it downloads: the site's copy of the tables of an archive
 * (loaders/site/site-data.ts), as a build writes it, measured in bytes. No timing: the sizes are the same at every run.
 *
 *   npx tsx scripts/bench-site-data.ts [--archive DIR]
 *
 * Without --archive, the 2-year archive of `npm run bench` (generated into the system's temporary folder if absent).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { environmentFrom } from "../loaders/ingest/environment.js";
import { cacheFolderFor } from "../loaders/ingest/ingest-cache.js";
import { loadArchive } from "../loaders/ingest/load.js";
import { filesUnder } from "../loaders/site/fingerprint.js";
import { writeSiteTables } from "../loaders/site/site-data.js";
import { MONTHLY_SITE_TABLES } from "../loaders/site/site-tables.js";
import { benchArchive } from "./bench-archives.js";
import { siteDataSizes, siteDataTable } from "./site-data-sizes.js";

const { values } = parseArgs({ options: { archive: { type: "string" } }, strict: true });
const archive = values.archive ?? (await benchArchive({ jobs: 1, length: 1 }));

const database = await loadArchive(archive, {
  cache: cacheFolderFor(archive, environmentFrom(process.env)),
  users: { pseudonymKey: "0123456789abcdef0123456789abcdef", private: false },
});
const folder = mkdtempSync(join(tmpdir(), "accounting-site-data-"));
try {
  const manifest = await writeSiteTables(database, folder);
  const monthly = new Set(Object.values(manifest.months).flatMap((tables) => Object.values(tables)));
  const whole = filesUnder(folder).filter((path) => !monthly.has(path.slice(folder.length + 1)));
  const sizes = siteDataSizes(whole, manifest, folder);
  const [rows] = (await database.query<{ intervals: number }>("SELECT count(*)::INTEGER AS intervals FROM intervals")) as [{ intervals: number }];
  console.log(`Archive: ${archive}; ${sizes.months.length} months, ${rows.intervals} intervals.`);
  console.log("");
  for (const line of siteDataTable(
    sizes,
    MONTHLY_SITE_TABLES.map((table) => table.name),
  ))
    console.log(line);
} finally {
  database.close();
  rmSync(folder, { recursive: true, force: true });
}
