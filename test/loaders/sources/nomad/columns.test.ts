import { describe, expect, it } from "vitest";
import { decodeRows, encodeRows, transferablesOf } from "../../../../loaders/sources/nomad/columns.js";

describe("rows as columns", () => {
  const rows = [
    { id: "a", n: 1.5, when: null, nested: { x: 1, y: "p" }, mixed: 1, list: [1] },
    { id: "b", n: -0, when: 1_700_000_000_000_000, nested: { x: Number.MAX_VALUE, y: "p" }, mixed: "1", list: [] },
    { id: "a", n: 3, when: 2, nested: { x: 0, y: null }, mixed: null, list: [2, 3] },
  ];

  it("give back the same rows, nulls, nested records and mixed values included", () => {
    const encoded = structuredClone(encodeRows(rows));
    expect(decodeRows(encoded)).toStrictEqual(rows);
    expect(Object.is((decodeRows(encoded)[1] as (typeof rows)[1]).n, -0)).toBe(true);
  });

  it("hold numbers in typed arrays and each distinct string once", () => {
    const encoded = encodeRows(rows);
    const id = encoded.columns[0];
    expect(id).toEqual({ kind: "string", distinct: ["a", "b"], indexes: Int32Array.from([0, 1, 0]) });
    expect(encoded.columns[1]).toMatchObject({ kind: "number", nulls: null });
    expect(transferablesOf(encoded)).toHaveLength(6);
  });

  it("encode no rows", () => {
    expect(decodeRows(encodeRows([]))).toEqual([]);
  });
});
