import { knownIssuesPathFrom, readKnownIssues } from "../../loaders/known-issues.js";

process.stdout.write(JSON.stringify(await readKnownIssues(knownIssuesPathFrom(process.env))));
