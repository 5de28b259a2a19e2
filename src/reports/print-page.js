import { readFile } from "node:fs/promises";

/*
 * What the page loaders of the pages written at build time (`../allocations.md.js`, `../index.md.js`,
 * `../accounting.md.js`, the data loader `../data/accounting-people.json.js`, and `period-page.js` for `[period].md.sh`
 * when the pages are not written yet) share: each prints its page from the folder pages.ts writes them all into at
 * once, loading the archive once, and has pages.ts write them first when they are not there (the first such page of a
 * build). Plain JavaScript, run by node: node starts in a fraction of the time tsx takes.
 */

/** What pages.ts writes. */
const PAGES = new URL("../.observablehq/cache/reports/.pages/", import.meta.url);

/**
 * Prints the page `name` (a period's, `index`, `allocations`, `overview` or `accounting`: the caller checks it is such
 * a name), or the file `accounting-people.json`.
 */
export async function printPage(name) {
  const file = name.endsWith(".json") ? name : `${name}.md`;
  const page = await readFile(new URL(file, PAGES), "utf8").catch(() => undefined);
  if (page !== undefined) return void process.stdout.write(page);
  // The pipeline's TypeScript, as tsx runs the site's data loaders: registered for the whole process, so that each
  // module's URL is its file's (loaders/ingest/compiled.ts).
  const { register } = await import("tsx/esm/api");
  register();
  const { printPeriodPage } = await import("./pages.ts");
  await printPeriodPage(name);
}
