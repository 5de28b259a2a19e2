import { appendFileSync, cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { contentFingerprint } from "../loaders/site/fingerprint.js";
import { ingestVersion } from "../loaders/ingest/ingest-cache.js";
import { siteBuildFrom, siteDataFingerprint } from "../loaders/site/site-data.js";
import { describe, expect, it } from "vitest";
import { temporaryFolder } from "./helpers/archive.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LOADERS = fileURLToPath(new URL("../loaders/", import.meta.url));

/** The rules ESLint reports for `code` as if it were the file `path` of the project. */
async function rulesBroken(path: string, code: string): Promise<string[]> {
  const [result] = await new ESLint({ cwd: ROOT }).lintText(code, { filePath: `${ROOT}${path}` });
  return (result?.messages ?? []).map((message) => message.ruleId ?? message.message);
}

describe("the folders of loaders/", () => {
  it("keep Node out of the browser-safe ones (model, queries), and type imports marked as such", async () => {
    const node = 'import { readFileSync } from "node:fs";\nexport const read = (path: string) => readFileSync(path, "utf8");\n';
    expect(await rulesBroken("loaders/model/probe.ts", node)).toContain("no-restricted-imports");
    expect(await rulesBroken("loaders/queries/probe.ts", node)).toContain("no-restricted-imports");
    expect(await rulesBroken("loaders/ingest/probe.ts", node)).not.toContain("no-restricted-imports");
    const typeOnly = 'import { Micros } from "./time.js";\nexport const zero: Micros = 0;\n';
    expect(await rulesBroken("loaders/model/probe.ts", typeOnly)).toContain("@typescript-eslint/consistent-type-imports");
  }, 60_000);

  it("are all behind the fingerprints of the ingest cache and of the site's data: a change under sources/ changes both", () => {
    const build = siteBuildFrom({ ACCOUNTING_ARCHIVE: "data/sample", ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef" }, () => {});
    const knownIssues = readFileSync(build.knownIssues, "utf8");
    // Both are fingerprints of the whole of loaders/ …
    expect(ingestVersion()).toBe(contentFingerprint([LOADERS], ["ingest cache 1"]));
    expect(siteDataFingerprint(build)).toBe(contentFingerprint([LOADERS], [knownIssues]));
    // … so a copy of it with one source file changed has others.
    const copy = join(temporaryFolder(), "loaders");
    cpSync(LOADERS, copy, { recursive: true });
    appendFileSync(join(copy, "sources", "nomad", "job.ts"), "\n// changed\n");
    expect(contentFingerprint([copy], ["ingest cache 1"])).not.toBe(ingestVersion());
    expect(contentFingerprint([copy], [knownIssues])).not.toBe(siteDataFingerprint(build));
  });
});
