import { BILLED_RESOURCES, DEFAULT_BILLING, type Allocations, type Bank, type BillingRule, type GrantUnit } from "../model/allocations.js";
import { rowsCsv } from "../model/csv.js";
import { formatDay, MICROS_PER_DAY, MICROS_PER_HOUR, parseDay } from "../model/time.js";
import { BINNINGS } from "./breakdown.js";
import { classicFairShare, decayedUsage, fairTree, type Association, type Charge } from "./fairshare.js";
import { countedSql } from "./report.js";
import { sqlString, type Connector } from "./sql.js";

/**
 * Balances: what each bank of the allocations file was granted, what its members used (the report's exact rule, the
 * same intervals), what remains, and when it runs out at its recent rate. Units are service units: a run's billing
 * (its resources weighed as Slurm's `TRESBillingWeights` weigh them, times its QOS's usage factor, unrounded, as
 * Slurm's usage accrues) times its hours; or core- or GPU-hours, as a bank's grants say.
 */

/** A row of `chargesSql`: what an account's user was charged on a day (days since 1970-01-01, UTC). */
interface ChargeRow {
  day: number;
  account: string;
  owner: string;
  /** Billing × hours: service units. */
  su: number;
  cpu_hours: number;
  gpu_hours: number;
}

/** The columns a run's resources are in, for a billing rule's SQL. */
const HELD: Record<(typeof BILLED_RESOURCES)[number], string> = {
  cpu: "coalesce(c.cpu_num, 0)",
  mem: "coalesce(c.memory_MB, 0)",
  // A run of a job whose records give no node count (Nomad's) holds one.
  node: "coalesce(j.nodes, 1)",
  gpu: "coalesce(c.gpu_num, 0)",
};

/** A run's billing per hour under one rule, as SQL: the weighed resources added up, or the largest (Slurm's MAX_TRES…). */
function ruleSql(rule: BillingRule): string {
  const weighed = (resource: (typeof BILLED_RESOURCES)[number]) => `${rule.weights[resource] ?? 0} * ${HELD[resource]}`;
  if (rule.method === "sum") return BILLED_RESOURCES.map(weighed).join(" + ");
  if (rule.method === "max_tres") return `greatest(${BILLED_RESOURCES.map(weighed).join(", ")})`;
  return `greatest(${weighed("cpu")}, ${weighed("mem")}, ${weighed("node")}) + ${weighed("gpu")}`;
}

/**
 * The billing per hour of a counted run `c` of job `j`, as SQL: the rule of its source's partition, else its source's,
 * else its partition's for any source, else any source's, else its cores (Slurm's default).
 */
function billingSql(allocations: Pick<Allocations, "billing" | "qos">): string {
  const specificity = (rule: BillingRule) => (rule.source === null ? 2 : 0) + (rule.partition === null ? 1 : 0);
  const rules = [...allocations.billing].sort((a, b) => specificity(a) - specificity(b));
  const when = (rule: BillingRule) => {
    const conditions = [
      ...(rule.source === null ? [] : [`c.source = ${sqlString(rule.source)}`]),
      ...(rule.partition === null ? [] : [`j.queue = ${sqlString(rule.partition)}`]),
    ];
    return `WHEN ${conditions.length ? conditions.join(" AND ") : "true"} THEN ${ruleSql(rule)}`;
  };
  const factors = Object.entries(allocations.qos);
  const factor = factors.length ? `(CASE j.qos ${factors.map(([qos, f]) => `WHEN ${sqlString(qos)} THEN ${f}`).join(" ")} ELSE 1 END)` : "1";
  const billing = rules.length ? `CASE ${rules.map(when).join(" ")} ELSE ${ruleSql(DEFAULT_BILLING)} END` : ruleSql(DEFAULT_BILLING);
  return `((${billing}) * ${factor})`;
}

