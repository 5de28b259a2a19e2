import { writeDuckdbAsset } from "../loaders/site/site-data.js";

await writeDuckdbAsset("duckdb-eh.wasm", process.stdout);
