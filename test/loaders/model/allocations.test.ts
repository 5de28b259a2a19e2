import { describe, expect, it } from "vitest";
import { parseAllocations, parseBillingWeights } from "../../../loaders/model/allocations.js";

describe("parseBillingWeights", () => {
  it("reads Slurm's TRESBillingWeights: per core, per MiB (a suffix scales: 0.25G is 0.25 per GiB), per node, per GPU", () => {
    expect(parseBillingWeights("CPU=1.0,Mem=0.25G,GRES/gpu=2.0")).toEqual({ cpu: 1, mem: 0.25 / 1024, gpu: 2 });
    expect(parseBillingWeights("cpu=.5, mem=2, node=10")).toEqual({ cpu: 0.5, mem: 2, node: 10 });
    expect(parseBillingWeights("Mem=1T")).toEqual({ mem: 1 / 1024 ** 2 });
    expect(parseBillingWeights("Mem=1024K")).toEqual({ mem: 1024 * 1024 });
  });

  it("names what it cannot read", () => {
    expect(() => parseBillingWeights("CPU")).toThrow('not NAME=WEIGHT: "CPU"');
    expect(() => parseBillingWeights("license/matlab=1")).toThrow('"license/matlab" is not a resource the records hold');
    expect(() => parseBillingWeights("GRES/gpu:a100=4")).toThrow("the records count GPUs, not their types");
    expect(() => parseBillingWeights("CPU=1,cpu=2")).toThrow("cpu weighted twice");
    expect(() => parseBillingWeights("CPU=-1")).toThrow("not NAME=WEIGHT");
  });
});

describe("parseAllocations", () => {
  const banks = [{ name: "a", grants: [{ units: 10, from: "2024-01-01", to: "2024-12-31" }] }];

  it("fills the defaults: shares 1, SU, the sum, no QOS factor, Fair Tree with a 7-day half-life, thresholds 60 and 90", () => {
    expect(parseAllocations(JSON.stringify({ banks }))).toEqual({
      banks: [{ name: "a", parent: null, shares: 1, accounts: [], users: [], grants: [{ units: 10, from: "2024-01-01", to: "2024-12-31", unit: "SU" }] }],
      billing: [],
      qos: {},
      fairshare: { halfLifeSeconds: 7 * 86_400, reset: "none", algorithm: "fair-tree" },
      thresholds: [60, 90],
    });
  });

  it("names the entry at fault", () => {
    const bad = (document: unknown) => () => parseAllocations(JSON.stringify(document), "A.json");
    expect(() => parseAllocations("{", "A.json")).toThrow(/^A\.json is not JSON: /);
    expect(bad({})).toThrow("A.json: banks: a list of at least one bank is needed");
    expect(bad({ banks, extra: 1 })).toThrow("A.json: extra: not a known entry");
    expect(bad({ banks: [{ name: "" }] })).toThrow("A.json: banks[0]: no name");
    expect(bad({ banks: [{ name: "a", parent: "b" }] })).toThrow('A.json: bank "a", parent: "b" is not a bank');
    expect(
      bad({
        banks: [
          { name: "a", parent: "b" },
          { name: "b", parent: "a" },
        ],
      }),
    ).toThrow('A.json: bank "a", parent: the banks\' parents make a cycle');
    expect(bad({ banks: [{ name: "a" }, { name: "a" }] })).toThrow('A.json: bank "a": named twice');
    expect(bad({ banks: [{ name: "a", shares: -1 }] })).toThrow('A.json: bank "a", shares: not a non-negative number');
    expect(
      bad({
        banks: [
          { name: "a", accounts: ["x"] },
          { name: "b", accounts: ["x"] },
        ],
      }),
    ).toThrow('A.json: bank "b", accounts: "x" is already a member of bank "a"');
    expect(bad({ banks: [{ name: "a", grants: [{ units: 1, from: "2024-02-30", to: "2024-03-01" }] }] })).toThrow(
      'A.json: bank "a", grants[0], from: not a day YYYY-MM-DD',
    );
    expect(bad({ banks: [{ name: "a", grants: [{ units: 1, from: "2024-03-02", to: "2024-03-01" }] }] })).toThrow(
      'A.json: bank "a", grants[0]: ends (2024-03-01) before it starts (2024-03-02)',
    );
    expect(
      bad({
        banks: [
          {
            name: "a",
            grants: [
              { units: 1, from: "2024-01-01", to: "2024-03-01" },
              { units: 1, from: "2024-01-01", to: "2024-03-01", unit: "GPU-hours" },
            ],
          },
        ],
      }),
    ).toThrow('A.json: bank "a", grants: grants in different units');
    expect(bad({ banks, billing: [{ weights: "CPU=1,Energy=2" }] })).toThrow('A.json: billing[0], weights: "Energy" is not a resource the records hold');
    expect(bad({ banks, billing: [{ weights: "CPU=1", method: "max" }] })).toThrow("A.json: billing[0], method: not one of sum, max_tres, max_tres_gres");
    expect(bad({ banks, billing: [{ weights: "CPU=1" }, { weights: "CPU=2" }] })).toThrow(
      "A.json: billing[1]: a second rule for the same source and partition",
    );
    expect(bad({ banks, qos: { high: "2" } })).toThrow('A.json: qos "high": not a non-negative number');
    expect(bad({ banks, fairshare: { reset: "hourly" } })).toThrow("A.json: fairshare, reset: not one of none, daily, weekly, monthly, quarterly, yearly");
    expect(bad({ banks, thresholds: [90, 60] })).toThrow("A.json: thresholds: not ascending positive percentages");
  });
});
