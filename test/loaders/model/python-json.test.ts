import { describe, expect, it } from "vitest";
import { JsonSyntaxError, parseJsonExact, pythonJson } from "../../../loaders/model/python-json.js";

/** Expected texts: what Python 3.11's json.dumps wrote for the same values. */
describe("pythonJson", () => {
  it("writes json.dumps's bytes: ASCII escapes in lowercase, surrogate pairs, DEL, no escape of / < > &", () => {
    expect(pythonJson({ a: [{ t: "\u00e9\u{1F600}\u007f\u2028</>&", n: null, r: {} }], b: [] })).toBe(
      '{"a": [{"t": "\\u00e9\\ud83d\\ude00\\u007f\\u2028</>&", "n": null, "r": {}}], "b": []}',
    );
    expect(pythonJson('"\\\n\r\t\b\f\u0001\u001f')).toBe('"\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u001f"');
    expect(pythonJson([true, false, 0, -3, 1709251199999999999n])).toBe("[true, false, 0, -3, 1709251199999999999]");
  });

  it("keeps a Map's order, keys that look like numbers too, and indents as json.dumps(indent=2)", () => {
    const value = new Map<string, unknown>([
      ["b", new Map([["x", 1]])],
      ["12", {}],
      ["a", [1, []]],
    ]);
    expect(pythonJson(value)).toBe('{"b": {"x": 1}, "12": {}, "a": [1, []]}');
    expect(pythonJson(value, 2)).toBe('{\n  "b": {\n    "x": 1\n  },\n  "12": {},\n  "a": [\n    1,\n    []\n  ]\n}');
  });
});

describe("parseJsonExact", () => {
  it("keeps integers beyond 2^53 exact, and the order of keys in Maps", () => {
    expect(parseJsonExact('{"SubmitTime": 1709251199999999999, "n": 12, "f": 1.5e3}')).toEqual({ SubmitTime: 1709251199999999999n, n: 12, f: 1500 });
    const parsed = parseJsonExact('{"b": 1, "12": {"z": 2, "a": 3}, "b": 4}', { maps: true }) as Map<string, unknown>;
    expect([...parsed.keys()]).toEqual(["b", "12"]);
    expect(parsed.get("b")).toBe(4);
    expect([...(parsed.get("12") as Map<string, unknown>).keys()]).toEqual(["z", "a"]);
    expect(parseJsonExact('[NaN, -Infinity, "\\u00e9\\ud83d\\ude00\\/"]')).toEqual([NaN, -Infinity, "\u00e9\u{1F600}/"]);
    expect(Object.getPrototypeOf(parseJsonExact('{"__proto__": {"x": 1}}'))).toBe(Object.prototype);
  });

  it("refuses what is not JSON", () => {
    for (const text of ["", "{", '{"a" 1}', "[1,]", '"a\nb"', "01", "[1] 2", '"\\x"']) expect(() => parseJsonExact(text), text).toThrow(JsonSyntaxError);
  });
});
