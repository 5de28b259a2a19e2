import { describe, expect, it } from "vitest";
import { decimalJobId } from "../../../../loaders/sources/flux/job-id.js";
import { idsetSize, resourceSetCounts } from "../../../../loaders/sources/flux/resource-set.js";

describe("idsetSize", () => {
  it("counts the ids of an RFC 22 idset, bracketed or not, each once", () => {
    expect(idsetSize("0-3,5,7-8")).toBe(7);
    expect(idsetSize("[0-3]")).toBe(4);
    expect(idsetSize("12")).toBe(1);
    expect(idsetSize("")).toBe(0);
    expect(idsetSize("5,0-3,2")).toBe(5);
  });
  it("refuses what is not an idset", () => {
    for (const text of ["3-1", "a", "0-", "1,,2", "-1", "0-3]", "1.5"]) expect(idsetSize(text)).toBeUndefined();
  });
});

describe("resourceSetCounts", () => {
  const R = (R_lite: unknown, version: unknown = 1) => ({ version, execution: { R_lite, starttime: 0, expiration: 0, nodelist: ["n[0-9]"] } });
  it("multiplies each entry's ranks by its cores and GPUs", () => {
    const set = R([
      { rank: "0-1", children: { core: "0-3", gpu: "0-1" } },
      { rank: "4,6", children: { core: "0-47" } },
    ]);
    expect(resourceSetCounts(set)).toEqual({ nodes: 4, cores: 2 * 4 + 2 * 48, gpus: 2 * 2 });
    // The R of a flux-core job-manager dump (one rank, one core).
    expect(resourceSetCounts(R([{ rank: "0", children: { core: "0" } }]))).toEqual({ nodes: 1, cores: 1, gpus: 0 });
    expect(resourceSetCounts(R([]))).toEqual({ nodes: 0, cores: 0, gpus: 0 });
  });
  it("refuses what is not a version 1 resource set", () => {
    for (const bad of [
      null,
      [],
      {},
      R([], 2),
      { version: 1 },
      R({}),
      R([{ rank: 0, children: {} }]),
      R([{ rank: "0" }]),
      R([{ rank: "0", children: { core: 4 } }]),
    ]) {
      expect(resourceSetCounts(bad)).toBeUndefined();
    }
  });
});

describe("decimalJobId", () => {
  it("decodes F58 as flux-core's own test vectors give it (src/common/libutil/test/fluid.c)", () => {
    const vectors: [string, string][] = [
      ["0", "ƒ1"],
      ["1", "ƒ2"],
      ["57", "ƒz"],
      ["1234", "ƒNH"],
      ["1888", "ƒZZ"],
      ["3364", "ƒ211"],
      ["65535", "ƒLUv"],
      ["4294967295", "ƒ7YXq9G"],
      ["633528662", "ƒxyzzy"],
      ["6731191091817518", "ƒuZZybuNNy"],
      ["18446744073709551614", "ƒjpXCZedGfVP"],
      ["18446744073709551615", "ƒjpXCZedGfVQ"],
    ];
    for (const [decimal, f58] of vectors) {
      expect(decimalJobId(f58)).toBe(decimal);
      expect(decimalJobId(`f${f58.slice(1)}`)).toBe(decimal);
    }
  });
  it("keeps integers and decimal digits, refuses the rest", () => {
    expect(decimalJobId(49727668224)).toBe("49727668224");
    expect(decimalJobId("0049727668224")).toBe("49727668224");
    for (const bad of [-1, 1.5, "ƒ", "ƒ0", "ƒIl", "ƒ1234567891234", "ƒzzzzzzzzzzzz", "18446744073709551616", "0x10", "", null, true]) {
      expect(decimalJobId(bad)).toBeUndefined();
    }
  });
});
