import type { Job } from "../../loaders/sources/nomad/job.js";
import type { Snapshot } from "../../loaders/sources/nomad/snapshot.js";

export const HOUR = 3_600_000_000;
export const T0 = Date.UTC(2024, 2, 1) * 1000;

/** A validated running job, 2 cores, starting at T0. */
export function job(overrides: Partial<Job> = {}): Job {
  return {
    id: "j1",
    name: "module-j1",
    kind: "module",
    status: "running",
    owner: "alice@egi.eu",
    title: "demo",
    dockerImage: "ai4oshub/demo",
    datacenter: "dc1",
    allocId: "a1",
    submitTime: T0,
    allocStart: T0,
    allocEnd: null,
    resources: { cpu_num: 2, cpu_MHz: 3000, gpu_num: 0, memory_MB: 8000, disk_MB: 10000 },
    ...overrides,
  };
}

export function snapshot(hours: number, jobs: Record<string, Job[]>): Snapshot {
  return { time: T0 + hours * HOUR, file: `snapshots/${hours}.json`, namespaces: new Map(Object.entries(jobs)), problems: [] };
}
