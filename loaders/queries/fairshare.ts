/**
 * Fair-share as Slurm's priority/multifactor plugin computes it (Slurm 22.05): the usage of each association (a
 * user's in an account, or an account's), decayed by `PriorityDecayHalfLife` and reset by
 * `PriorityUsageResetPeriod`; and, from that usage and the shares of the association tree, the factors of Slurm's two
 * algorithms: Fair Tree (the default, `fairTree`) and the classic one (`PriorityFlags=NO_FAIR_TREE`,
 * `classicFairShare`). Pure functions of the usage and the tree, in doubles; each field says which column of
 * `sshare -l` it is.
 */

/** Slurm's `PriorityUsageResetPeriod`, as slurm.conf spells it. */
type UsageResetPeriod = "NONE" | "NOW" | "DAILY" | "WEEKLY" | "MONTHLY" | "QUARTERLY" | "YEARLY";

/**
 * When usage starts again from nothing. Slurm resets at midnight of the controller's local time: at the start of
 * each day (`DAILY`), each Sunday (`WEEKLY`), the first day of each month (`MONTHLY`), of January, April, July and
 * October (`QUARTERLY`), of January (`YEARLY`). `NOW` resets once, when slurmctld starts or is reconfigured with it:
 * `at` says when.
 */
export type UsageReset =
  | { period: "NONE" }
  | { period: "NOW"; at: number }
  | {
      period: Exclude<UsageResetPeriod, "NONE" | "NOW">;
      /** The controller's time zone, as its offset from UTC in seconds (east positive); 0 by default. */
      utcOffsetSeconds?: number;
    };

/**
 * A run charged to an association: from `start` to `end` (seconds since 1970-01-01T00:00:00Z, Slurm's times; `end`
 * null while it runs), `units_per_second` billing units a second: its billable TRES (its resources weighed by its
 * partition's `TRESBillingWeights`) times its QOS's `UsageFactor`.
 */
export interface Charge {
  start: number;
  end: number | null;
  units_per_second: number;
}

/**
 * Slurm's decay factor per second for a half-life (s), `1 − 0.693 / half-life` as its decay thread computes it: the
 * first terms of e^(ln ½ / half-life), so that usage decays to 0.50007 of itself, not exactly half, in a half-life
 * of a week. 1 (no decay) for a half-life of 0.
 */
function decayPerSecond(halfLifeSeconds: number): number {
  return halfLifeSeconds > 0 ? 1 - 0.693 / halfLifeSeconds : 1;
}

const DAY_SECONDS = 86_400;

/** The last reset at or before `at` (s), or −∞ when usage was never reset. */
function lastReset(at: number, reset: UsageReset): number {
  if (reset.period === "NONE") return -Infinity;
  if (reset.period === "NOW") return reset.at <= at ? reset.at : -Infinity;
  const offset = reset.utcOffsetSeconds ?? 0;
  const local = at + offset;
  const day = Math.floor(local / DAY_SECONDS);
  if (reset.period === "DAILY") return day * DAY_SECONDS - offset;
  // 1970-01-01 was a Thursday: day 0 is 4 days after a Sunday.
  if (reset.period === "WEEKLY") return (day - ((((day + 4) % 7) + 7) % 7)) * DAY_SECONDS - offset;
  const date = new Date(day * DAY_SECONDS * 1000);
  const month = { MONTHLY: date.getUTCMonth(), QUARTERLY: date.getUTCMonth() - (date.getUTCMonth() % 3), YEARLY: 0 }[reset.period];
  return Date.UTC(date.getUTCFullYear(), month, 1) / 1000 - offset;
}

