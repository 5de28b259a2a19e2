import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountingDatabase } from "../../../loaders/ingest/database.js";
import { parseAllocations, type Allocations } from "../../../loaders/model/allocations.js";
import { runBalances, type BankBalance } from "../../../loaders/queries/balance.js";
import { temporaryFolder } from "../../helpers/archive.js";
import { runCli } from "../../helpers/cli.js";
import { loadedDatabase } from "../../helpers/tables.js";

/*
 * Balances on a Slurm dump whose billing is worked out by hand: TRESBillingWeights "CPU=1.0,Mem=0.25G,GRES/gpu=2.0"
 * and tres.html's own examples (1 CPU and 8 GB: 3.0 summed, 2.0 with MAX_TRES; with a GPU and MAX_TRES_GRES, 3.0).
 */
const HEADER = "JobIDRaw|Cluster|Partition|QOS|Account|User|Submit|Start|End|State|NNodes|NCPUS|AllocTRES|NodeList|JobName";
const job = (id: number, partition: string, qos: string, account: string, user: string, start: string, end: string, tres: string) =>
  `${id}|c|${partition}|${qos}|${account}|${user}|${start}|${start}|${end}|COMPLETED|1|${/cpu=(\d+)/.exec(tres)![1]}|${tres},node=1|n1|j${id}`;
const DUMP = [
  HEADER,
  // sum: 1 + 8 × 0.25 = 3 an hour, 2 hours: 6.
  job(1, "sum", "normal", "physics", "alice", "2024-03-01T00:00:00", "2024-03-01T02:00:00", "cpu=1,mem=8G"),
  // MAX_TRES: max(1, 2) = 2 an hour, QOS high (usage factor 2), 1 hour: 4.
  job(2, "max", "high", "physics", "bob", "2024-03-01T10:00:00", "2024-03-01T11:00:00", "cpu=1,mem=8G"),
  // MAX_TRES_GRES: 1 × 2.0 + max(1, 2) = 4 an hour, from 22:00 to 04:00 the next day: 8 on the 1st, 16 on the 2nd.
  job(3, "gres", "normal", "chemistry", "carol", "2024-03-01T22:00:00", "2024-03-02T04:00:00", "cpu=1,mem=8G,gres/gpu=1"),
  // No rule for its partition: the source's rule; then cores (Slurm's default) for another source's.
  job(4, "other", "normal", "chemistry", "carol", "2024-03-02T10:00:00", "2024-03-02T12:00:00", "cpu=4,mem=1G"),
  // An account of no bank: charged to none.
  job(5, "sum", "normal", "biology", "dave", "2024-03-02T00:00:00", "2024-03-02T01:00:00", "cpu=64,mem=8G"),
];

const ALLOCATIONS = {
  banks: [
    { name: "top", grants: [{ units: 100, from: "2024-01-01", to: "2024-12-31" }] },
    { name: "phys", parent: "top", accounts: ["physics"], grants: [{ units: 12, from: "2024-03-01", to: "2024-03-31" }] },
    { name: "chem", parent: "top", accounts: ["chemistry"], grants: [{ units: 20, from: "2024-02-01", to: "2024-04-30" }] },
    { name: "chem-hours", parent: "chem", users: ["nobody"], grants: [{ units: 10, from: "2024-03-01", to: "2024-03-31", unit: "CPU-hours" }] },
  ],
  billing: [
    { source: "slurm", partition: "sum", weights: "CPU=1.0,Mem=0.25G,GRES/gpu=2.0" },
    { source: "slurm", partition: "max", weights: "CPU=1.0,Mem=0.25G,GRES/gpu=2.0", method: "max_tres" },
    { source: "slurm", partition: "gres", weights: "CPU=1.0,Mem=0.25G,GRES/gpu=2.0", method: "max_tres_gres" },
    // 4 cores × 0.5 + 1 GiB × 1 = 3 an hour, 2 hours: 6.
    { source: "slurm", weights: "CPU=0.5,Mem=1G" },
  ],
  qos: { high: 2 },
  // No decay: usage is billing-seconds, worked out by hand below.
  fairshare: { half_life_days: 0 },
};