/** Each account's users' charges per day from `from` to `to` (days, both included), the report's exact rule. */
function chargesSql(allocations: Pick<Allocations, "billing" | "qos">, from: string, to: string): string {
  return `WITH ${countedSql({ from, to, mode: "exact" }, BINNINGS.day)}
SELECT c.b AS day, c.account, c.owner,
  coalesce(fsum(${billingSql(allocations)} * c.us), 0) / ${MICROS_PER_HOUR} AS su,
  coalesce(fsum(coalesce(c.cpu_num, 0) * c.us), 0) / ${MICROS_PER_HOUR} AS cpu_hours,
  coalesce(fsum(coalesce(c.gpu_num, 0) * c.us), 0) / ${MICROS_PER_HOUR} AS gpu_hours
FROM counted c LEFT JOIN jobs j ON j.source = c.source AND j.cluster = c.cluster AND j.account = c.account AND j.job_id = c.job_id
GROUP BY c.b, c.account, c.owner
ORDER BY c.b, c.account, c.owner`;
}

/** How far a bank is into its grant: under the first threshold, past one, or over its grant (held). */
type BalanceLevel = "ok" | "warning" | "critical" | "over";

export interface BankBalance {
  bank: string;
  parent: string | null;
  unit: GrantUnit;
  /** The grants' days the balance covers: from the first active grant's start to `at`. */
  from: string;
  to: string;
  /** Units of the grants active on `at`; 0 when none is. */
  granted: number;
  /** What the bank's members and its sub-banks' used over the days, in its unit. */
  charged: number;
  remaining: number;
  /** Charged over granted, in percent; null with nothing granted. */
  percent: number | null;
  level: BalanceLevel;
  /** Used more than granted, for a bank with grants: the service-unit bank's rule would hold its jobs. */
  held: boolean;
  /** Each user's charge, most first. */
  users: Record<string, number>;
  /** Units charged a day over the last 30 days of the balance (fewer when it or the records are shorter). */
  ratePerDay: number;
  /** When the remaining units run out at that rate (`YYYY-MM-DD`); null when nothing is used or nothing remains. */
  runsOut: string | null;
  /** The remaining units at the end of each day of the balance, for a burn-down chart. */
  burnDown: { day: string; remaining: number }[];
  fairshare: BankFairshare;
}

/**
 * A bank's fair-share standing at the end of `at`, as Slurm's priority/multifactor computes it for an account (the
 * bank) and its user associations (the users charged to it, not its sub-banks'), from usage in billing-seconds
 * decayed by the allocations' half-life since the last reset (fairshare.ts).
 */
interface BankFairshare {
  algorithm: Allocations["fairshare"]["algorithm"];
  /** RawUsage: billing-seconds, decayed, of its users and sub-banks. */
  rawUsage: number;
  /** NormShares and EffectvUsage as the algorithm defines them (sshare's columns). */
  normShares: number;
  effectiveUsage: number;
  /** Fair Tree: the bank's Level FS (S / U; null when infinite: no usage at its level). Classic: its factor 2^(−U/S). */
  factor: number | null;
  /** Each user charged to the bank: Fair Tree's FairShare (rank / users), or the classic factor of their association. */
  users: Record<string, number>;
}

/** The days a balance on `at` covers, for the CLI's query: from the earliest start of a grant active then to `at`. */
function balanceWindow(allocations: Pick<Allocations, "banks">, at: string): { from: string; to: string } {
  const starts = allocations.banks.map((bank) => windowOf(bank, at).from);
  return { from: starts.reduce((a, b) => (b < a ? b : a), at), to: at };
}

/** A bank's days on `at`: from the first start of its active grants; with none, from the first day of `at`'s year. */
function windowOf(bank: Bank, at: string): { from: string; granted: number } {
  const active = bank.grants.filter((grant) => grant.from <= at && at <= grant.to);
  if (active.length === 0) return { from: `${at.slice(0, 4)}-01-01`, granted: 0 };
  return { from: active.map((grant) => grant.from).reduce((a, b) => (b < a ? b : a)), granted: active.reduce((sum, grant) => sum + grant.units, 0) };
}

