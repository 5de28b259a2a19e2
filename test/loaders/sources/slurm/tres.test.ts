import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allocatedGpus, allocatedMemory, parseTres, requestedMemory } from "../../../../loaders/sources/slurm/tres.js";
import { realdata } from "../../../helpers/realdata.js";

const xdmod = realdata("slurm/xdmod");

describe.skipIf(xdmod.missing)("allocatedGpus against Open XDMoD's AllocTRES cases", () => {
  it("counts the GPUs of every case of alloc-tres-gpu-count.json", () => {
    const path = join(xdmod.path, "tests/artifacts/xdmod/unit/slurm-resource-parser/alloc-tres-gpu-count.json");
    const cases = JSON.parse(readFileSync(path, "utf8")) as [string, number][];
    expect(cases).toHaveLength(9);
    for (const [tres, gpus] of cases) expect(allocatedGpus(parseTres(tres)!), tres).toBe(gpus);
  });
});

describe("allocatedGpus", () => {
  it("counts gres/gpu once when Slurm also writes the typed counts, and adds typed counts written alone", () => {
    // As Slurm 22.05 wrote it with AccountingStorageTRES=gres/gpu,gres/gpu:tesla (test/fixtures/slurm/recorded-22.05/).
    expect(allocatedGpus(parseTres("billing=2,cpu=2,gres/gpu:tesla=1,gres/gpu=1,mem=600M,node=1")!)).toBe(1);
    expect(allocatedGpus(parseTres("gres/gpu:a100=2,gres/gpu:v100=1,node=2")!)).toBe(3);
    expect(allocatedGpus(parseTres("gres/gpumem=40G,gres/shard=4,cpu=1")!)).toBe(0);
  });
  it("is undefined for a GPU count that is not a whole number", () => {
    expect(allocatedGpus(parseTres("gres/gpu=1.5")!)).toBeUndefined();
    expect(allocatedGpus(parseTres("gres/gpu:tesla=x")!)).toBeUndefined();
  });
});

describe("parseTres", () => {
  it("reads name=count pairs, none from an empty field, and nothing from other text", () => {
    expect(parseTres("billing=12,cpu=12,gres/gpu=2,mem=31000M,node=1")).toEqual(
      new Map([
        ["billing", "12"],
        ["cpu", "12"],
        ["gres/gpu", "2"],
        ["mem", "31000M"],
        ["node", "1"],
      ]),
    );
    expect(parseTres("")).toEqual(new Map());
    for (const text of ["garbage", "cpu=1,", "=1", "cpu=1,,node=1"]) expect(parseTres(text), text).toBeUndefined();
  });
});

describe("allocatedMemory", () => {
  it("reads mem= in MiB whatever its unit, null without it", () => {
    const mem = (text: string) => allocatedMemory(parseTres(`cpu=1,mem=${text}`)!);
    expect([mem("31000M"), mem("62.50G"), mem("2T"), mem("512K"), mem("1000")]).toEqual([31000, 64000, 2097152, 0.5, 1000]);
    expect(allocatedMemory(parseTres("cpu=1,node=1")!)).toBeNull();
    for (const text of ["4X", "G", "-1M", "1e3M"]) expect(mem(text), text).toBeUndefined();
  });
});

describe("requestedMemory", () => {
  it("multiplies per CPU (c) by the cores and per node (n) by the nodes; takes a bare size as the job's", () => {
    expect(requestedMemory("4000Mc", 4, 1)).toBe(16000);
    expect(requestedMemory("16Gn", 64, 2)).toBe(32768);
    expect(requestedMemory("2T", 1, 1)).toBe(2097152);
    expect(requestedMemory("30512M", 4, 4)).toBe(30512);
    expect(requestedMemory("100Mc", 8, null)).toBe(800);
  });
  it("is null for 0 (all of a node's memory) or per node without a node count, undefined when not a size", () => {
    expect([requestedMemory("0n", 8, 1), requestedMemory("0", 8, 1), requestedMemory("16Gn", 8, null)]).toEqual([null, null, null]);
    for (const text of ["100Mcd", "20H", "54J", "n", "-4000Mc", "4000Mx"]) expect(requestedMemory(text, 1, 1), text).toBeUndefined();
  });
});
