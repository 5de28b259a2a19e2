import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** A job as upstream reads it: the fields its loop touches, as the snapshot has them. */
interface UpstreamJob {
  job_ID: string;
  owner: string;
  status: string;
  /** Null in some snapshots: the loop skips those jobs before reading it. */
  alloc_start: string | null;
  alloc_end: string | null;
  resources: Record<string, number>;
}

/**
 * An independent oracle for tests: upstream usage_stats.py's loop transcribed snapshot by snapshot
 * (compat), and the same loop with segments clipped to [FROM 00:00, TO+1 00:00) (exact).
 * It reads clean archives only, and shares no code with loaders/.
 */
const RESOURCES = ["cpu_num", "cpu_MHz", "gpu_num", "memory_MB", "disk_MB"];
const DAY = 86_400_000_000;

export interface OracleUsage {
  hours: Record<string, number>;
  jobs: number;
  users: Set<string>;
}

function micros(rfc3339: string): number {
  const m = /^(.{19})(?:\.(\d+))?Z$/.exec(rfc3339);
  if (!m) throw new Error(`bad time ${rfc3339}`);
  return Date.parse(`${m[1]}Z`) * 1000 + Number((m[2] ?? "").slice(0, 6).padEnd(6, "0"));
}

function snapshotFiles(archive: string): { time: number; path: string }[] {
  const files: { time: number; path: string }[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".json")) files.push({ time: Date.parse(`${entry.name.slice(0, 19)}Z`) * 1000, path });
    }
  };
  walk(join(archive, "snapshots"));
  return files.sort((a, b) => a.time - b.time);
}

export function oracleReport(archive: string, mode: "exact" | "compat", namespaces: string[], from?: string, to?: string): Record<string, OracleUsage> {
  const files = snapshotFiles(archive);
  const first = files[0]!.time;
  const lo = from ? Date.parse(`${from}T00:00:00Z`) * 1000 : first;
  const hi = (to ? Date.parse(`${to}T00:00:00Z`) * 1000 : Math.floor(files.at(-1)!.time / DAY) * DAY) + DAY;
  const usage: Record<string, { seconds: Record<string, number>; jobs: Set<string>; users: Set<string> }> = {};
  for (const ns of namespaces) usage[ns] = { seconds: {}, jobs: new Set(), users: new Set() };
  let previous: number | undefined = mode === "compat" ? lo : undefined;
  for (const { time, path } of files) {
    const inside = time >= lo && time < hi;
    if (mode === "compat" && !inside) continue;
    const snapshot = JSON.parse(readFileSync(path, "utf8")) as Record<string, UpstreamJob[]>;
    for (const ns of namespaces) {
      for (const job of snapshot[ns] ?? []) {
        if (job.status !== "running" && job.status !== "dead") continue;
        if (job.status === "dead" && !job.alloc_start) continue;
        if (job.status === "dead" && !job.alloc_end) continue;
        if (job.status === "running" && !job.alloc_start) continue;
        const resources = { ...job.resources };
        if (resources.cpu_num === 0) resources.cpu_num = resources.cpu_MHz ?? 0;
        const started = micros(job.alloc_start as string);
        let start = previous === undefined ? started : Math.max(previous, started);
        let end = job.status === "dead" ? Math.min(time, micros(job.alloc_end as string)) : time;
        if (mode === "exact") {
          start = Math.max(start, lo);
          end = Math.min(end, hi);
        }
        const seconds = Math.max(0, end - start) / 1e6;
        if (mode === "compat" || inside || seconds > 0) {
          usage[ns]!.jobs.add(job.job_ID);
          usage[ns]!.users.add(job.owner);
        }
        for (const name of RESOURCES) usage[ns]!.seconds[name] = (usage[ns]!.seconds[name] ?? 0) + (resources[name] ?? 0) * seconds;
      }
    }
    previous = time;
  }
  return Object.fromEntries(
    namespaces.map((ns) => [
      ns,
      {
        hours: Object.fromEntries(RESOURCES.map((name) => [`${name}_hours`, (usage[ns]!.seconds[name] ?? 0) / 3600])),
        jobs: usage[ns]!.jobs.size,
        users: usage[ns]!.users,
      },
    ]),
  );
}
