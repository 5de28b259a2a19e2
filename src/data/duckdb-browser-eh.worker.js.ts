import { writeDuckdbAsset } from "../loaders/site/site-data.js";

await writeDuckdbAsset("duckdb-browser-eh.worker.js", process.stdout);