let archive: string;
let database: AccountingDatabase;
let allocations: Allocations;
beforeAll(async () => {
  archive = temporaryFolder("balance-");
  mkdirSync(join(archive, "slurm"));
  writeFileSync(join(archive, "slurm", "2024-03-03T00:00:00.txt"), `${DUMP.join("\n")}\n`);
  writeFileSync(join(archive, "allocations.json"), JSON.stringify(ALLOCATIONS));
  allocations = parseAllocations(JSON.stringify(ALLOCATIONS));
  database = await loadedDatabase(archive);
}, 60_000);
afterAll(() => database?.close());

const byBank = (balances: BankBalance[]) => Object.fromEntries(balances.map((balance) => [balance.bank, balance]));

describe("balances", () => {
  it("charge each bank billing × hours as Slurm weighs them (sum, MAX_TRES, MAX_TRES_GRES, QOS usage factor), its sub-banks' too", async () => {
    const banks = byBank(await runBalances(database, allocations, "2024-03-02"));
    expect(banks.phys).toMatchObject({ granted: 12, charged: 6 + 4, remaining: 2, held: false, unit: "SU", from: "2024-03-01" });
    expect(banks.phys!.users).toEqual({ alice: 6, bob: 4 });
    expect(banks.chem).toMatchObject({ granted: 20, charged: 8 + 16 + 6, held: true, level: "over", from: "2024-02-01" });
    expect(banks.chem!.percent).toBeCloseTo(150, 12);
    // A bank's own users only: nobody ran.
    expect(banks["chem-hours"]).toMatchObject({ granted: 10, charged: 0, unit: "CPU-hours", held: false, runsOut: null });
    // Every member bank's usage; biology's is no bank's.
    expect(banks.top).toMatchObject({ granted: 100, charged: 40, remaining: 60, level: "ok", from: "2024-01-01" });
  });

  it("give each bank its Fair Tree standing from its users' usage in billing-seconds", async () => {
    const banks = byBank(await runBalances(database, allocations, "2024-03-02"));
    // phys: alice 6 SU-hours, bob 4: 36,000 billing-seconds; chem: carol 30 SU-hours, 108,000.
    expect([banks.phys, banks.chem, banks.top].map((bank) => bank!.fairshare.rawUsage)).toEqual([36_000, 108_000, 144_000]);
    // Level FS = S / U among siblings: phys ½ / ¼, chem ½ / ¾; top alone under the root; chem-hours no usage (∞).
    expect(banks.phys!.fairshare.factor).toBeCloseTo(2, 12);
    expect(banks.chem!.fairshare.factor).toBeCloseTo(2 / 3, 12);
    expect(banks.top!.fairshare.factor).toBe(1);
    expect(banks["chem-hours"]!.fairshare.factor).toBeNull();
    // Depth first, the higher Level FS first: phys (bob ½ / 0.4 before alice ½ / 0.6), then chem (carol); rank / 3.
    expect(banks.phys!.fairshare.users).toEqual({ alice: 2 / 3, bob: 1 });
    expect(banks.chem!.fairshare.users).toEqual({ carol: 1 / 3 });
  });

  it("flag the thresholds, and burn down day by day, running out at the last 30 days' rate", async () => {
    const banks = byBank(await runBalances(database, allocations, "2024-03-01"));
    // phys: 10 of 12 by the end of the 1st: past 60 % and 90 %? 83.3 %: past the first only.
    expect(banks.phys).toMatchObject({ charged: 10, level: "warning", held: false });
    expect(banks.phys!.burnDown).toEqual([{ day: "2024-03-01", remaining: 2 }]);
    // 10 a day: the 2 left last a fifth of the next day.
    expect(banks.phys!.runsOut).toBe("2024-03-02");
    const chem = byBank(await runBalances(database, allocations, "2024-03-02")).chem!;
    expect(chem.burnDown.slice(-3)).toEqual([
      { day: "2024-02-29", remaining: 20 },
      { day: "2024-03-01", remaining: 12 },
      { day: "2024-03-02", remaining: -10 },
    ]);
    // The records begin on March 1: 30 units in their two days, not in the grant's 31.
    expect(chem.ratePerDay).toBeCloseTo(30 / 2, 12);
  });

  it("charge cores an hour (Slurm's default billing) when the allocations name no billing rule and no QOS", async () => {
    const bare = parseAllocations(
      JSON.stringify({ banks: [{ name: "chem", accounts: ["chemistry"], grants: [{ units: 100, from: "2024-03-01", to: "2024-03-31" }] }] }),
    );
    const [chem] = await runBalances(database, bare, "2024-03-02");
    // Jobs 3 (1 core, 6 hours) and 4 (4 cores, 2 hours).
    expect(chem).toMatchObject({ bank: "chem", charged: 6 + 8, users: { carol: 14 } });
  });

  it("count only the days of the grants active on the day asked", async () => {
    const banks = byBank(await runBalances(database, allocations, "2024-05-01"));
    // No grant of phys nor chem is active on May 1: nothing granted, charged since January 1.
    expect(banks.phys).toMatchObject({ granted: 0, charged: 10, held: true, percent: null, from: "2024-01-01" });
    expect(banks.top).toMatchObject({ granted: 100, charged: 40 });
  });
});

