import { dropStaleLoaderOutputs } from "./loaders/site/fingerprint.js";
import { pinFrameworkClientImports } from "./loaders/site/framework-offline.js";
import { KEYED_SITE_DATA_OUTPUTS, SITE_DATA_OUTPUTS, siteBuildFrom, siteDataFingerprint } from "./loaders/site/site-data.js";

// The first build needs no network: Framework would ask the npm registry for its client's libraries.
pinFrameworkClientImports("src");
const build = siteBuildFrom(process.env, () => {});
dropStaleLoaderOutputs("src/.observablehq/cache", SITE_DATA_OUTPUTS, siteDataFingerprint(build), KEYED_SITE_DATA_OUTPUTS);

export default {
  title: "Cluster accounting",
  root: "src",
  pages: [
    { name: "Accounting", path: "/accounting" },
    { name: "Usage over time", path: "/usage" },
    { name: "Breakdowns", path: "/breakdowns" },
    { name: "Data quality", path: "/quality" },
    { name: "Job distributions", path: "/distributions" },
    { name: "Period reports", path: "/reports/" },
    { name: "Allocations", path: "/allocations" },
  ],
  // A page per month, quarter and year the archive reaches, every one written at once with the monthly files of the
  // site's tables, which the browser fetches by name (src/reports/pages.ts).
  async *dynamicPaths() {
    const { dynamicPagePaths } = await import("./src/reports/pages.js");
    yield* await dynamicPagePaths();
  },
  globalStylesheets: [],
  head: '<link rel="icon" href="data:,">',
  style: "style.css",
  search: false,
  header: [
    build.users.private ? '<div class="private-banner">PRIVATE BUILD, for administrators: do not publish it.</div>' : "",
    `<p class="print-only build-info">Cluster accounting, built ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC.</p>`,
  ].join(""),
  footer: "Computed in your browser from the archive of scheduler records; nothing is sent anywhere.",
};
