import { printPage } from "./reports/print-page.js";

/*
 * The accounting page: written with the period pages by reports/pages.ts, the numbers of its default period (the whole
 * archive) computed at build time; another period is computed in the browser.
 */
await printPage("accounting");
