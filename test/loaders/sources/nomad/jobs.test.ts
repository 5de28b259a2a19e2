import { describe, expect, it } from "vitest";
import type { Job } from "../../../../loaders/sources/nomad/job.js";
import { createJobCatalog } from "../../../../loaders/sources/nomad/jobs.js";

const HOUR = 3_600_000_000;

function job(id: string, changes: Partial<Job> = {}): Job {
  return {
    id,
    name: `module-${id}`,
    kind: "module",
    status: "running",
    owner: "owner-a",
    title: null,
    dockerImage: "image",
    datacenter: "dc-1",
    allocId: null,
    submitTime: 10 * HOUR,
    allocStart: 11 * HOUR,
    allocEnd: null,
    resources: { cpu_num: 1, cpu_MHz: 1000, gpu_num: 0, memory_MB: 1000, disk_MB: 1000 },
    ...changes,
  };
}

describe("the job catalog", () => {
  it("keeps one summary per namespace and id, the same id in two namespaces apart, in the order first seen", () => {
    const catalog = createJobCatalog();
    catalog.add("ns-b", job("1"), 12 * HOUR);
    catalog.add("ns-a", job("1", { owner: "owner-b" }), 12 * HOUR);
    catalog.add("ns-b", job("2"), 13 * HOUR);
    catalog.add("ns-b", job("1", { status: "dead", allocEnd: 13 * HOUR, submitTime: 9 * HOUR }), 14 * HOUR);
    const summaries = catalog.summaries();
    expect(summaries.map((summary) => [summary.namespace, summary.jobId])).toEqual([
      ["ns-b", "1"],
      ["ns-a", "1"],
      ["ns-b", "2"],
    ]);
    expect(summaries[0]).toMatchObject({
      owner: "owner-a",
      submitTime: 9 * HOUR,
      firstStart: 11 * HOUR,
      lastEnd: 13 * HOUR,
      firstSeen: 12 * HOUR,
      lastSeen: 14 * HOUR,
      lastStatus: "dead",
    });
    expect(summaries[1]).toMatchObject({ owner: "owner-b", firstSeen: 12 * HOUR, lastSeen: 12 * HOUR, lastStatus: "running" });
  });
});
