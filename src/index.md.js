import { printPage } from "./reports/print-page.js";

/* The overview: written with the period pages by reports/pages.ts, its headline numbers computed at build time. */
await printPage("overview");
