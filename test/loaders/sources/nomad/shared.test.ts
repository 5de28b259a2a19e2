import { describe, expect, it } from "vitest";
import { memoized, sharedResources, sharedText } from "../../../../loaders/sources/nomad/shared.js";

describe("memoized", () => {
  it("makes each text's value once, and again only after the table has started over past 200,000 texts", () => {
    const made: string[] = [];
    const length = memoized((text) => {
      made.push(text);
      return text === "" ? undefined : text.length;
    });
    expect([length("abc"), length("abc"), length(""), length("")]).toEqual([3, 3, undefined, undefined]);
    expect(made).toEqual(["abc", ""]);
    for (let index = 0; index < 200_000; index++) length(`text ${index}`);
    expect(made).toHaveLength(200_002);
    length("abc");
    expect(made.at(-1)).toBe("abc");
  });
});

describe("shared values", () => {
  it("give one object for the same amounts of every resource, another for any other amount", () => {
    const first = { cpu_num: 4, cpu_MHz: 2000, gpu_num: 1, memory_MB: 8192, disk_MB: 1000 };
    expect(sharedResources(first)).toBe(first);
    expect(sharedResources({ ...first })).toBe(first);
    const other = { ...first, disk_MB: 1001 };
    expect(sharedResources(other)).toBe(other);
    expect(sharedResources({ ...first, gpu_num: 0 })).not.toBe(first);
    const zero = { ...first, gpu_num: 0 };
    expect(sharedResources(zero)).not.toBe(zero);
    const negativeZero = { ...first, gpu_num: -0 };
    expect(sharedResources(negativeZero)).toBe(negativeZero);
  });

  it("keep texts as they are, and null as null", () => {
    expect([sharedText("owner@example.org"), sharedText(null), sharedText("")]).toEqual(["owner@example.org", null, ""]);
  });
});
