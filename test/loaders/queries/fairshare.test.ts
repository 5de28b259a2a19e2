import { describe, expect, it } from "vitest";
import {
  classicFairShare,
  decayedUsage,
  fairTree,
  type Association,
  type Charge,
  type ClassicFactors,
  type FairTreeFactors,
  type UsageReset,
} from "../../../loaders/queries/fairshare.js";

/**
 * The factors against the worked examples Slurm publishes: its own tests of the multifactor plugin, which build an
 * association tree with usage, run the plugin and expect `sshare -l`'s lines (Slurm 22.05's testsuite/expect/test24.1,
 * test24.3 and test24.4), the first being classic_fair_share.html's example; then edge cases, and the decay of usage.
 */

/** An account (root when `parent` is null) and its user associations, in sshare's order. */
const account = (name: string, parent: string | null, shares: number | "parent", users: [string, number | "parent", number][] = []): Association[] => [
  { name, parent, shares },
  ...users.map(([user, userShares, usage]): Association => ({ name: user, parent: name, shares: userShares, user: true, usage })),
];

/** A number as sshare prints it (C's %f; RawUsage as an integer, truncated). */
const f = (value: number) => (value === Infinity ? "inf" : value.toFixed(6));

/** The line `sshare -l -p` prints for an association under the classic algorithm: Account|User|RawShares|NormShares|RawUsage|NormUsage|EffectvUsage|FairShare| */
function classicLine(row: ClassicFactors, shares: number | "parent" | undefined): string {
  const [acct, user] = row.user ? [row.parent, row.name] : [row.name, ""];
  const root = row.parent === null;
  return `${acct}|${user}|${root ? "" : shares}|${f(row.normShares)}|${Math.trunc(row.usage)}|${root ? "" : f(row.normUsage)}|${f(row.effectiveUsage)}|${f(row.fairShare)}|`;
}

function classicLines(tree: Association[]): string[] {
  return classicFairShare(tree).map((row, i) => classicLine(row, tree[i]!.shares));
}

/** The line `sshare -l -p` prints under Fair Tree: …|EffectvUsage|FairShare|LevelFS| (NormUsage: usage over the root's). */
function fairTreeLines(tree: Association[]): string[] {
  const rows = fairTree(tree);
  const total = rows.find((row) => row.parent === null)!.usage;
  return rows.map((row: FairTreeFactors, i) => {
    const [acct, user] = row.user ? [row.parent, row.name] : [row.name, ""];
    const root = row.parent === null;
    const fairShare = row.fairShare === null ? "" : f(row.fairShare);
    const levelFs = row.levelFs === null ? "" : f(row.levelFs);
    return `${acct}|${user}|${root ? "" : tree[i]!.shares}|${f(row.normShares)}|${Math.trunc(row.usage)}|${root ? "" : f(row.usage / total)}|${f(row.effectiveUsage)}|${fairShare}|${levelFs}|`;
  });
}

