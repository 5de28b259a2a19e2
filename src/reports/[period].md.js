import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

/*
 * The page of one period (`--period=2024-11`, `2024-Q4` or `2024`), or the list of them (`/reports/`, whose parameter is `index`): every page
 * is written at once by pages.ts, which loads the archive once; this prints the one asked, and has pages.ts write
 * them all first when they are not there (the first period page of a build). Plain JavaScript, run by node: a build
 * runs it once per period, and node starts in a fraction of the time tsx takes.
 */

/** What pages.ts writes: a name of a page is a period's or `index`, nothing else. */
const PAGES = new URL("../.observablehq/cache/reports/.pages/", import.meta.url);
const NAME = /^(index|\d{4}(-\d{2}|-Q[1-4])?)$/;

const name = parseArgs({ options: { period: { type: "string" } }, strict: false }).values.period ?? "index";
const page = NAME.test(String(name)) ? await readFile(new URL(`${name}.md`, PAGES), "utf8").catch(() => undefined) : undefined;
if (page === undefined) {
  // The pipeline's TypeScript, as tsx runs the site's data loaders: registered for the whole process, so that each
  // module's URL is its file's (loaders/ingest/compiled.ts).
  const { register } = await import("tsx/esm/api");
  register();
  const { printPeriodPage } = await import("./pages.ts");
  await printPeriodPage(String(name));
} else process.stdout.write(page);
