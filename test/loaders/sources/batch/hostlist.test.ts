import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expandHostlist, MOST_HOSTS } from "../../../../loaders/sources/batch/hostlist.js";
import { temporaryFolder } from "../../../helpers/archive.js";

/** Slurm's own expansion (`scontrol show hostnames`, which needs only a configuration file), or why it cannot run. */
function scontrolHostnames(list: string): string[] | string {
  const folder = temporaryFolder("hostlist-");
  writeFileSync(join(folder, "slurm.conf"), "ClusterName=hostlist\nSlurmctldHost=localhost\n");
  try {
    const output = execFileSync("scontrol", ["show", "hostnames", list], { env: { ...process.env, SLURM_CONF: join(folder, "slurm.conf") }, encoding: "utf8" });
    return output.split("\n").filter((line) => line !== "");
  } catch (error) {
    return `scontrol cannot run (${(error as Error).message.split("\n")[0]})`;
  }
}
const probe = scontrolHostnames("a");
const scontrolMissing = typeof probe === "string" ? probe : undefined;

describe("expandHostlist", () => {
  it("expands ranges in brackets, keeping the first number's padding, as scontrol show hostnames does", () => {
    expect(expandHostlist("node[01-03,07],gpu1")).toEqual(["node01", "node02", "node03", "node07", "gpu1"]);
    expect(expandHostlist("n[8-11]")).toEqual(["n8", "n9", "n10", "n11"]);
    expect(expandHostlist("cn[098-101]")).toEqual(["cn098", "cn099", "cn100", "cn101"]);
    expect(expandHostlist("login")).toEqual(["login"]);
  });

  it("multiplies several brackets and keeps suffixes", () => {
    expect(expandHostlist("r[1-2]n[1-2]-ib")).toEqual(["r1n1-ib", "r1n2-ib", "r2n1-ib", "r2n2-ib"]);
  });

  it("gives each host once, in its first place (Flux names a host for each of its broker ranks)", () => {
    expect(expandHostlist("asp,asp,asp,asp")).toEqual(["asp"]);
    expect(expandHostlist("b[1-2],a,b1")).toEqual(["b1", "b2", "a"]);
  });

  it("gives no host for an empty text, and undefined for what is not a host list", () => {
    expect(expandHostlist("")).toEqual([]);
    for (const text of ["node[1-", "node]1[", "node[a-b]", "node[3-1]", "a,,b", "a b", "node[[1]]", "x[]"]) expect(expandHostlist(text), text).toBeUndefined();
  });

  it("refuses a list of more hosts than any cluster has, without expanding it", () => {
    expect(expandHostlist(`n[1-${MOST_HOSTS}]`)).toHaveLength(MOST_HOSTS);
    expect(expandHostlist(`n[1-${MOST_HOSTS + 1}]`)).toBeUndefined();
    expect(expandHostlist("n[0-999999999999]")).toBeUndefined();
    expect(expandHostlist("a[1-1000]b[1-1000]")).toBeUndefined();
  });

  describe.skipIf(scontrolMissing !== undefined)(`as Slurm expands them${scontrolMissing ? ` (skipped: ${scontrolMissing})` : ""}`, () => {
    it("gives Slurm's hosts, each once", () => {
      for (const list of ["node[01-03,07],gpu1", "cn[098-101]", "rack[1-2]-node[01-02]", "x[7,9-10],y", "b[1-2],a,b1", "n[8-11]"]) {
        expect(expandHostlist(list), list).toEqual([...new Set(scontrolHostnames(list))]);
      }
    });
  });
});