describe("the classic algorithm", () => {
  // classic_fair_share.html's example: accounts A (40 shares: B 30, C 10) and D (60: E 25, F 35); users 1 (in B), 2
  // and 3 (in C), 4 (in E) and 5 (in F). Users 1, 2 and 4 used 0.2, 0.25 and 0.25 of the machine: test24.1 puts the
  // rest, 30 of 100, in an account G with no shares.
  const example = [
    ...account("root", null, 1),
    ...account("AccountA", "root", 40),
    ...account("AccountB", "AccountA", 30, [["User1", 1, 20]]),
    ...account("AccountC", "AccountA", 10, [
      ["User2", 1, 25],
      ["User3", 1, 0],
    ]),
    ...account("AccountD", "root", 60),
    ...account("AccountE", "AccountD", 25, [["User4", 1, 25]]),
    ...account("AccountF", "AccountD", 35, [["User5", 1, 0]]),
    ...account("AccountG", "root", 0, [["User6", 0, 30]]),
  ];

  it("gives Slurm's test24.1 line for line (classic_fair_share.html's example)", () => {
    expect(classicLines(example).slice(1)).toEqual([
      "AccountA||40|0.400000|45|0.450000|0.450000|0.458502|",
      "AccountB||30|0.300000|20|0.200000|0.387500|0.408479|",
      "AccountB|User1|1|0.300000|20|0.200000|0.387500|0.408479|",
      "AccountC||10|0.100000|25|0.250000|0.300000|0.125000|",
      "AccountC|User2|1|0.050000|25|0.250000|0.275000|0.022097|",
      "AccountC|User3|1|0.050000|0|0.000000|0.150000|0.125000|",
      "AccountD||60|0.600000|25|0.250000|0.250000|0.749154|",
      "AccountE||25|0.250000|25|0.250000|0.250000|0.500000|",
      "AccountE|User4|1|0.250000|25|0.250000|0.250000|0.500000|",
      "AccountF||35|0.350000|0|0.000000|0.145833|0.749154|",
      "AccountF|User5|1|0.350000|0|0.000000|0.145833|0.749154|",
      "AccountG||0|0.000000|30|0.300000|0.300000|0.000000|",
      // test24.1 checks this line's first fields only; User6 has no shares: its factor is 0, its effective usage G's.
      "AccountG|User6|0|0.000000|30|0.300000|0.300000|0.000000|",
    ]);
  });

  it("gives classic_fair_share.html's effective usages and factors", () => {
    const rows = new Map(classicFairShare(example).map((row) => [row.name, row]));
    const effective = { AccountA: 0.45, AccountD: 0.25, AccountB: 0.3875, AccountC: 0.3, AccountE: 0.25, AccountF: 0.1458, User1: 0.3875 };
    for (const [name, value] of Object.entries(effective)) expect(rows.get(name)?.effectiveUsage, name).toBeCloseTo(value, 4);
    expect([2, 3, 4, 5].map((user) => rows.get(`User${user}`)?.effectiveUsage)).toEqual([0.275, 0.15, 0.25, expect.closeTo(0.1458, 4)]);
    const factors = [0.408479, 0.022097, 0.125, 0.5, 0.749154];
    factors.forEach((factor, i) => expect(rows.get(`User${i + 1}`)?.fairShare, `User${i + 1}`).toBeCloseTo(factor, 6));
    const shares = [0.3, 0.05, 0.05, 0.25, 0.35];
    shares.forEach((share, i) => expect(rows.get(`User${i + 1}`)?.normShares, `User${i + 1}`).toBeCloseTo(share, 15));
  });

  it("gives Slurm's test24.3 line for line: FairShare=parent takes the parent's shares and effective usage", () => {
    const tree = [
      ...example.slice(0, 15),
      ...account("AccountH", "root", 50, [
        ["UHRA1", "parent", 20],
        ["UHRA2", 40, 20],
        ["UHRA3", 50, 25],
      ]),
      ...account("AccountHTA", "AccountH", "parent", [
        ["UHTAStd1", "parent", 10],
        ["UHTAStd2", 30, 10],
        ["UHTAStd3", 50, 25],
      ]),
    ];
    expect(classicLines(tree)).toEqual([
      "root|||1.000000|210||1.000000|0.500000|",
      "AccountA||40|0.266667|45|0.214286|0.214286|0.572929|",
      "AccountB||30|0.200000|20|0.095238|0.184524|0.527550|",
      "AccountB|User1|1|0.200000|20|0.095238|0.184524|0.527550|",
      "AccountC||10|0.066667|25|0.119048|0.142857|0.226431|",
      "AccountC|User2|1|0.033333|25|0.119048|0.130952|0.065672|",
      "AccountC|User3|1|0.033333|0|0.000000|0.071429|0.226431|",
      "AccountD||60|0.400000|25|0.119048|0.119048|0.813594|",
      "AccountE||25|0.166667|25|0.119048|0.119048|0.609507|",
      "AccountE|User4|1|0.166667|25|0.119048|0.119048|0.609507|",
      "AccountF||35|0.233333|0|0.000000|0.069444|0.813594|",
      "AccountF|User5|1|0.233333|0|0.000000|0.069444|0.813594|",
      "AccountG||0|0.000000|30|0.142857|0.142857|0.000000|",
      "AccountG|User6|0|0.000000|30|0.142857|0.142857|0.000000|",
      "AccountH||50|0.333333|110|0.523810|0.523810|0.336475|",
      "AccountH|UHRA1|parent|0.333333|20|0.095238|0.523810|0.336475|",
      "AccountH|UHRA2|40|0.078431|20|0.095238|0.196078|0.176777|",
      "AccountH|UHRA3|50|0.098039|25|0.119048|0.238095|0.185749|",
      "AccountHTA||parent|0.333333|45|0.214286|0.523810|0.336475|",
      "AccountHTA|UHTAStd1|parent|0.333333|10|0.047619|0.523810|0.336475|",
      "AccountHTA|UHTAStd2|30|0.058824|10|0.047619|0.131653|0.211966|",
      "AccountHTA|UHTAStd3|50|0.098039|25|0.119048|0.238095|0.185749|",
    ]);
  });

  it("applies FairShareDampeningFactor: F = 2^(−U/S/d)", () => {
    const [, , damped] = classicFairShare(example, 2);
    const [, , user] = classicFairShare(example);
    expect(damped?.fairShare).toBe(2 ** -(user!.effectiveUsage / user!.normShares / 2));
    expect(damped?.fairShare).toBeCloseTo(Math.sqrt(user!.fairShare), 15);
  });
});

