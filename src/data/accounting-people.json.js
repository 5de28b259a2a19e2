import { printPage } from "../reports/print-page.js";

/* The users and jobs of the accounting page's default period: computed at build time with its numbers (reports/pages.ts). */
await printPage("accounting-people.json");