const RECENT_DAYS = 30;
const MEASURE: Record<GrantUnit, "su" | "cpu_hours" | "gpu_hours"> = { SU: "su", "CPU-hours": "cpu_hours", "GPU-hours": "gpu_hours" };

/** The bank a run of `account` by `owner` is charged to: its account's, else its user's; undefined when neither is a member. */
function memberBanks(allocations: Pick<Allocations, "banks">): (account: string, owner: string) => Bank | undefined {
  const byAccount = new Map(allocations.banks.flatMap((bank) => bank.accounts.map((account) => [account, bank] as const)));
  const byUser = new Map(allocations.banks.flatMap((bank) => bank.users.map((user) => [user, bank] as const)));
  return (account, owner) => byAccount.get(account) ?? byUser.get(owner);
}

/**
 * Every bank's balance on the day `at`, from the charges of `chargesSql` over `balanceWindow`'s days: a bank is
 * charged what its members used and what its sub-banks' members used. `recordsFrom`: the first day of the records.
 */
function bankBalances(
  allocations: Pick<Allocations, "banks" | "thresholds">,
  charges: readonly ChargeRow[],
  at: string,
  recordsFrom: string,
): Omit<BankBalance, "fairshare">[] {
  const bankOf = memberBanks(allocations);
  const byName = new Map(allocations.banks.map((bank) => [bank.name, bank]));
  const atDay = parseDay(at)! / MICROS_PER_DAY;
  // What each bank was charged per day and per user, in its unit: each row once, for its bank and the banks above it.
  const windows = new Map(
    allocations.banks.map((bank) => {
      const window = windowOf(bank, at);
      return [bank.name, { ...window, fromDay: parseDay(window.from)! / MICROS_PER_DAY }];
    }),
  );
  const perDay = new Map(allocations.banks.map((bank) => [bank.name, new Map<number, number>()]));
  const perUser = new Map(allocations.banks.map((bank) => [bank.name, {} as Record<string, number>]));
  for (const row of charges) {
    for (let bank = bankOf(row.account, row.owner); bank !== undefined; bank = bank.parent === null ? undefined : byName.get(bank.parent)) {
      if (row.day < windows.get(bank.name)!.fromDay || row.day > atDay) continue;
      const units = row[MEASURE[bank.grants[0]?.unit ?? "SU"]];
      const days = perDay.get(bank.name)!;
      const users = perUser.get(bank.name)!;
      days.set(row.day, (days.get(row.day) ?? 0) + units);
      users[row.owner] = (users[row.owner] ?? 0) + units;
    }
  }
  return allocations.banks.map((bank) => {
    const { from, granted, fromDay } = windows.get(bank.name)!;
    const unit = bank.grants[0]?.unit ?? "SU";
    const days = perDay.get(bank.name)!;
    let charged = 0;
    const burnDown: BankBalance["burnDown"] = [];
    for (let day = fromDay; day <= atDay; day++) {
      charged += days.get(day) ?? 0;
      burnDown.push({ day: formatDay(day * MICROS_PER_DAY), remaining: granted - charged });
    }
    const remaining = granted - charged;
    // Days before the records begin tell nothing of the rate.
    const recentFrom = Math.max(fromDay, atDay - RECENT_DAYS + 1, Math.min(atDay, parseDay(recordsFrom)! / MICROS_PER_DAY));
    let recent = 0;
    for (const [day, units] of days) if (day >= recentFrom) recent += units;
    const ratePerDay = recent / (atDay - recentFrom + 1);
    const percent = granted > 0 ? (100 * charged) / granted : null;
    // A bank granted nothing ever only groups usage and shares: it is never held.
    const held = bank.grants.length > 0 && charged > granted;
    const passed = allocations.thresholds.filter((threshold) => percent !== null && percent >= threshold).length;
    const level: BalanceLevel = held ? "over" : passed === 0 ? "ok" : passed < allocations.thresholds.length ? "warning" : "critical";
    const runsOut = ratePerDay > 0 && remaining > 0 ? formatDay((atDay + 1) * MICROS_PER_DAY + Math.floor((remaining / ratePerDay) * MICROS_PER_DAY)) : null;
    const sortedUsers = Object.fromEntries(Object.entries(perUser.get(bank.name)!).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)));
    return {
      bank: bank.name,
      parent: bank.parent,
      unit,
      from,
      to: at,
      granted,
      charged,
      remaining,
      percent,
      level,
      held,
      users: sortedUsers,
      ratePerDay,
      runsOut,
      burnDown,
    };
  });
}