/**
 * An association's raw usage at `at` (s), in billing-seconds (sshare's RawUsage): the charges of its runs decayed as
 * Slurm's `PriorityDecayHalfLife` decays them (`halfLifeSeconds`, 0 for no decay), nothing from before the last reset.
 *
 * Slurm decays usage in passes, every `PriorityCalcPeriod` (a minute at least, 5 by default): each pass multiplies
 * all usage by d^Δ, d = 1 − 0.693 / half-life its factor per second and Δ the seconds since the last pass, then adds
 * each running job's seconds since that pass (or its start) at once, times d^(their number): all of them aged from
 * the first one. A job's last part, from the last pass to its end, is added so when it ends, and decayed by the next
 * pass from that last pass: twice. sshare shows the usage as the last pass left it, with the last parts of the jobs
 * ended since.
 *
 * Given `passes`, the times of Slurm's passes (ascending, all since the runs began; the last one is slurmctld's
 * StateSaveLocation/priority_last_decay_ran; a reset before the first is taken as before all), this is that usage, as
 * sshare shows it at `at` (test/loaders/queries/fairshare-decay.live.test.ts checks it against a live Slurm): a run
 * ending at the second of a pass counts as ended after it (the pass adds its last part). Slurm's resets come at its first pass at or after
 * their time: the part of each running job added by that pass (from before the reset too) is kept, the last parts of
 * the jobs ended between the reset's time and that pass are not.
 *
 * Without passes (their times are not in the records), the limit of passes every second: a second of a run starting
 * at t counts units_per_second × d^(at − t), and a run's seconds from s to e (cut to the last reset and to `at`) add
 * up to the geometric series units_per_second × d^(at − e + 1) × (1 − d^(e − s)) / (1 − d), or
 * units_per_second × (e − s) without decay; a reset drops all that came before its time. At a pass, of runs ended
 * before it, Slurm's usage is at most this and at least d^(2P − 2) of it, P the longest time between two passes
 * (seconds of a job aged from the start of their pass's period, the last part twice): within 6.9e-4 of it with
 * 5-minute periods and a week's half-life (about 1.7e-4 on average); without decay, the same numbers. Slurm adds a
 * job's last part only with `AccountingStorageEnforce=limits`: without it, the part of each job after the last pass
 * is never charged, and a job between two passes not at all.
 */
export function decayedUsage(
  charges: readonly Charge[],
  halfLifeSeconds: number,
  at: number,
  reset: UsageReset = { period: "NONE" },
  passes?: readonly number[],
): number {
  if (!(halfLifeSeconds >= 0)) throw new RangeError(`not a half-life in seconds: ${halfLifeSeconds}`);
  const d = decayPerSecond(halfLifeSeconds);
  if (passes !== undefined) return usageByPasses(charges, d, at, reset, passes);
  const since = lastReset(at, reset);
  let usage = 0;
  for (const { start, end, units_per_second } of charges) {
    const from = Math.max(start, since);
    const to = Math.min(end ?? at, at);
    if (!(to > from)) continue;
    usage += d === 1 ? units_per_second * (to - from) : (units_per_second * d ** (at - to + 1) * -Math.expm1((to - from) * Math.log(d))) / (1 - d);
  }
  return usage;
}

/** decayedUsage's usage as Slurm's passes (at the times `passes`) leave it, with the decay factor per second `d`. */
function usageByPasses(charges: readonly Charge[], d: number, at: number, reset: UsageReset, passes: readonly number[]): number {
  passes.forEach((pass, i) => {
    if (!Number.isFinite(pass) || (i > 0 && !(pass > (passes[i - 1] as number)))) throw new RangeError(`passes are not ascending times: ${passes.join(", ")}`);
  });
  const done = passes.filter((pass) => pass <= at);
  const last = done.at(-1);
  if (last === undefined) {
    // No pass yet: the last parts of the runs ended, as they were added.
    return charges.reduce((sum, { start, end, units_per_second }) => {
      const seconds = end !== null && end <= at && end > start ? end - start : 0;
      return sum + units_per_second * seconds * d ** seconds;
    }, 0);
  }
  // The pass that reset the usage last: the first at or after the time of the last reset before the last pass; before
  // them all when no pass is known before that time.
  const resetAt = lastReset(last, reset);
  const resetPass = resetAt <= (done[0] as number) ? -Infinity : (done.find((pass) => pass >= resetAt) as number);
  let usage = 0;
  for (const { start, end, units_per_second } of charges) {
    const ended = end !== null && end <= at;
    // The pass before the period of each part, −∞ before the first pass: a part from `from` to a pass, added by it.
    let previous = -Infinity;
    for (const pass of done) {
      if (ended && pass > end) break;
      const from = Math.max(start, previous);
      if (pass > from && pass >= resetPass) usage += units_per_second * (pass - from) * d ** (last - from);
      previous = pass;
    }
    if (!ended) continue;
    // The last part, added at the end as it was, then decayed from the pass before it (the first after it when none).
    const from = Math.max(start, previous);
    if (!(end > from) || end < resetPass) continue;
    const decayedFrom = previous === -Infinity ? (done.find((pass) => pass > end) ?? last) : previous;
    usage += units_per_second * (end - from) * d ** (end - from) * (last > end ? d ** (last - decayedFrom) : 1);
  }
  return usage;
}

