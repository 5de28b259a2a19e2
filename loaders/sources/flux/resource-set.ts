import { isRecord } from "./json-text.js";

type Range = [first: number, last: number];

/** The ranges of an RFC 22 idset (`0-3,5,7-8`; `[0-3]` as job-list brackets its `ranks`); undefined when it is not one. */
function idsetRanges(text: string): Range[] | undefined {
  const inner = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (inner === "") return [];
  const ranges: Range[] = [];
  for (const part of inner.split(",")) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) return undefined;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (!Number.isSafeInteger(last) || last < first) return undefined;
    ranges.push([first, last]);
  }
  return ranges;
}

/** How many distinct ids the ranges hold (an id listed twice counts once, as Flux decodes an idset into a set). */
function distinctIds(ranges: Range[]): number {
  let count = 0;
  let end = -1;
  for (const [first, last] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (last > end) {
      count += last - Math.max(first, end + 1) + 1;
      end = last;
    }
  }
  return count;
}

/** How many ids an RFC 22 idset holds; undefined when it is not one. */
export function idsetSize(text: string): number | undefined {
  const ranges = idsetRanges(text);
  return ranges && distinctIds(ranges);
}

/** What a job's resource set holds: nodes (broker ranks), cores and GPUs. */
export interface ResourceSetCounts {
  nodes: number;
  cores: number;
  gpus: number;
}

/** An idset of `children` (`core`, `gpu`): none when absent. */
function childCount(children: Record<string, unknown>, kind: string): number | undefined {
  const ids = children[kind];
  return ids === undefined ? 0 : typeof ids === "string" ? idsetSize(ids) : undefined;
}

/**
 * The nodes, cores and GPUs of a job's R (an RFC 20 resource set, version 1): the ranks of its `execution.R_lite`
 * entries, and for each entry its ranks times the cores and GPUs of its `children` (no `gpu` child: no GPU).
 * Undefined when it is not such a set.
 */
export function resourceSetCounts(R: unknown): ResourceSetCounts | undefined {
  if (!isRecord(R) || R.version !== 1 || !isRecord(R.execution) || !Array.isArray(R.execution.R_lite)) return undefined;
  const ranks: Range[] = [];
  let cores = 0;
  let gpus = 0;
  for (const entry of R.execution.R_lite as unknown[]) {
    if (!isRecord(entry) || typeof entry.rank !== "string" || !isRecord(entry.children)) return undefined;
    const entryRanks = idsetRanges(entry.rank);
    const entryCores = childCount(entry.children, "core");
    const entryGpus = childCount(entry.children, "gpu");
    if (entryRanks === undefined || entryCores === undefined || entryGpus === undefined) return undefined;
    const size = distinctIds(entryRanks);
    for (const range of entryRanks) ranks.push(range);
    cores += size * entryCores;
    gpus += size * entryGpus;
  }
  return { nodes: distinctIds(ranks), cores, gpus };
}
