import { printPage } from "./print-page.js";

/*
 * The page of one period named by the first argument (checked by `[period].md.sh`, the page loader, which runs this
 * when the pages are not written yet): written with every other by pages.ts (print-page.js).
 */
await printPage(process.argv[2] ?? "missing");
