import { parseDay } from "./time.js";

/**
 * What an installation granted: `<archive>/allocations.json`, a tree of banks (a VO, a project, a Slurm account…),
 * each with its share of the cluster, its members (the accounts and users whose usage it is charged) and its grants
 * of units; how a job's resources become units (Slurm's `TRESBillingWeights`, per source and partition); each QOS's
 * usage factor; the fair-share parameters. Pure: `parseAllocations(text)` reads the file's text (the ingest reads the
 * file, loaders/ingest/allocations.ts).
 */

/** The resources a billing weight may name, as Slurm writes them; GPUs whatever their type (`GRES/gpu:a100`). */
export const BILLED_RESOURCES = ["cpu", "mem", "node", "gpu"] as const;
type BilledResource = (typeof BILLED_RESOURCES)[number];

/**
 * How weighted resources add up to a job's billing, as Slurm's `PriorityFlags` say: `sum` (Slurm's default) of
 * them all; `max_tres`, the largest; `max_tres_gres`, the largest but GPUs', plus GPUs'.
 */
const BILLING_METHODS = ["sum", "max_tres", "max_tres_gres"] as const;
type BillingMethod = (typeof BILLING_METHODS)[number];

/** The units a grant counts: service units (billing × hours, the default), or core- or GPU-hours. */
const GRANT_UNITS = ["SU", "CPU-hours", "GPU-hours"] as const;
export type GrantUnit = (typeof GRANT_UNITS)[number];

/** Slurm's `PriorityUsageResetPeriod`: when usage starts again from nothing. */
const RESET_PERIODS = ["none", "daily", "weekly", "monthly", "quarterly", "yearly"] as const;
type ResetPeriod = (typeof RESET_PERIODS)[number];

const FAIRSHARE_ALGORITHMS = ["fair-tree", "classic"] as const;
type FairshareAlgorithm = (typeof FAIRSHARE_ALGORITHMS)[number];

/** Units granted to a bank for the days `from` to `to` (`YYYY-MM-DD`, both included, UTC). */
interface Grant {
  units: number;
  from: string;
  to: string;
  unit: GrantUnit;
}

export interface Bank {
  name: string;
  /** Null for a bank at the top of the tree. */
  parent: string | null;
  /** Its share among its siblings (Slurm's RawShares); 1 by default. */
  shares: number;
  /** The accounts (Nomad namespaces, Slurm accounts, Grid Engine projects, Flux banks) charged to it. */
  accounts: string[];
  /** Users whose usage it is charged, whatever the account (an owner id, a Unix user name). */
  users: string[];
  grants: Grant[];
}

/** The weights of one partition, or of all a source's, or of every source's: the most specific rule applies. */
export interface BillingRule {
  /** Null for any source. */
  source: string | null;
  /** A partition or queue; null for any. */
  partition: string | null;
  /** Units per resource and hour: per core, per MiB of memory, per node, per GPU. */
  weights: Partial<Record<BilledResource, number>>;
  method: BillingMethod;
}

interface Fairshare {
  /** Slurm's `PriorityDecayHalfLife`, in seconds; 0: no decay. */
  halfLifeSeconds: number;
  reset: ResetPeriod;
  algorithm: FairshareAlgorithm;
}

export interface Allocations {
  banks: Bank[];
  billing: BillingRule[];
  /** Each QOS's usage factor (Slurm's `UsageFactor`); 1 for any other. */
  qos: Record<string, number>;
  fairshare: Fairshare;
  /** Percentages of a grant used past which a bank is flagged, ascending: 60 and 90 by default. */
  thresholds: number[];
}

/** An allocations file that cannot be used: the message names the file's entry at fault. */
export class AllocationsError extends Error {}

/** Without a rule: a job is billed its cores, as Slurm bills a partition without `TRESBillingWeights`. */
export const DEFAULT_BILLING: BillingRule = { source: null, partition: null, weights: { cpu: 1 }, method: "sum" };

const DEFAULT_FAIRSHARE: Fairshare = { halfLifeSeconds: 7 * 86_400, reset: "none", algorithm: "fair-tree" };
const DEFAULT_THRESHOLDS = [60, 90];

/** Slurm's suffixes of a weight: the weight is per that many of the resource's base unit (MiB for memory). */
const SUFFIXES: Record<string, number> = { K: 1 / 1024, M: 1, G: 1024, T: 1024 ** 2, P: 1024 ** 3 };

/**
 * Slurm's `TRESBillingWeights` (`CPU=1.0,Mem=0.25G,GRES/gpu=2.0`): units per core, per MiB of memory (`G`: per GiB,
 * so 0.25G is 0.25/1024 per MiB), per node and per GPU. Names are case-insensitive. Throws a RangeError naming what
 * it cannot read, and for a typed GPU (`GRES/gpu:a100`): the records keep no GPU's type.
 */