describe("Fair Tree", () => {
  // Slurm's test24.4: shares and usage of every kind, FairShare=parent (aD), ties between accounts with no usage
  // (aE, aF) and between a user and an account (aG).
  const example = [
    ...account("root", null, 1, [
      ["u1", 10, 0],
      ["u2", 10, 10],
    ]),
    ...account("aA", "root", 40),
    ...account("aAA", "aA", 30, [["uAA1", 1, 20]]),
    ...account("aAB", "aA", 10, [
      ["uAB1", 1, 25],
      ["uAB2", 1, 0],
    ]),
    ...account("aB", "root", 60),
    ...account("aBA", "aB", 25, [["uBA1", 1, 25]]),
    ...account("aBB", "aB", 35, [["uBB1", 1, 0]]),
    ...account("aC", "root", 0, [["uC1", 0, 30]]),
    ...account("aD", "root", 50, [
      ["uD1", "parent", 20],
      ["uD2", 40, 20],
      ["uD3", 50, 25],
    ]),
    ...account("aDA", "aD", "parent", [
      ["uDA1", "parent", 10],
      ["uDA2", 30, 10],
      ["uDA3", 50, 25],
    ]),
    ...account("aE", "root", 10, [
      ["aE1", 10, 0],
      ["aE2", 10, 0],
    ]),
    ...account("aF", "root", 20, [
      ["uF1", 10, 0],
      ["uF2", 20, 0],
    ]),
    ...account("aG", "root", 8, [["uG1", 10, 10]]),
    ...account("aGA", "aG", 10, [
      ["uGA1", 20, 4],
      ["uGA2", 20, 6],
    ]),
  ];

  it("gives Slurm's test24.4 line for line", () => {
    expect(fairTreeLines(example)).toEqual([
      "root|||0.000000|240||1.000000|||",
      "root|u1|10|0.048077|0|0.000000|0.000000|1.000000|inf|",
      "root|u2|10|0.048077|10|0.041667|0.041667|0.666667|1.153846|",
      "aA||40|0.192308|45|0.187500|0.187500||1.025641|",
      "aAA||30|0.750000|20|0.083333|0.444444||1.687500|",
      "aAA|uAA1|1|1.000000|20|0.083333|1.000000|0.619048|1.000000|",
      "aAB||10|0.250000|25|0.104167|0.555556||0.450000|",
      "aAB|uAB1|1|0.500000|25|0.104167|1.000000|0.523810|0.500000|",
      "aAB|uAB2|1|0.500000|0|0.000000|0.000000|0.571429|inf|",
      "aB||60|0.288462|25|0.104167|0.104167||2.769231|",
      "aBA||25|0.416667|25|0.104167|1.000000||0.416667|",
      "aBA|uBA1|1|1.000000|25|0.104167|1.000000|0.714286|1.000000|",
      "aBB||35|0.583333|0|0.000000|0.000000||inf|",
      "aBB|uBB1|1|1.000000|0|0.000000|0.000000|0.761905|inf|",
      "aC||0|0.000000|30|0.125000|0.125000||0.000000|",
      "aC|uC1|0|0.000000|30|0.125000|1.000000|0.047619|0.000000|",
      "aD||50|0.240385|110|0.458333|0.458333||0.524476|",
      "aD|uD1|parent|0.240385|20|0.083333|0.181818|0.476190||",
      "aD|uD2|40|0.235294|20|0.083333|0.181818|0.238095|1.294118|",
      "aD|uD3|50|0.294118|25|0.104167|0.227273|0.333333|1.294118|",
      "aDA||parent|0.240385|45|0.187500|0.409091|||",
      "aDA|uDA1|parent|0.240385|10|0.041667|0.090909|0.476190||",
      "aDA|uDA2|30|0.176471|10|0.041667|0.090909|0.380952|1.941176|",
      "aDA|uDA3|50|0.294118|25|0.104167|0.227273|0.333333|1.294118|",
      "aE||10|0.048077|0|0.000000|0.000000||inf|",
      "aE|aE1|10|0.500000|0|0.000000|0.000000|1.000000|inf|",
      "aE|aE2|10|0.500000|0|0.000000|0.000000|1.000000|inf|",
      "aF||20|0.096154|0|0.000000|0.000000||inf|",
      "aF|uF1|10|0.333333|0|0.000000|0.000000|1.000000|inf|",
      "aF|uF2|20|0.666667|0|0.000000|0.000000|1.000000|inf|",
      "aG||8|0.038462|20|0.083333|0.083333||0.461538|",
      "aG|uG1|10|0.500000|10|0.041667|0.500000|0.190476|1.000000|",
      "aGA||10|0.500000|10|0.041667|0.500000||1.000000|",
      "aGA|uGA1|20|0.500000|4|0.016667|0.400000|0.190476|1.250000|",
      "aGA|uGA2|20|0.500000|6|0.025000|0.600000|0.095238|0.833333|",
    ]);
  });

  it("ranks users depth first, an account's users all above those of a sibling with a lower Level FS", () => {
    const tree = [
      ...account("root", null, 1),
      ...account("a", "root", 1, [["idle", 1, 0]]),
      ...account("b", "root", 1, [
        ["heavy", 1, 90],
        ["light", 1, 1],
      ]),
    ];
    const rows = fairTree(tree);
    // a (no usage, Level FS ∞) before b; in b, light (S/U = 0.5 / (1/91)) before heavy.
    expect(rows.map((row) => [row.name, row.levelFs, row.fairShare])).toEqual([
      ["root", null, null],
      ["a", Infinity, null],
      ["idle", Infinity, 1],
      ["b", 0.5 / (91 / 91), null],
      ["heavy", 0.5 / (90 / 91), 1 / 3],
      ["light", 0.5 / (1 / 91), 2 / 3],
    ]);
    expect(rows[4]?.effectiveUsage).toBe(90 / 91);
    expect(rows[4]?.normShares).toBe(0.5);
  });

  it("gives sibling users of the same Level FS the same rank, the next one the rank as if untied", () => {
    const rows = fairTree([
      ...account("root", null, 1),
      ...account("a", "root", 1, [
        ["x", 1, 10],
        ["y", 1, 10],
        ["z", 1, 30],
      ]),
    ]);
    expect(rows.slice(2).map((row) => row.fairShare)).toEqual([1, 1, 1 / 3]);
  });

  it("does not merge tied sibling accounts, as Slurm 22.05 does not: the second starts at the rank last given", () => {
    // a and b have the same shares and usage (Level FS 1); in each, the user of less usage comes first.
    const rows = fairTree([
      ...account("root", null, 1),
      ...account("a", "root", 1, [
        ["a1", 1, 2],
        ["a2", 1, 8],
      ]),
      ...account("b", "root", 1, [
        ["b1", 1, 2],
        ["b2", 1, 8],
      ]),
    ]);
    expect(rows[1]?.levelFs).toBe(rows[4]?.levelFs);
    // Merged, as fair_tree.html says, a1 and b1 would rank first (1), a2 and b2 third (0.5).
    expect(Object.fromEntries(rows.filter((row) => row.user).map((row) => [row.name, row.fairShare]))).toEqual({ a1: 1, a2: 0.75, b1: 0.75, b2: 0.25 });
  });

  it("ranks a user tied with a sibling account first, and the account's first user with it", () => {
    const rows = fairTree([
      ...account("root", null, 1),
      ...account("top", "root", 1, [["solo", 1, 10]]),
      ...account("sub", "top", 1, [
        ["s1", 1, 4],
        ["s2", 1, 6],
      ]),
    ]);
    expect(Object.fromEntries(rows.filter((row) => row.user).map((row) => [row.name, row.fairShare]))).toEqual({ solo: 1, s1: 1, s2: 1 / 3 });
  });

  it("with no usage anywhere: every Level FS ∞ but for no shares (0), users with shares tied first", () => {
    const rows = fairTree([
      ...account("root", null, 1),
      ...account("a", "root", 2, [
        ["x", 1, 0],
        ["none", 0, 0],
      ]),
      ...account("b", "root", 0, [["y", 1, 0]]),
    ]);
    expect(rows.map((row) => [row.name, row.effectiveUsage, row.levelFs, row.fairShare])).toEqual([
      ["root", 1, null, null],
      ["a", 0, Infinity, null],
      ["x", 0, Infinity, 1],
      ["none", 0, 0, 2 / 3],
      ["b", 0, 0, null],
      ["y", 0, Infinity, 1 / 3],
    ]);
    const classic = classicFairShare([...account("root", null, 1), ...account("a", "root", 2, [["x", 1, 0]])]);
    expect(classic.map((row) => [row.normUsage, row.effectiveUsage, row.fairShare])).toEqual([
      [0, 1, 0.5],
      [0, 0, 1],
      [0, 0, 1],
    ]);
  });

  it("gives a single user FairShare 1, and its account's usage as its own", () => {
    const tree = [...account("root", null, 1), ...account("a", "root", 5, [["x", 3, 1234.5]])];
    const rows = fairTree(tree);
    expect(rows.map((row) => [row.usage, row.normShares, row.effectiveUsage, row.levelFs, row.fairShare])).toEqual([
      [1234.5, 0, 1, null, null],
      [1234.5, 1, 1, 1, null],
      [1234.5, 1, 1, 1, 1],
    ]);
    expect(classicFairShare(tree).map((row) => row.fairShare)).toEqual([0.5, 0.5, 0.5]);
  });

  it("refuses a tree it cannot read, naming the association", () => {
    const root: Association = { name: "root", parent: null, shares: 1 };
    expect(() => fairTree([{ ...root, parent: "x" }])).toThrow("one root account");
    expect(() => fairTree([root, { name: "a", parent: "nowhere", shares: 1 }])).toThrow('account "a": its parent, "nowhere", is not an account');
    expect(() => fairTree([root, { name: "a", parent: "root", shares: 1, usage: 3 }])).toThrow("an account's usage is its children's");
    expect(() => fairTree([root, { name: "a", parent: "root", shares: -1 }])).toThrow("shares are not a number ≥ 0");
    expect(() => fairTree([root, { name: "x", parent: "root", shares: 1, user: true, usage: NaN }])).toThrow("user association root/x: usage");
    const twice: Association = { name: "x", parent: "root", shares: 1, user: true };
    expect(() => classicFairShare([root, twice, twice])).toThrow("user association root/x: listed twice");
    expect(() => fairTree([root, { name: "a", parent: "b", shares: 1 }, { name: "b", parent: "a", shares: 1 }])).toThrow("its parents make a cycle");
  });
});

