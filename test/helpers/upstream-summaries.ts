import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * An independent oracle for tests: upstream summarize.py transcribed step by step over the snapshot files as they
 * are (its pandas steps as plain maps: Kahan sums in row order, means as sum / count, numpy's round half to even).
 * It reads clean archives only, and shares no code with loaders/.
 */
const RESOURCES = ["cpu_num", "cpu_MHz", "memory_MB", "disk_MB", "gpu_num"];

interface Job {
  status: string;
  owner: string;
  alloc_start?: string | null;
  resources: Record<string, number>;
}

interface Row {
  date: string;
  namespace: string;
  owner: string | null;
  status: string | null;
  resources: (number | null)[];
}

function kahan(values: number[]): number {
  let sum = 0;
  let c = 0;
  for (const v of values) {
    const y = v - c;
    const t = sum + y;
    c = t - sum - y;
    sum = t;
  }
  return sum;
}

function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Appends `value` to the list under `key`, creating it: a pandas group, rows in order. */
function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function snapshotPaths(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    return entry.isDirectory() ? snapshotPaths(path) : entry.name.endsWith(".json") ? [path] : [];
  });
}

const SEP = "\u0000";
const sortedKeys = <T>(map: Map<string, T>) => [...map.keys()].sort();

/** File name -> text, as summarize.py writes them for `namespaces` over the days `from` to `to` (default: all). */
export function upstreamSummaries(archive: string, namespaces: string[], from?: string, to?: string): Record<string, string> {
  const rows: Row[] = [];
  for (const path of snapshotPaths(join(archive, "snapshots")).sort()) {
    const date = path.slice(-24, -5);
    if ((from && date < `${from}T00:00:00`) || (to && date > `${to}T23:59:59`)) continue;
    const snapshot = JSON.parse(readFileSync(path, "utf8")) as Record<string, Job[]>;
    for (const namespace of namespaces) {
      const jobs = snapshot[namespace] ?? [];
      for (const job of jobs) {
        if (job.status !== "running" && job.status !== "queued") continue;
        const status = job.status === "running" && !job.alloc_start ? "queued" : job.status;
        const resources = { ...job.resources };
        if (status === "running" && resources.cpu_num === 0) resources.cpu_num = resources.cpu_MHz!;
        rows.push({ date, namespace, owner: job.owner, status, resources: RESOURCES.map((r) => (status === "running" ? resources[r]! : null)) });
      }
      if (jobs.length === 0) rows.push({ date, namespace, owner: null, status: null, resources: RESOURCES.map(() => 0) });
    }
  }
  const day = (date: string) => date.slice(0, 10);
  const sums = (lists: (number | null)[][]) => RESOURCES.map((_, i) => kahan(lists.map((l) => l[i]!).filter((v) => v !== null)));

  // Timeseries.
  const perSnapshot = new Map<string, (number | null)[][]>();
  for (const row of rows) push(perSnapshot, [row.date, row.namespace].join(SEP), row.resources);
  const perDay = new Map<string, number[][]>();
  for (const key of sortedKeys(perSnapshot)) {
    const [date, namespace] = key.split(SEP) as [string, string];
    push(perDay, [day(date), namespace].join(SEP), sums(perSnapshot.get(key)!));
  }
  const counts = new Map<string, number>();
  for (const row of rows)
    if (row.status) counts.set([row.date, row.namespace, row.status].join(SEP), (counts.get([row.date, row.namespace, row.status].join(SEP)) ?? 0) + 1);
  const statusPerDay = new Map<string, number[]>();
  for (const key of sortedKeys(counts)) {
    const [date, namespace, status] = key.split(SEP) as [string, string, string];
    push(statusPerDay, [day(date), namespace, status].join(SEP), counts.get(key)!);
  }
  const statuses = [...new Set([...statusPerDay.keys()].map((key) => key.split(SEP)[2]!))].sort();

  // Owners.
  const snapshotsOfDay = new Map<string, Set<string>>();
  for (const row of rows) snapshotsOfDay.set(day(row.date), (snapshotsOfDay.get(day(row.date)) ?? new Set()).add(row.date));
  const ownerSnapshot = new Map<string, (number | null)[][]>();
  for (const row of rows) if (row.owner !== null) push(ownerSnapshot, [row.date, row.namespace, row.owner].join(SEP), row.resources);
  const ownerDay = new Map<string, number[][]>();
  for (const key of sortedKeys(ownerSnapshot)) {
    const [date, namespace, owner] = key.split(SEP) as [string, string, string];
    push(ownerDay, [day(date), namespace, owner].join(SEP), sums(ownerSnapshot.get(key)!));
  }
  const ownerDays = new Map<string, number[][]>();
  for (const key of sortedKeys(ownerDay)) {
    const [d, namespace, owner] = key.split(SEP) as [string, string, string];
    const n = snapshotsOfDay.get(d)!.size;
    push(
      ownerDays,
      [namespace, owner].join(SEP),
      sums(ownerDay.get(key)!).map((v) => v / n),
    );
  }

  const files: Record<string, string> = {};
  for (const namespace of namespaces) {
    const days = sortedKeys(perDay).filter((key) => key.split(SEP)[1] === namespace);
    const lines = days.map((key) => {
      const d = key.split(SEP)[0]!;
      const means = RESOURCES.map((_, i) => rint(kahan(perDay.get(key)!.map((s) => s[i]!)) / perDay.get(key)!.length));
      const jobs = statuses.map((status) => {
        const list = statusPerDay.get([d, namespace, status].join(SEP));
        return list ? rint(kahan(list) / list.length) : 0;
      });
      return [d, ...means, ...jobs];
    });
    const header = ["date", ...RESOURCES, ...statuses];
    files[`${namespace}-timeseries.csv`] =
      lines.length === 1 ? [namespace, ...lines[0]!].join("\n") + "\n" : [header, ...lines].map((l) => `${l.join(";")}\n`).join("");
    const owners = sortedKeys(ownerDays)
      .filter((key) => key.split(SEP)[0] === namespace)
      .map((key) => [key.split(SEP)[1]!, ...sums(ownerDays.get(key)!).map(rint)] as [string, ...number[]]);
    files[`${namespace}-users-agg.csv`] = [["owner", ...RESOURCES], ...owners].map((l) => `${l.join(";")}\n`).join("");
    files[`${namespace}-full-agg.csv`] = owners.length
      ? `${RESOURCES.join(";")}\n${RESOURCES.map((_, i) => owners.reduce((s, o) => s + (o[i + 1] as number), 0)).join(";")}\n`
      : `owner;${RESOURCES.join(";")}\n0;${RESOURCES.map(() => 0).join(";")}\n`;
  }
  return files;
}