describe("accounting balance", () => {
  it("prints JSON of every bank and exits 1 when a bank is over its grant", async () => {
    const run = await runCli(["balance", "--archive", archive, "--at", "2024-03-02", "--format", "json", "--problems", "none"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('accounting: over their grant on 2024-03-02: bank "chem" (150.0 %)\n');
    const json = JSON.parse(run.stdout) as { at: string; banks: Record<string, { granted: number; charged: number; held: boolean; users: object }> };
    expect(json.at).toBe("2024-03-02");
    expect(Object.keys(json.banks)).toEqual(["top", "phys", "chem", "chem-hours"]);
    expect(json.banks.chem).toMatchObject({ granted: 20, charged: 30, remaining: -10, held: true, users: { carol: 30 } });
  });

  it("exits 0 when no bank is over, with a table and CSV", async () => {
    const table = await runCli(["balance", "--archive", archive, "--at", "2024-03-01", "--problems", "none"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^Balances on 2024-03-01/);
    expect(table.stdout).toMatch(/phys\s+│\s+SU\s+│\s+12\s+│\s+10\s+│\s+2\s+│\s+83\.3 %\s+│\s+2024-03-02/);
    const csv = await runCli(["balance", "--archive", archive, "--at", "2024-03-01", "--format", "csv", "--problems", "none"]);
    expect(csv.stdout.split("\n")[0]).toBe("bank,parent,unit,from,to,granted,charged,remaining,percent,level,held,rate_per_day,runs_out,fairshare,raw_usage");
    // On March 1 phys has used 10 SU (36,000 billing-seconds), chem 8 (28,800): Level FS ½ / (36 / 64.8).
    expect(csv.stdout.split("\n")[2]).toBe(
      `phys,top,SU,2024-03-01,2024-03-01,12,10,2,83.33333333333333,warning,false,10,2024-03-02,${0.5 / (36_000 / 64_800)},36000`,
    );
  });

  it("refuses an archive without an allocations file, and a bad one naming its entry, with exit 2", async () => {
    const bare = temporaryFolder("balance-bare-");
    mkdirSync(join(bare, "slurm"));
    writeFileSync(join(bare, "slurm", "2024-03-03T00:00:00.txt"), `${DUMP.join("\n")}\n`);
    const missing = await runCli(["balance", "--archive", bare]);
    expect([missing.code, missing.stderr]).toEqual([2, `accounting: no allocations file: ${join(bare, "allocations.json")} (README: Allocations)\n`]);
    writeFileSync(join(bare, "allocations.json"), JSON.stringify({ banks: [{ name: "a", parent: "b" }] }));
    const bad = await runCli(["balance", "--archive", bare]);
    expect([bad.code, bad.stderr]).toEqual([2, `accounting: ${join(bare, "allocations.json")}: bank "a", parent: "b" is not a bank\n`]);
  });
});
