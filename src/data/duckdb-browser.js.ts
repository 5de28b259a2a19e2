import { writeDuckdbModule } from "../loaders/site/site-data.js";

await writeDuckdbModule(process.stdout);
