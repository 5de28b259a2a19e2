import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { knownIssuesPath, readKnownIssues, type KnownIssue } from "../../../loaders/ingest/known-issues.js";
import { temporaryFolder } from "../../helpers/archive.js";

const TAKEDOWN: KnownIssue = { from: "2024-02-07", to: "2024-02-10", title: "Cluster takedown", description: "No snapshot." };

function fileWith(content: unknown): string {
  const path = join(temporaryFolder(), "known-issues.json");
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

describe("known issues", () => {
  it("are read from a valid file, a one-day issue included", async () => {
    const oneDay = { from: "2024-03-01", to: "2024-03-01", title: "Cron down", description: "" };
    expect(await readKnownIssues(fileWith([TAKEDOWN, oneDay]))).toEqual([TAKEDOWN, oneDay]);
    expect(await readKnownIssues(fileWith([]))).toEqual([]);
  });

  it("keep only the fields they know", async () => {
    expect(await readKnownIssues(fileWith([{ ...TAKEDOWN, ticket: 42 }]))).toEqual([TAKEDOWN]);
  });

  it("are none when the file does not exist", async () => {
    expect(await readKnownIssues(join(temporaryFolder(), "absent.json"))).toEqual([]);
  });

  it("name the file of a broken one", async () => {
    const path = fileWith('[{"from": "2024-02-07"');
    await expect(readKnownIssues(path)).rejects.toThrow(`known issues file ${path}: not JSON`);
    await expect(readKnownIssues(fileWith({ issues: [] }))).rejects.toThrow(/known issues file .*: not a list of known issues/);
    await expect(readKnownIssues(temporaryFolder())).rejects.toThrow(/known issues file /);
  });

  it("refuse an issue that ends before it starts", async () => {
    const path = fileWith([TAKEDOWN, { ...TAKEDOWN, from: "2024-02-11" }]);
    await expect(readKnownIssues(path)).rejects.toThrow(`known issues file ${path}: entry 2: "from" 2024-02-11 is after "to" 2024-02-10`);
  });

  it("refuse days that are not days", async () => {
    await expect(readKnownIssues(fileWith([{ ...TAKEDOWN, to: "2024-02-30" }]))).rejects.toThrow('entry 1: "to" is not a day YYYY-MM-DD: "2024-02-30"');
    await expect(readKnownIssues(fileWith([{ ...TAKEDOWN, from: "7 Feb 2024" }]))).rejects.toThrow('"from" is not a day');
    await expect(readKnownIssues(fileWith([{ ...TAKEDOWN, from: 20240207 }]))).rejects.toThrow('entry 1: "from" is not a string');
  });

  it("refuse entries that are not objects or lack a title or description", async () => {
    await expect(readKnownIssues(fileWith(["takedown"]))).rejects.toThrow("entry 1 is not an object");
    await expect(readKnownIssues(fileWith([{ ...TAKEDOWN, title: "  " }]))).rejects.toThrow('entry 1: "title" is empty');
    const { description: _, ...undescribed } = TAKEDOWN;
    await expect(readKnownIssues(fileWith([undescribed]))).rejects.toThrow('entry 1: "description" is not a string');
  });

  it("belong to an archive: the sample's are valid, and an archive without the file has none", async () => {
    expect(knownIssuesPath("/srv/archive")).toBe("/srv/archive/known-issues.json");
    expect(await readKnownIssues(knownIssuesPath(temporaryFolder()))).toEqual([]);
    const bundled = await readKnownIssues(knownIssuesPath("data/sample"));
    expect(bundled.map((issue) => [issue.from, issue.to])).toEqual([
      ["2024-01-25", "2024-01-26"],
      ["2024-02-07", "2024-02-10"],
    ]);
  });
});