/**
 * An association of the tree: an account (a bank) or a user association (a user's membership of an account, a leaf:
 * its jobs are charged the usage). Accounts are known by their names, a user association by its account and user.
 */
export interface Association {
  /** The account's name, or the user's for a user association. */
  name: string;
  /** The parent account (a user association's account); null for the root account. */
  parent: string | null;
  /**
   * Its raw shares among its siblings (RawShares: `sacctmgr … fairshare=N`), or "parent" (`fairshare=parent`): it
   * takes its parent's shares, and its children count among its parent's children.
   */
  shares: number | "parent";
  /** A user association. */
  user?: boolean;
  /** A user association's raw usage in billing-seconds (decayedUsage); 0 by default. An account's is its children's sum. */
  usage?: number;
}

/** What both algorithms give every association, in the order of the tree given. */
interface Factors {
  name: string;
  parent: string | null;
  user: boolean;
  /** RawUsage: a user association's usage, an account's children's sum. */
  usage: number;
  /** NormShares. */
  normShares: number;
  /** EffectvUsage. */
  effectiveUsage: number;
}

interface Node {
  association: Association;
  parent: Node | null;
  /** The association whose siblings it counts among: its closest ancestor whose shares are not "parent". */
  fsParent: Node | null;
  /** The associations that count among its children: its own, and those of its descendants with "parent" shares. */
  fsChildren: Node[];
  usage: number;
  /** The raw shares of it and its siblings, "parent" ones left out (Slurm's level_shares). */
  levelShares: number;
}

function label(association: Association): string {
  return association.user ? `user association ${association.parent}/${association.name}` : `account ${JSON.stringify(association.name)}`;
}

/**
 * The tree of the associations, in their order (siblings in the order slurmctld keeps them: sshare's, user
 * associations before accounts, each by name); throws a RangeError naming an association that does not fit in it.
 */
function buildTree(associations: readonly Association[]): { nodes: Node[]; root: Node } {
  const nodes: Node[] = associations.map((association) => ({ association, parent: null, fsParent: null, fsChildren: [], usage: 0, levelShares: 0 }));
  const accounts = new Map<string, Node>();
  const users = new Set<string>();
  const roots: Node[] = [];
  for (const node of nodes) {
    const { association } = node;
    const { shares, usage } = association;
    if (shares !== "parent" && !(Number.isFinite(shares) && shares >= 0)) throw new RangeError(`${label(association)}: shares are not a number ≥ 0`);
    if (association.user) {
      if (association.parent === null) throw new RangeError(`${label(association)}: a user association belongs to an account`);
      if (usage !== undefined && !(Number.isFinite(usage) && usage >= 0)) throw new RangeError(`${label(association)}: usage is not a number ≥ 0`);
      const key = `${association.parent}\0${association.name}`;
      if (users.has(key)) throw new RangeError(`${label(association)}: listed twice`);
      users.add(key);
      node.usage = usage ?? 0;
    } else {
      if (usage !== undefined) throw new RangeError(`${label(association)}: an account's usage is its children's, not given`);
      if (accounts.has(association.name)) throw new RangeError(`${label(association)}: listed twice`);
      accounts.set(association.name, node);
      if (association.parent === null) roots.push(node);
    }
  }
  if (roots.length !== 1) throw new RangeError(`the tree needs one root account (with no parent), not ${roots.length}`);
  const root = roots[0] as Node;
  for (const node of nodes) {
    if (node === root) continue;
    const parent = accounts.get(node.association.parent as string);
    if (parent === undefined)
      throw new RangeError(`${label(node.association)}: its parent, ${JSON.stringify(node.association.parent)}, is not an account of the tree`);
    node.parent = parent;
  }
  // Every account reaches the root: no cycle of parents.
  for (const node of accounts.values())
    for (let up = node.parent, steps = 0; up !== null; up = up.parent, steps++)
      if (up === node || steps > accounts.size) throw new RangeError(`${label(node.association)}: its parents make a cycle`);
  for (const node of nodes) {
    if (node === root) continue;
    let up = node.parent as Node;
    while (up !== root && up.association.shares === "parent") up = up.parent as Node;
    node.fsParent = up;
    up.fsChildren.push(node);
  }
  for (const node of nodes) {
    const levelShares = node.fsChildren.reduce((sum, child) => sum + (child.association.shares === "parent" ? 0 : child.association.shares), 0);
    for (const child of node.fsChildren) child.levelShares = levelShares;
  }
  // Usage goes up to every ancestor, as Slurm adds a run's usage to its association and all above it.
  for (const node of nodes) if (node.association.user) for (let up = node.parent; up !== null; up = up.parent) up.usage += node.usage;
  return { nodes, root };
}