/** A row of `runChargesSql`: a run's part counted from the records' start to `at`, µs, and its billing (service units an hour, Slurm's usage a second). */
interface RunCharge {
  account: string;
  owner: string;
  start_us: number;
  us: number;
  billing: number;
}

/** Every run's time from the records' start to the end of `to`, cut at it, with its billing per hour: fair-share's usage. */
function runChargesSql(allocations: Pick<Allocations, "billing" | "qos">, to: string): string {
  return `WITH ${countedSql({ to, mode: "exact" })}
SELECT c.account, c.owner, greatest(epoch_us(c.start_time), bounds.lo) AS start_us, c.us, ${billingSql(allocations)} AS billing
FROM counted c CROSS JOIN bounds
LEFT JOIN jobs j ON j.source = c.source AND j.cluster = c.cluster AND j.account = c.account AND j.job_id = c.job_id
WHERE c.us > 0
ORDER BY c.account, c.owner, start_us`;
}

/** The root of the banks' tree, as Slurm's: every bank without a parent is its child. */
const ROOT = "root";
const RESETS = { none: "NONE", daily: "DAILY", weekly: "WEEKLY", monthly: "MONTHLY", quarterly: "QUARTERLY", yearly: "YEARLY" } as const;

/**
 * Each bank's fair-share at the end of the day `at`: the banks as accounts under a root, each user charged to a bank
 * as a user association of it (1 share, as sacctmgr gives by default), with the usage of their runs decayed.
 */
function bankFairshares(allocations: Allocations, runs: readonly RunCharge[], at: string): Map<string, BankFairshare> {
  const bankOf = memberBanks(allocations);
  const end = (parseDay(at)! + MICROS_PER_DAY) / 1e6;
  const charges = new Map<string, Map<string, Charge[]>>();
  for (const run of runs) {
    const bank = bankOf(run.account, run.owner);
    if (bank === undefined) continue;
    const users = charges.get(bank.name) ?? new Map<string, Charge[]>();
    charges.set(bank.name, users);
    const owned = users.get(run.owner) ?? [];
    users.set(run.owner, owned);
    const start = Number(run.start_us) / 1e6;
    owned.push({ start, end: start + Number(run.us) / 1e6, units_per_second: run.billing });
  }
  const { halfLifeSeconds, reset, algorithm } = allocations.fairshare;
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  // Siblings as slurmctld orders them: user associations first, each kind by name.
  const associations: Association[] = [{ name: ROOT, parent: null, shares: 1 }];
  for (const bank of [...allocations.banks].sort(byName)) {
    const users = [...(charges.get(bank.name) ?? new Map<string, Charge[]>())].map(([name, runs]) => ({ name, runs })).sort(byName);
    for (const user of users)
      associations.push({
        name: user.name,
        parent: bank.name,
        shares: 1,
        user: true,
        usage: decayedUsage(user.runs, halfLifeSeconds, end, { period: RESETS[reset] }),
      });
    associations.push({ name: bank.name, parent: bank.parent ?? ROOT, shares: bank.shares });
  }
  const factors = algorithm === "classic" ? classicFairShare(associations) : fairTree(associations);
  const standings = new Map<string, BankFairshare>();
  for (const bank of allocations.banks) {
    const own = factors.find((factor) => !factor.user && factor.name === bank.name)!;
    const users = factors.filter((factor) => factor.user && factor.parent === bank.name);
    const factorOf = (factor: (typeof factors)[number]) => ("levelFs" in factor && !factor.user ? factor.levelFs : factor.fairShare);
    const factor = factorOf(own);
    standings.set(bank.name, {
      algorithm,
      rawUsage: own.usage,
      normShares: own.normShares,
      effectiveUsage: own.effectiveUsage,
      factor: factor === null || !Number.isFinite(factor) ? null : factor,
      users: Object.fromEntries(users.map((user) => [user.name, factorOf(user) ?? 0])),
    });
  }
  return standings;
}

