import { writeDuckdbAsset } from "../../loaders/site-data.js";

await writeDuckdbAsset("duckdb-browser-eh.worker.js", process.stdout);
