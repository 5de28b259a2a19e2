import { siteBuildFrom, writeSiteData } from "../../loaders/site-data.js";

const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);
await writeSiteData(siteBuildFrom(process.env, warn), process.stdout, warn);
