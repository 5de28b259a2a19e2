import { readKnownIssues } from "../../loaders/known-issues.js";
import { siteBuildFrom } from "../../loaders/site-data.js";

process.stdout.write(JSON.stringify(await readKnownIssues(siteBuildFrom(process.env, () => {}).knownIssues)));