export function parseBillingWeights(text: string): Partial<Record<BilledResource, number>> {
  const weights: Partial<Record<BilledResource, number>> = {};
  for (const entry of text.split(",")) {
    const match = /^\s*([A-Za-z]+(?:\/[\w.:-]+)?)\s*=\s*(\d+(?:\.\d*)?|\.\d+)([KMGTP]?)\s*$/i.exec(entry);
    if (match === null) throw new RangeError(`not NAME=WEIGHT: ${JSON.stringify(entry)}`);
    const [, name = "", number = "", suffix = ""] = match;
    const lower = name.toLowerCase();
    if (lower.startsWith("gres/gpu:")) throw new RangeError(`${name}: the records count GPUs, not their types: weigh GRES/gpu`);
    const resource = ({ cpu: "cpu", mem: "mem", node: "node", "gres/gpu": "gpu" } as const)[lower];
    if (resource === undefined) throw new RangeError(`${JSON.stringify(name)} is not a resource the records hold (CPU, Mem, Node, GRES/gpu)`);
    if (resource in weights) throw new RangeError(`${name} weighted twice`);
    weights[resource] = Number(number) / (SUFFIXES[suffix.toUpperCase()] ?? 1);
  }
  return weights;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Reads the allocations file's text; throws an AllocationsError naming the entry at fault. */
export function parseAllocations(text: string, file = "allocations.json"): Allocations {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new AllocationsError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const fail = (where: string, what: string): never => {
    throw new AllocationsError(`${file}: ${where}: ${what}`);
  };
  if (!isObject(document)) return fail("the file", "not an object");
  const known = ["banks", "billing", "qos", "fairshare", "thresholds"];
  for (const key of Object.keys(document)) if (!known.includes(key)) fail(key, `not a known entry (${known.join(", ")})`);
  const banksValue = document.banks;
  if (!Array.isArray(banksValue) || banksValue.length === 0) fail("banks", "a list of at least one bank is needed");

  const names = (where: string, value: unknown): string[] =>
    value === undefined
      ? []
      : Array.isArray(value) && value.every((item) => typeof item === "string" && item !== "")
        ? (value as string[])
        : fail(where, "not a list of names");
  const positive = (where: string, value: unknown, orZero = false): number =>
    typeof value === "number" && Number.isFinite(value) && (value > 0 || (orZero && value === 0))
      ? value
      : fail(where, `not a ${orZero ? "non-negative" : "positive"} number`);
  const day = (where: string, value: unknown): string => {
    if (typeof value !== "string" || !/^\d{4}-\d\d-\d\d$/.test(value) || parseDay(value) === undefined) return fail(where, "not a day YYYY-MM-DD");
    return value;
  };
  const oneOf = <T extends string>(where: string, value: unknown, options: readonly T[], otherwise: T): T =>
    value === undefined ? otherwise : options.includes(value as T) ? (value as T) : fail(where, `not one of ${options.join(", ")}`);

  const banks = (banksValue as unknown[]).map((value, index): Bank => {
    if (!isObject(value)) return fail(`banks[${index}]`, "not an object");
    const where = typeof value.name === "string" && value.name !== "" ? `bank ${JSON.stringify(value.name)}` : fail(`banks[${index}]`, "no name");
    // Fair-share's tree has a root above the banks, as Slurm's.
    if (value.name === "root") fail(where, "root is the tree's own top: name the bank otherwise");
    for (const key of Object.keys(value))
      if (!["name", "parent", "shares", "accounts", "users", "grants"].includes(key)) fail(where, `${JSON.stringify(key)} is not a bank's entry`);
    const grantsValue = value.grants ?? [];
    if (!Array.isArray(grantsValue)) fail(`${where}, grants`, "not a list");
    const grants = (grantsValue as unknown[]).map((grant, g): Grant => {
      const at = `${where}, grants[${g}]`;
      if (!isObject(grant)) return fail(at, "not an object");
      const from = day(`${at}, from`, grant.from);
      const to = day(`${at}, to`, grant.to);
      if (to < from) fail(at, `ends (${to}) before it starts (${from})`);
      return { units: positive(`${at}, units`, grant.units, true), from, to, unit: oneOf(`${at}, unit`, grant.unit, GRANT_UNITS, "SU") };
    });
    if (grants.some((grant) => grant.unit !== grants[0]!.unit)) fail(`${where}, grants`, "grants in different units");
    const parent = value.parent ?? null;
    if (parent !== null && (typeof parent !== "string" || parent === "")) fail(`${where}, parent`, "not a bank's name");
    return {
      name: value.name as string,
      parent: parent as string | null,
      shares: value.shares === undefined ? 1 : positive(`${where}, shares`, value.shares, true),
      accounts: names(`${where}, accounts`, value.accounts),
      users: names(`${where}, users`, value.users),
      grants,
    };
  });

  const byName = new Map<string, Bank>();
  for (const bank of banks) {
    if (byName.has(bank.name)) fail(`bank ${JSON.stringify(bank.name)}`, "named twice");
    byName.set(bank.name, bank);
  }
  for (const bank of banks) {
    if (bank.parent !== null && !byName.has(bank.parent)) fail(`bank ${JSON.stringify(bank.name)}, parent`, `${JSON.stringify(bank.parent)} is not a bank`);
    // The tree has no cycle: following parents from any bank reaches the top.
    const seen = new Set([bank.name]);
    for (let up = bank.parent; up !== null; up = byName.get(up)!.parent) {
      if (seen.has(up)) fail(`bank ${JSON.stringify(bank.name)}, parent`, "the banks' parents make a cycle");
      seen.add(up);
    }
  }
  // A run is charged to one bank and its ancestors: an account or a user in two banks would count twice.
  for (const kind of ["accounts", "users"] as const) {
    const owner = new Map<string, string>();
    for (const bank of banks)
      for (const member of bank[kind]) {
        const other = owner.get(member);
        if (other !== undefined)
          fail(`bank ${JSON.stringify(bank.name)}, ${kind}`, `${JSON.stringify(member)} is already a member of bank ${JSON.stringify(other)}`);
        owner.set(member, bank.name);
      }
  }

  const billingValue = document.billing ?? [];
  if (!Array.isArray(billingValue)) fail("billing", "not a list");
  const billing = (billingValue as unknown[]).map((rule, index): BillingRule => {
    const at = `billing[${index}]`;
    if (!isObject(rule)) return fail(at, "not an object");
    const optional = (key: string): string | null =>
      rule[key] === undefined || rule[key] === null
        ? null
        : typeof rule[key] === "string" && rule[key] !== ""
          ? (rule[key] as string)
          : fail(`${at}, ${key}`, "not a name");
    if (typeof rule.weights !== "string") return fail(`${at}, weights`, "not a TRESBillingWeights text (CPU=1.0,Mem=0.25G,GRES/gpu=2.0)");
    let weights: BillingRule["weights"];
    try {
      weights = parseBillingWeights(rule.weights);
    } catch (error) {
      return fail(`${at}, weights`, (error as Error).message);
    }
    return { source: optional("source"), partition: optional("partition"), weights, method: oneOf(`${at}, method`, rule.method, BILLING_METHODS, "sum") };
  });
  const rules = new Set<string>();
  billing.forEach((rule, index) => {
    const key = `${rule.source}\0${rule.partition}`;
    if (rules.has(key)) fail(`billing[${index}]`, "a second rule for the same source and partition");
    rules.add(key);
  });

  const qosValue = document.qos ?? {};
  if (!isObject(qosValue)) fail("qos", "not an object of QOS names and usage factors");
  const qos = Object.fromEntries(
    Object.entries(qosValue as Record<string, unknown>).map(([name, factor]) => [name, positive(`qos ${JSON.stringify(name)}`, factor, true)]),
  );

  const fairshareValue = document.fairshare ?? {};
  if (!isObject(fairshareValue)) fail("fairshare", "not an object");
  const f = fairshareValue as Record<string, unknown>;
  for (const key of Object.keys(f))
    if (!["half_life_days", "reset", "algorithm"].includes(key)) fail(`fairshare, ${key}`, "not a known entry (half_life_days, reset, algorithm)");
  const fairshare: Fairshare = {
    halfLifeSeconds:
      f.half_life_days === undefined ? DEFAULT_FAIRSHARE.halfLifeSeconds : positive("fairshare, half_life_days", f.half_life_days, true) * 86_400,
    reset: oneOf("fairshare, reset", f.reset, RESET_PERIODS, DEFAULT_FAIRSHARE.reset),
    algorithm: oneOf("fairshare, algorithm", f.algorithm, FAIRSHARE_ALGORITHMS, DEFAULT_FAIRSHARE.algorithm),
  };

  const thresholdsValue = document.thresholds ?? DEFAULT_THRESHOLDS;
  const thresholds =
    Array.isArray(thresholdsValue) &&
    thresholdsValue.every((value, i) => typeof value === "number" && value > 0 && (i === 0 || value > (thresholdsValue[i - 1] as number)))
      ? (thresholdsValue as number[])
      : fail("thresholds", "not ascending positive percentages");
  return { banks, billing, qos, fairshare, thresholds };
}