describe("decayed usage", () => {
  const at = Date.UTC(2024, 2, 6, 12) / 1000; // Wednesday 2024-03-06T12:00:00Z
  const HOUR = 3600;
  const DAY = 86_400;

  it("without decay, units × seconds; a run still running, or ending after the time asked, counts until then", () => {
    const charges: Charge[] = [
      { start: at - 10 * HOUR, end: at - 8 * HOUR, units_per_second: 2.5 },
      { start: at - HOUR, end: null, units_per_second: 4 },
      { start: at - 100, end: at + 1000, units_per_second: 1 },
      { start: at + 5, end: at + 10, units_per_second: 1 },
    ];
    expect(decayedUsage(charges, 0, at)).toBe(2.5 * 2 * HOUR + 4 * HOUR + 100);
    expect(decayedUsage([], 0, at)).toBe(0);
  });

  it("decays by Slurm's factor 1 − 0.693 / half-life a second: to 0.50007 of itself in a week", () => {
    const week = 7 * DAY;
    const charges: Charge[] = [{ start: at - DAY, end: at - HOUR, units_per_second: 3 }];
    const now = decayedUsage(charges, week, at);
    const later = decayedUsage(charges, week, at + week);
    expect(later / now).toBeCloseTo((1 - 0.693 / week) ** week, 12);
    expect(later / now).toBeCloseTo(0.50007, 5);
    // Usage decays while nothing runs: an hour after the run ended it is below the undecayed 3 × 23 h.
    expect(now).toBeLessThan(3 * 23 * HOUR);
    expect(now).toBeGreaterThan(3 * 23 * HOUR * (1 - 0.693 / week) ** DAY);
  });

  it("counts each second of a run decayed from its start to the time asked: the geometric series, second by second", () => {
    const halfLife = 50;
    const d = 1 - 0.693 / halfLife;
    const [start, end, when] = [at - 300, at - 100, at];
    let seconds = 0;
    for (let t = start; t < end; t++) seconds += 1.5 * d ** (when - t);
    expect(decayedUsage([{ start, end, units_per_second: 1.5 }], halfLife, when)).toBeCloseTo(seconds, 10);
  });

  it("resets at each period's start, midnight UTC by default: a run across it counts from it", () => {
    const charges: Charge[] = [
      { start: Date.UTC(2023, 11, 31, 23) / 1000, end: Date.UTC(2024, 0, 1, 1) / 1000, units_per_second: 1 }, // across the new year
      { start: Date.UTC(2024, 1, 29, 23) / 1000, end: Date.UTC(2024, 2, 1, 1) / 1000, units_per_second: 10 }, // across March 1st
      { start: Date.UTC(2024, 2, 2, 23) / 1000, end: Date.UTC(2024, 2, 3, 1) / 1000, units_per_second: 100 }, // across Sunday March 3rd
      { start: at - 2 * HOUR, end: at + HOUR, units_per_second: 1000 }, // running at noon on March 6th
    ];
    const noon = 1000 * 2 * HOUR;
    const usage = (period: Exclude<UsageReset["period"], "NOW">) => decayedUsage(charges, 0, at, { period });
    expect(usage("NONE")).toBe(2 * HOUR + 10 * 2 * HOUR + 100 * 2 * HOUR + noon);
    expect(usage("DAILY")).toBe(noon);
    expect(usage("WEEKLY")).toBe(100 * HOUR + noon);
    expect(usage("MONTHLY")).toBe(10 * HOUR + 100 * 2 * HOUR + noon);
    expect(usage("QUARTERLY")).toBe(HOUR + 10 * 2 * HOUR + 100 * 2 * HOUR + noon);
    expect(usage("YEARLY")).toBe(HOUR + 10 * 2 * HOUR + 100 * 2 * HOUR + noon);
    // Quarters start in January, April, July and October.
    const may = Date.UTC(2024, 4, 10) / 1000;
    expect(decayedUsage([{ start: Date.UTC(2024, 2, 31, 23) / 1000, end: may, units_per_second: 1 }], 0, may, { period: "QUARTERLY" })).toBe(
      may - Date.UTC(2024, 3, 1) / 1000,
    );
    // NOW: once, when slurmctld started with it.
    expect(decayedUsage(charges, 0, at, { period: "NOW", at: at - HOUR })).toBe(1000 * HOUR);
    expect(decayedUsage(charges, 0, at - 2 * HOUR, { period: "NOW", at: at - HOUR })).toBe(decayedUsage(charges, 0, at - 2 * HOUR));
  });

  it("resets at the controller's local midnight, given its offset from UTC", () => {
    // 23:00 UTC is midnight at UTC+1: a run from 22:00 to 02:00 UTC counts from 23:00.
    const run: Charge = { start: Date.UTC(2024, 2, 5, 22) / 1000, end: Date.UTC(2024, 2, 6, 2) / 1000, units_per_second: 1 };
    expect(decayedUsage([run], 0, run.end!, { period: "DAILY", utcOffsetSeconds: HOUR })).toBe(3 * HOUR);
    expect(decayedUsage([run], 0, run.end!, { period: "DAILY", utcOffsetSeconds: -5 * HOUR })).toBe(4 * HOUR);
    // Sunday 2024-03-03 00:00 at UTC−5 is 05:00 UTC.
    const week: Charge = { start: Date.UTC(2024, 2, 3, 0) / 1000, end: Date.UTC(2024, 2, 3, 6) / 1000, units_per_second: 1 };
    expect(decayedUsage([week], 0, week.end!, { period: "WEEKLY", utcOffsetSeconds: -5 * HOUR })).toBe(HOUR);
  });

  it("with decay and a reset, decays only what came after the reset", () => {
    const halfLife = DAY;
    const charges: Charge[] = [{ start: at - 2 * DAY, end: at, units_per_second: 1 }];
    const sinceMidnight: Charge[] = [{ start: at - 12 * HOUR, end: at, units_per_second: 1 }];
    expect(decayedUsage(charges, halfLife, at, { period: "DAILY" })).toBe(decayedUsage(sinceMidnight, halfLife, at));
  });

  it("refuses a negative half-life", () => {
    expect(() => decayedUsage([], -1, at)).toThrow(RangeError);
  });
});

