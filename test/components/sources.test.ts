import { describe, expect, it } from "vitest";
import type { RecordSpan } from "../../loaders/queries/quality.js";
import type { Connector } from "../../loaders/queries/sql.js";
import { archiveSources, originLabel } from "../../src/components/sources.js";

/** A Connector answering the spans query and the accounts query with the rows given. */
function tables(spans: RecordSpan[], accounts: { account: string; source: string; cluster: string }[]): Connector {
  return {
    query: <T>(sql: string) => Promise.resolve((/FROM spans/.test(sql) ? spans : /FROM accounts/.test(sql) ? accounts : []) as T[]),
  };
}

const nomad: RecordSpan = { source: "nomad", cluster: "nomad", first: "2024-03-01T00:00:10Z", last: "2024-03-01T12:00:11Z" };
const slurm: RecordSpan = { source: "slurm", cluster: "beta", first: "2024-02-29T23:00:00Z", last: "2024-03-02T00:00:00Z" };

describe("archiveSources", () => {
  it("says namespace and allows compat only when every record is a Nomad snapshot", async () => {
    const only = await archiveSources(tables([nomad], [{ account: "ai4eosc", source: "nomad", cluster: "nomad" }]));
    expect(only).toMatchObject({ nomad: true, nomadOnly: true, first: nomad.first, last: nomad.last });
    expect(only.words).toEqual({ account: "namespace", accounts: "namespaces", Account: "Namespace", Accounts: "Namespaces", records: "snapshots" });
    // One source and cluster: no account needs its origin told.
    expect(only.origins.size).toBe(0);

    const slurmOnly = await archiveSources(tables([slurm], [{ account: "physics", source: "slurm", cluster: "beta" }]));
    expect(slurmOnly).toMatchObject({ nomad: false, nomadOnly: false });
    expect(slurmOnly.words).toEqual({ account: "account", accounts: "accounts", Account: "Account", Accounts: "Accounts", records: "records" });
  });

  it("spans the first and last record of any source, and names where each account's records come from when there are several", async () => {
    const accounts = [
      { account: "ai4eosc", source: "nomad", cluster: "nomad" },
      { account: "physics", source: "sge", cluster: "cell1" },
      { account: "physics", source: "slurm", cluster: "beta" },
    ];
    const mixed = await archiveSources(tables([nomad, slurm], accounts));
    expect(mixed).toMatchObject({ nomad: true, nomadOnly: false, first: slurm.first, last: slurm.last });
    expect(Object.fromEntries(mixed.origins)).toEqual({ ai4eosc: ["Nomad"], physics: ["Grid Engine cell1", "Slurm beta"] });
  });

  it("refuses tables with no records: the build refuses such an archive before", async () => {
    await expect(archiveSources(tables([], []))).rejects.toThrow("no records");
  });
});

describe("originLabel", () => {
  it("names the scheduler and its cluster; Nomad has one", () => {
    expect(originLabel("flux", "tioga")).toBe("Flux tioga");
    expect(originLabel("nomad", "nomad")).toBe("Nomad");
    expect(originLabel("pbs", "x")).toBe("pbs x");
  });
});
