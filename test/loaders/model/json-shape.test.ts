import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BYTES_PER_CONTAINER, CHECKED_FROM_BYTES, MAX_DEPTH, pathologicalJson } from "../../../loaders/model/json-shape.js";

const bytes = (text: string) => new TextEncoder().encode(text);
/** `text` padded with spaces past the size from which files are checked. */
const big = (text: string) => bytes(text + " ".repeat(Math.max(0, CHECKED_FROM_BYTES - text.length)));

describe("pathologicalJson", () => {
  it("refuses arrays and objects nested deeper than the limit, at any mix", () => {
    expect(pathologicalJson(big(`${"[".repeat(MAX_DEPTH + 1)}${"]".repeat(MAX_DEPTH + 1)}`))).toBe(
      `arrays and objects nested more than ${MAX_DEPTH} levels deep`,
    );
    expect(pathologicalJson(big(`${'{"a":['.repeat(40)}0${"]}".repeat(40)}`))).toMatch(/nested more than/);
    expect(pathologicalJson(big(`${"[".repeat(MAX_DEPTH)}${"]".repeat(MAX_DEPTH)}`))).toBeUndefined();
  });

  it("refuses more arrays and objects than one per few bytes", () => {
    const flat = `[${"[],".repeat(CHECKED_FROM_BYTES / 3)}[]]`;
    expect(pathologicalJson(bytes(flat))).toBe(`more than one array or object per ${BYTES_PER_CONTAINER} bytes`);
    expect(pathologicalJson(bytes(`[${"{},".repeat(CHECKED_FROM_BYTES / 3)}{}]`))).toMatch(/more than one array or object/);
  });

  it("counts no bracket inside strings, escaped quotes included", () => {
    const text = `{"a": "${"[{".repeat(200)}\\"${"[".repeat(200)}", "b": [1]}`;
    expect(pathologicalJson(big(text))).toBeUndefined();
    expect(JSON.parse(text).b).toEqual([1]);
  });

  it("leaves small files to the parser, and passes every snapshot of the sample whatever its size", () => {
    expect(pathologicalJson(bytes("[".repeat(10_000)))).toBeUndefined();
    for (const name of readdirSync("data/sample/snapshots")) {
      const file = readFileSync(`data/sample/snapshots/${name}`);
      const padded = new Uint8Array(Math.max(file.length, CHECKED_FROM_BYTES)).fill(0x20);
      padded.set(file);
      expect(pathologicalJson(padded), name).toBeUndefined();
    }
  });
});
