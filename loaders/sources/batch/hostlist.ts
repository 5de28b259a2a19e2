/**
 * Host lists as Slurm (`NodeList`) and Flux (RFC 29, `nodelist`) write them: names separated by commas, each with
 * bracketed ranges that expand in place, padded to the width of their first number: `node[01-03,07],gpu1` is
 * `node01,node02,node03,node07,gpu1`; several brackets multiply (`r[1-2]n[1-2]`: `r1n1,r1n2,r2n1,r2n2`).
 */

/** More hosts than any cluster has: a list that expands beyond it is taken for damage, not read. */
export const MOST_HOSTS = 100_000;

/** The terms of a list: split at commas outside brackets; undefined when brackets do not pair. */
function terms(text: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "[") depth++;
    else if (c === "]") depth--;
    if (depth < 0 || depth > 1) return undefined;
    if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return undefined;
  parts.push(text.slice(start));
  return parts;
}

/** The names a bracket's content (`01-03,07`) stands for; undefined when it is not ranges of whole numbers. */
function rangeNames(content: string, room: number): string[] | undefined {
  const names: string[] = [];
  for (const range of content.split(",")) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(range);
    if (match === null) return undefined;
    const low = match[1]!;
    const high = match[2] ?? low;
    const [first, last] = [Number(low), Number(high)];
    if (last < first || names.length + (last - first + 1) > room) return undefined;
    for (let n = first; n <= last; n++) names.push(String(n).padStart(low.length, "0"));
  }
  return names;
}

/** The names one term stands for, brackets expanded; undefined when it cannot be read. */
function termNames(term: string, room: number): string[] | undefined {
  let names = [""];
  for (const piece of term.split(/(\[[^\]]*\])/)) {
    if (piece.startsWith("[")) {
      const expanded = rangeNames(piece.slice(1, -1), room);
      if (expanded === undefined || names.length * expanded.length > room) return undefined;
      names = names.flatMap((prefix) => expanded.map((name) => prefix + name));
    } else names = names.map((prefix) => prefix + piece);
  }
  return names;
}

/**
 * The distinct hosts of a host list, in their first order (Flux repeats a host for each of its broker ranks); an
 * empty list for an empty text; undefined when it is not a host list or names more than `MOST_HOSTS`.
 */
export function expandHostlist(text: string): string[] | undefined {
  if (text.trim() === "") return [];
  const list = terms(text.trim());
  if (list === undefined) return undefined;
  const hosts = new Set<string>();
  for (const term of list) {
    if (term === "" || /\s/.test(term)) return undefined;
    const names = termNames(term, MOST_HOSTS - hosts.size);
    if (names === undefined) return undefined;
    for (const name of names) {
      if (name === "") return undefined;
      hosts.add(name);
    }
    if (hosts.size > MOST_HOSTS) return undefined;
  }
  return [...hosts];
}

/** The hosts of a host list a record gives, for its job: null when it gives none, or none that can be read. */
export function hostNames(text: string | null): string[] | null {
  const hosts = text === null ? undefined : expandHostlist(text);
  return hosts === undefined || hosts.length === 0 ? null : hosts;
}