function base(node: Node): Pick<Factors, "name" | "parent" | "user" | "usage"> {
  const { name, parent, user = false } = node.association;
  return { name, parent, user, usage: node.usage };
}

/** An association's factors under Slurm's classic algorithm. */
export interface ClassicFactors extends Factors {
  /** NormUsage: its usage over the root's (all usage), 0 when there is none. */
  normUsage: number;
  /** FairShare: 2^(−EffectvUsage / NormShares / damping), 0 for an association with no shares. */
  fairShare: number;
}

/**
 * Slurm's classic fair-share (`PriorityFlags=NO_FAIR_TREE`, classic_fair_share.html), per association in the order
 * given. NormShares: the product of shares / siblings' shares from the association up to the root's children ("parent"
 * associations: their parent's). EffectvUsage: the root's is 1; its children's their NormUsage; below,
 * UE = UA + (UE_parent − UA) × shares / siblings' shares (UE_parent alone when the siblings have no shares; "parent"
 * associations: their parent's). FairShare = 2^(−UE / NormShares / `dampeningFactor`) (Slurm's
 * `FairShareDampeningFactor`, 1 by default).
 */
export function classicFairShare(associations: readonly Association[], dampeningFactor = 1): ClassicFactors[] {
  const { nodes, root } = buildTree(associations);
  const factors = new Map<Node, ClassicFactors>();
  const normUsage = (node: Node) => (root.usage > 0 ? Math.min(1, node.usage / root.usage) : 0);
  const normShares = (node: Node): number => {
    if (node.association.shares === "parent") return (factors.get(node.fsParent as Node) as ClassicFactors).normShares;
    let product = 1;
    for (let up: Node = node; up.parent !== null; up = up.parent) {
      const shares = up.association.shares;
      if (shares !== "parent") product = up.levelShares > 0 ? product * (shares / up.levelShares) : 0;
    }
    return product;
  };
  const effectiveUsage = (node: Node, usage: number): number => {
    if (node.fsParent === root) return usage;
    const parent = (factors.get(node.fsParent as Node) as ClassicFactors).effectiveUsage;
    const shares = node.association.shares;
    if (shares === "parent" || node.levelShares === 0) return parent;
    return usage + (parent - usage) * (shares / node.levelShares);
  };
  // Top down: an association's parent before it.
  const visit = (node: Node) => {
    const usage = normUsage(node);
    const shares = node === root ? 1 : normShares(node);
    const effective = node === root ? 1 : effectiveUsage(node, usage);
    const fairShare = shares > 0 ? 2 ** -(effective / shares / dampeningFactor) : 0;
    factors.set(node, { ...base(node), normShares: shares, normUsage: usage, effectiveUsage: effective, fairShare });
    node.fsChildren.forEach(visit);
  };
  visit(root);
  return nodes.map((node) => factors.get(node) as ClassicFactors);
}

