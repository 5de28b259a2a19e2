import { readKnownIssues } from "../loaders/ingest/known-issues.js";
import { siteBuildFrom } from "../loaders/site/site-data.js";

process.stdout.write(JSON.stringify(await readKnownIssues(siteBuildFrom(process.env, () => {}).knownIssues)));