/** Every bank's balance on `at` through any DuckDB holding the archive's tables (the CLI's, the browser's). */
export async function runBalances(db: Connector, allocations: Allocations, at: string): Promise<BankBalance[]> {
  const { from, to } = balanceWindow(allocations, at);
  const rows = await db.query<ChargeRow>(chargesSql(allocations, from, to));
  const [{ first }] = (await db.query<{ first: number }>("SELECT min(epoch_us(first_time)) AS first FROM spans")) as [{ first: number }];
  const fairshares = bankFairshares(allocations, await db.query<RunCharge>(runChargesSql(allocations, at)), at);
  // Day numbers are BIGINT: a bigint from native DuckDB.
  const balances = bankBalances(
    allocations,
    rows.map((row) => ({ ...row, day: Number(row.day) })),
    at,
    formatDay(Number(first)),
  );
  return balances.map((balance) => ({ ...balance, fairshare: fairshares.get(balance.bank)! }));
}

/** How deep a bank is in the tree of the balances: 0 at the top; for indenting it under its parent. */
export function bankDepth(balance: BankBalance, balances: readonly BankBalance[]): number {
  const parent = balances.find((other) => other.bank === balance.parent);
  return parent ? bankDepth(parent, balances) + 1 : 0;
}

/** A bank's fair-share as JSON and CSV give it. */
const fairshareJson = ({ algorithm, rawUsage, normShares, effectiveUsage, factor, users }: BankFairshare) => ({
  algorithm,
  raw_usage: rawUsage,
  norm_shares: normShares,
  effective_usage: effectiveUsage,
  factor,
  users,
});

/** Balances as `accounting balance --format json` writes them: banks keyed by name. */
export function balancesJson(at: string, balances: readonly BankBalance[]) {
  return {
    at,
    banks: Object.fromEntries(
      // Not the day (it is `at`) nor the burn-down (the page draws it).
      balances.map(({ bank, to: _, burnDown: __, ratePerDay, runsOut, fairshare, ...rest }) => [
        bank,
        { ...rest, rate_per_day: ratePerDay, runs_out: runsOut, fairshare: fairshareJson(fairshare) },
      ]),
    ),
  };
}

/** Balances as CSV: a row per bank, units unrounded, its fair-share factor and raw usage. */
export function balancesCsv(balances: readonly BankBalance[]): string {
  const rows = balances.map(({ bank, parent, unit, from, to, granted, charged, remaining, percent, level, held, ratePerDay, runsOut, fairshare }) => ({
    bank,
    parent,
    unit,
    from,
    to,
    granted,
    charged,
    remaining,
    percent,
    level,
    held: String(held),
    rate_per_day: ratePerDay,
    runs_out: runsOut,
    fairshare: fairshare.factor,
    raw_usage: fairshare.rawUsage,
  }));
  return rowsCsv(rows, [
    "bank",
    "parent",
    "unit",
    "from",
    "to",
    "granted",
    "charged",
    "remaining",
    "percent",
    "level",
    "held",
    "rate_per_day",
    "runs_out",
    "fairshare",
    "raw_usage",
  ]);
}