/** An association's factors under Fair Tree. */
export interface FairTreeFactors extends Factors {
  /** Level FS: S / U, ∞ without usage at its level (U = 0); 0 without shares; null for the root and "parent" associations (sshare shows none). */
  levelFs: number | null;
  /** FairShare: a user association's rank / the number of user associations; null for an account. */
  fairShare: number | null;
}

/** Slurm's NO_VAL, the Level FS by which it sorts a "parent" account among its siblings: above any finite one. */
const NO_VAL = 0xfffffffe;

/**
 * Slurm's Fair Tree (fair_tree.html), per association in the order given. S (NormShares) is an association's shares
 * over its and its siblings' ("parent" associations: their parent's); U (EffectvUsage) its usage over its parent's
 * (0 when the parent has none; the root's is 1); Level FS = S / U: ∞ when U = 0 and S > 0, 0 when S = 0, whatever U.
 * User associations are ranked depth first from the root, siblings visited by Level FS descending (a user association
 * before an account of the same Level FS, siblings of the same Level FS in the order given, as Slurm's sort keeps
 * them); the first gets rank N, the number of user associations, each next one rank − 1, and FairShare = rank / N.
 * Ties, as Slurm 22.05 ranks them: a user association of the same Level FS as the sibling visited before it takes the
 * rank last given (its rank as if untied is used up all the same); so does the first user association under an
 * account of the same Level FS as the sibling visited before it. fair_tree.html says tied sibling accounts have their
 * children merged before they are ranked: Slurm's code does not merge them (its count of tied accounts stops at the
 * first account), and neither does this. "parent" user associations have Level FS ∞ (first in their account);
 * "parent" accounts count their children among their parent's. Slurm divides usage and shares in long double: two
 * Level FS that are the same number reached from different shares and usage (40/20 and 50/25) may compare otherwise in
 * doubles than there (test24.4's do not).
 */
export function fairTree(associations: readonly Association[]): FairTreeFactors[] {
  const { nodes, root } = buildTree(associations);
  const users = nodes.filter((node) => node.association.user).length;
  const shares = new Map<Node, number>();
  const sortKey = new Map<Node, number>();
  const factors = new Map<Node, FairTreeFactors>();
  const own = (of: Node) => (of.levelShares > 0 ? (of.association.shares as number) / of.levelShares : 0);
  for (const node of nodes) {
    if (node === root) continue;
    shares.set(node, node.association.shares === "parent" ? own(node.fsParent as Node) : own(node));
  }
  for (const node of nodes) {
    const parent = node.fsParent;
    const S = shares.get(node) ?? 0;
    const U = parent === null ? 1 : parent.usage > 0 ? node.usage / parent.usage : 0;
    let levelFs: number | null = null;
    if (node.association.shares === "parent") sortKey.set(node, node.association.user ? Infinity : NO_VAL);
    else if (parent !== null) sortKey.set(node, (levelFs = S === 0 ? 0 : S / U));
    factors.set(node, { ...base(node), normShares: S, effectiveUsage: U, levelFs, fairShare: null });
  }
  let rank = users;
  let untied = users;
  const visit = (siblings: Node[], parentTied: boolean) => {
    const key = (node: Node) => sortKey.get(node) as number;
    const sorted = [...siblings].sort((a, b) =>
      key(a) !== key(b) ? (key(a) < key(b) ? 1 : -1) : !a.association.user === !b.association.user ? 0 : a.association.user ? -1 : 1,
    );
    // As in Slurm, a first sibling sorted by NO_VAL (a "parent" account) counts as tied.
    let previous = NO_VAL;
    sorted.forEach((node, i) => {
      const tied = (i === 0 && parentTied) || previous === key(node);
      if (node.association.user) {
        if (!tied) rank = untied;
        (factors.get(node) as FairTreeFactors).fairShare = rank / users;
        untied--;
      } else visit(node.fsChildren, tied);
      previous = key(node);
    });
  };
  visit(root.fsChildren, false);
  return nodes.map((node) => factors.get(node) as FairTreeFactors);
}
