import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { copyArchive, temporaryFolder } from "../helpers/archive.js";
import { copyProject, ROOT } from "../helpers/project.js";

/*
 * The pages pages.ts writes at build time, in a copy of the project, through the loader that writes them when a page is
 * asked first (`src/reports/period-page.js`, as `[period].md.sh` runs it): the rows of the period pages' queries are
 * kept for the next build, and taken from there only for the periods whose rows did not change.
 */
const work = temporaryFolder("accounting-pages-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the pages written at build time", () => {
  it("keep their queries' rows for the next build (mode 600), which takes from them only the periods whose rows are the same", () => {
    const project = join(work, "project");
    copyProject(project);
    // The sample archive as it was on 2024-03-10, then whole.
    const archive = copyArchive(join(ROOT, "data/sample"));
    const later = join(work, "later");
    cpSync(join(archive, "snapshots"), later, { recursive: true });
    for (const name of readdirSync(join(archive, "snapshots"))) if (name >= "2024-03-10") rmSync(join(archive, "snapshots", name));
    const env = {
      ...process.env,
      ACCOUNTING_ARCHIVE: archive,
      ACCOUNTING_CACHE: join(work, "cache"),
      ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef",
    };
    const cache = join(project, "src", ".observablehq", "cache");
    const page = (name: string) => {
      rmSync(join(cache, "reports"), { recursive: true, force: true });
      return execFileSync("node", [join("src", "reports", "period-page.js"), name], { cwd: project, env, encoding: "utf8" });
    };
    const january = page("2024-01");
    expect(january).toContain("January 2024");
    const memo = join(cache, ".period-numbers.json");
    expect(statSync(memo).mode & 0o777).toBe(0o600);
    // Every job count the memo holds made 424242: a page showing it took its numbers from the memo.
    const kept = JSON.parse(readFileSync(memo, "utf8")) as { entries: [string, Record<string, unknown>[]][] };
    expect(kept.entries.length).toBeGreaterThan(10);
    for (const [, rows] of kept.entries) for (const row of rows) if (typeof row.jobs === "number") row.jobs = 424242;
    writeFileSync(memo, JSON.stringify(kept));
    for (const name of readdirSync(later)) if (name >= "2024-03-10") renameSync(join(later, name), join(archive, "snapshots", name));
    // The period's own accounting cells (comparisons have none of their attributes): January's from the memo; March's
    // computed, its rows grown (it still compares with February's, from the memo).
    const planted = 'data-metric="jobs" data-value="424242"';
    expect(page("2024-01")).toContain(planted);
    const march = page("2024-03");
    expect(march).not.toContain(planted);
    expect(march).toContain('data-value="424242"');
    // An unreadable memo is none: the numbers are computed again, January's as before the new snapshots, and kept.
    writeFileSync(memo, "{");
    const cells = (markdown: string) => markdown.match(/data-namespace="[^"]*" data-metric="[^"]*" data-value="[^"]*"/g);
    expect(cells(page("2024-01"))).toEqual(cells(january));
    expect(cells(january)?.length).toBeGreaterThan(20);
    expect(JSON.parse(readFileSync(memo, "utf8"))).toHaveProperty("entries");
  }, 120_000);
});