describe("decayed usage as Slurm's passes leave it", () => {
  const at = Date.UTC(2024, 2, 6, 12) / 1000; // Wednesday 2024-03-06T12:00:00Z
  /** Passes every `period` seconds from `from` to `to`. */
  const every = (period: number, from: number, to: number) => Array.from({ length: Math.floor((to - from) / period) + 1 }, (_, i) => from + i * period);

  it("gives what a live Slurm 22.05.8 showed (PriorityDecayHalfLife=2, passes a minute apart)", () => {
    // Two jobs of one association, started at 568, one ended at 600 (2.25 billing), the other at 646 (1.125); the
    // decay cluster's passes at 556, 616 and 676 (s after 1795798000). scontrol's UsageRaw: 83.15 at 640, 78.78 at 680.
    const t = (seconds: number) => 1_795_798_000 + seconds;
    const passes = [t(556), t(616), t(676)];
    const short: Charge = { start: t(568), end: t(600), units_per_second: 2.25 };
    expect(decayedUsage([short, { start: t(568), end: null, units_per_second: 1.125 }], 120, t(640), undefined, passes)).toBeCloseTo(83.15, 2);
    expect(decayedUsage([short, { start: t(568), end: t(646), units_per_second: 1.125 }], 120, t(680), undefined, passes)).toBeCloseTo(78.78, 2);
    // By parts: the running job's 48 s added at 616 aged from 568; each last part added at the end as it was, decayed
    // from the pass before it by the next: 2.25 × 32 from 556, 1.125 × 30 from 616.
    const d = 1 - 0.693 / 120;
    const parts = 2.25 * 32 * d ** 32 * d ** (676 - 556) + 1.125 * 48 * d ** (676 - 568) + 1.125 * 30 * d ** 30 * d ** (676 - 616);
    expect(decayedUsage([short, { start: t(568), end: t(646), units_per_second: 1.125 }], 120, t(680), undefined, passes)).toBeCloseTo(parts, 10);
  });

  it("is the usage without passes, at a pass, when passes come every second", () => {
    const charges: Charge[] = [
      { start: at - 500, end: at - 200, units_per_second: 1.5 },
      { start: at - 100, end: null, units_per_second: 3 },
    ];
    const passes = every(1, at - 1000, at);
    for (const halfLife of [0, 60, 3600]) expect(decayedUsage(charges, halfLife, at, undefined, passes)).toBeCloseTo(decayedUsage(charges, halfLife, at), 9);
  });

  it("is at most the usage without passes, at a pass, and at least d^(2P − 2) of it, P the time between passes", () => {
    const halfLife = 600;
    const d = 1 - 0.693 / halfLife;
    for (const period of [7, 60, 300]) {
      const passes = every(period, at - 5000, at);
      const last = passes.at(-1)!;
      for (const [start, end] of [
        [at - 4000, at - 3000],
        [at - 1001, at - 999],
        [at - 3999, last - 1],
      ] as [number, number][]) {
        const charges = [{ start, end, units_per_second: 2 }];
        const slurm = decayedUsage(charges, halfLife, last, undefined, passes);
        const continuous = decayedUsage(charges, halfLife, last);
        expect(slurm).toBeLessThanOrEqual(continuous);
        expect(slurm).toBeGreaterThanOrEqual(continuous * d ** (2 * period - 2));
      }
    }
  });

  it("without decay, counts a running job until the last pass, and ended jobs whole", () => {
    const passes = [at - 120, at - 60];
    const charges: Charge[] = [
      { start: at - 100, end: null, units_per_second: 1 },
      { start: at - 50, end: at - 10, units_per_second: 2 },
      { start: at - 50, end: at + 10, units_per_second: 4 },
    ];
    // The running ones' 40 s to the last pass; the ended one's 40 s added at its end, before any pass.
    expect(decayedUsage(charges, 0, at, undefined, passes)).toBe(40 + 2 * 40);
    // Before any pass, only the last parts of ended runs.
    expect(decayedUsage(charges, 0, at, undefined, [at + 60])).toBe(2 * 40);
  });

  it("a run ending at the second of a pass: its last part added by the pass", () => {
    const halfLife = 120;
    const d = 1 - 0.693 / halfLife;
    const passes = [at - 60, at];
    expect(decayedUsage([{ start: at - 30, end: at, units_per_second: 1 }], halfLife, at, undefined, passes)).toBeCloseTo(30 * d ** 30, 12);
  });

  it("resets at the first pass at or after midnight: what it adds is kept, runs ended before it are dropped", () => {
    const midnight = Date.UTC(2024, 2, 6) / 1000;
    // Passes since the last reset, the day before (the first pass after it when none is listed before it).
    const passes = [midnight - 400, midnight - 100, midnight + 200, midnight + 500];
    const charges: Charge[] = [
      { start: midnight - 300, end: midnight + 400, units_per_second: 1 }, // 300 s added at the reset pass, then its last 200
      { start: midnight - 50, end: midnight + 100, units_per_second: 10 }, // ended after midnight, before the reset pass
      { start: midnight - 300, end: midnight - 200, units_per_second: 100 }, // before midnight
    ];
    expect(decayedUsage(charges, 0, midnight + 600, { period: "DAILY" }, passes)).toBe(300 + 200);
    // Without the reset.
    expect(decayedUsage(charges, 0, midnight + 600, undefined, passes)).toBe(700 + 10 * 150 + 100 * 100);
    // Before the reset pass, nothing is reset yet.
    expect(decayedUsage(charges, 0, midnight + 150, { period: "DAILY" }, passes)).toBe(200 + 10 * 150 + 100 * 100);
  });

  it("refuses passes out of order", () => {
    expect(() => decayedUsage([], 60, at, undefined, [at, at - 60])).toThrow(RangeError);
    expect(() => decayedUsage([], 60, at, undefined, [at, at])).toThrow(RangeError);
  });
});
