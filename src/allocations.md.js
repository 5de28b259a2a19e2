import { printPage } from "./reports/print-page.js";

/* The allocations page: written with the period pages by reports/pages.ts, which loads the archive once for all. */
await printPage("allocations");
