import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REFERENCE, REFERENCE_ARCHIVE, REFERENCE_NAMESPACES } from "../helpers/reference.js";
import { upstreamSummaries } from "../helpers/upstream-summaries.js";

const SUMMARIES = join(REFERENCE, "summaries");

/** Every file of a folder, name -> text. */
function filesOf(folder: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(folder)
      .sort()
      .map((name) => [name, readFileSync(join(folder, name), "utf8")]),
  );
}

describe("the transcription of upstream summarize.py (the oracle of the generated archives' tests)", () => {
  it("writes the reference summaries of the reference archive, cell for cell", () => {
    const expected = filesOf(SUMMARIES);
    expect(Object.keys(expected)).toHaveLength(9);
    const found = upstreamSummaries(REFERENCE_ARCHIVE, REFERENCE_NAMESPACES);
    expect(Object.keys(found).sort()).toEqual(Object.keys(expected));
    for (const [name, text] of Object.entries(expected)) {
      const cells = (csv: string) => csv.split("\n").map((line) => line.split(";"));
      expect(cells(found[name]!), name).toEqual(cells(text));
    }
    expect(found).toEqual(expected);
  });
});
