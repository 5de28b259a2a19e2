import { writeDuckdbAsset } from "../../loaders/site-data.js";

await writeDuckdbAsset("duckdb-eh.wasm", process.stdout);
