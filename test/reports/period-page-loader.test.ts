import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { temporaryFolder } from "../helpers/archive.js";
import { ROOT } from "../helpers/project.js";

/*
 * The period pages' loader (`src/reports/[period].md.sh`), run as Framework runs it (`sh <loader> --period=<name>`,
 * from the project's folder), over pages written beside it as pages.ts writes them: it prints a period's page, the
 * list for `index`, and the page saying there is no report for any other name, whatever its characters.
 */
describe("the period pages' loader", () => {
  const project = temporaryFolder();
  const loader = join("src", "reports", "[period].md.sh");
  mkdirSync(join(project, "src", "reports"), { recursive: true });
  copyFileSync(join(ROOT, loader), join(project, loader));
  const pages = join(project, "src", ".observablehq", "cache", "reports", ".pages");
  mkdirSync(pages, { recursive: true });
  const written = { "2024-11": "November", "2024-Q4": "Q4", "2024": "Year", index: "List", missing: "No report", overview: "Overview" };
  for (const [name, text] of Object.entries(written)) writeFileSync(join(pages, `${name}.md`), text);
  writeFileSync(join(pages, "periods.json"), JSON.stringify(["2024-11", "2024-Q4", "2024"]));
  const run = (...args: string[]) => execFileSync("sh", [loader, ...args], { cwd: project, encoding: "utf8" });

  it("prints the page of the period named, and the list without a name", () => {
    expect(run("--period=2024-11")).toBe("November");
    expect(run("--period=2024-Q4")).toBe("Q4");
    expect(run("--period=2024")).toBe("Year");
    expect(run("--period=index")).toBe("List");
    expect(run()).toBe("List");
  });

  it.each(["2031-01", "2024-13x", "overview", "missing", "../.pages/2024-11", "2024-11;echo", "*", "", "2024-Q5"])(
    "prints the page saying there is no report for %j",
    (name) => {
      expect(run(`--period=${name}`)).toBe("No report");
    },
  );
});
