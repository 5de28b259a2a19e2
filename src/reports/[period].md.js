import { parseArgs } from "node:util";
import { printPage } from "./print-page.js";

/*
 * The page of one period (`--period=2024-11`, `2024-Q4` or `2024`), or the list of them (`/reports/`, whose parameter
 * is `index`): written with every other by pages.ts (print-page.js). A name that is no period's gives the page saying
 * there is no report for it.
 */
const NAME = /^(index|\d{4}(-\d{2}|-Q[1-4])?)$/;

const name = String(parseArgs({ options: { period: { type: "string" } }, strict: false }).values.period ?? "index");
await printPage(NAME.test(name) ? name : "missing");
