import { siteBuildFrom, writeSiteData } from "../../loaders/site-data.js";

await writeSiteData(siteBuildFrom(process.env, (message) => process.stderr.write(`warning: ${message}\n`)), process.stdout);
