/**
 * What a Slurm job held, from the fields of a dump that say it: the trackable resources it was allocated (`AllocTRES`:
 * `billing=12,cpu=12,gres/gpu=2,mem=31000M,node=1`) and the memory it asked for (`ReqMem`).
 */

/** MiB per unit of the sizes sacct prints (its convert_num_unit, from MiB: K, M, G, T, P). */
const MIB_PER_UNIT: Record<string, number> = { K: 1 / 1024, M: 1, G: 1024, T: 1024 ** 2, P: 1024 ** 3 };

const SIZE = /^(\d+(?:\.\d+)?)([KMGTP]?)$/;
const REQ_MEM = /^(\d+(?:\.\d+)?)([KMGTP]?)([cn]?)$/;
const COUNT = /^\d+$/;

/** A size as sacct prints it (`31000M`, `62.50G`; a bare number is MiB), in MiB; undefined when it is not one. */
function mebibytes(text: string): number | undefined {
  const match = SIZE.exec(text);
  return match ? Number(match[1]) * MIB_PER_UNIT[match[2] || "M"]! : undefined;
}

/** An allocation's trackable resources, `name=count` joined by commas (empty for a job that never ran). */
type Tres = Map<string, string>;

/** The `name=count` pairs of an `AllocTRES` field; undefined when it is not such a list. */
export function parseTres(text: string): Tres | undefined {
  const tres: Tres = new Map();
  if (text === "") return tres;
  for (const item of text.split(",")) {
    const equals = item.indexOf("=");
    if (equals <= 0) return undefined;
    tres.set(item.slice(0, equals), item.slice(equals + 1));
  }
  return tres;
}

/**
 * The GPUs of an allocation: the count of `gres/gpu`, which Slurm writes for every job when it accounts for GPUs, else
 * the sum of its typed counts (`gres/gpu:tesla=4`, written alone when only they are tracked): never both, which count
 * the same GPUs twice. 0 when it lists no GPU; undefined when a GPU count is not a whole number.
 */
export function allocatedGpus(tres: Tres): number | undefined {
  const count = (text: string) => (COUNT.test(text) ? Number(text) : undefined);
  const total = tres.get("gres/gpu");
  if (total !== undefined) return count(total);
  let sum = 0;
  for (const [name, text] of tres) {
    if (!name.startsWith("gres/gpu:")) continue;
    const typed = count(text);
    if (typed === undefined) return undefined;
    sum += typed;
  }
  return sum;
}

/** The memory of an allocation (`mem=`), in MiB: null when it lists none, undefined when it is not a size. */
export function allocatedMemory(tres: Tres): number | null | undefined {
  const text = tres.get("mem");
  return text === undefined ? null : mebibytes(text);
}

/**
 * The memory a job asked for, in MiB, from `ReqMem`: before Slurm 21.08, per CPU (`4000Mc`, times the cores) or per
 * node (`16Gn`, times the nodes); since 21.08, for the whole job, without a suffix (`30512M`, its ReqTRES memory).
 * Null when unknown: 0 (`--mem=0` asks for all of a node's memory) or per node with no node count. Undefined when
 * it is not a size.
 */
export function requestedMemory(text: string, cores: number, nodes: number | null): number | null | undefined {
  const match = REQ_MEM.exec(text);
  if (!match) return undefined;
  const size = Number(match[1]) * MIB_PER_UNIT[match[2] || "M"]!;
  if (size === 0) return null;
  if (match[3] === "c") return size * cores;
  if (match[3] === "n") return nodes === null ? null : size * nodes;
  return size;
}
