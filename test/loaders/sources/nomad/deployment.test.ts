import { describe, expect, it } from "vitest";
import { chosenAllocation, deploymentOf, isDeployment, MalformedJob } from "../../../../loaders/sources/nomad/deployment.js";

/** Upstream take_snapshot.py's rules one by one; the whole of them against upstream's bytes: test/cli/snapshot.test.ts. */

const job = (overrides: Record<string, unknown> = {}, task: Record<string, unknown> = {}) => ({
  ID: "j",
  Name: "module-j",
  Status: "running",
  SubmitTime: 0,
  Meta: { owner: "o", title: "t", description: "d" },
  TaskGroups: [
    {
      Tasks: [
        {
          Name: "main",
          Config: { image: "i" },
          Resources: {
            Cores: 2,
            MemoryMB: 100,
            Devices: [
              { Name: "nvidia/gpu", Count: 1 },
              { Name: "gpu", Count: 3 },
            ],
          },
          ...task,
        },
      ],
      EphemeralDisk: { SizeMB: 10 },
      Services: null,
    },
  ],
  ...overrides,
});

describe("the jobs and the allocation a snapshot takes", () => {
  it("takes names starting module, tool or batch, hyphen or not", () => {
    expect(["module-a", "tool-b", "batch-c", "toolbox", "traefik", "my-module", 3].map(isDeployment)).toEqual([true, true, true, true, false, false, false]);
  });

  it("chooses unknown, else running, else the newest; equal times in reverse order of the list", () => {
    const stub = (ID: string, ClientStatus: string, CreateTime: bigint | number) => ({ ID, ClientStatus, CreateTime });
    expect(chosenAllocation([])).toBeUndefined();
    expect(chosenAllocation([stub("a", "complete", 1), stub("b", "running", 2), stub("c", "unknown", 0)])).toBe("c");
    expect(chosenAllocation([stub("a", "running", 1), stub("b", "complete", 2), stub("c", "running", 3)])).toBe("c");
    expect(chosenAllocation([stub("a", "failed", 1709251199999999999n), stub("b", "failed", 1709251199999999998n)])).toBe("a");
    expect(chosenAllocation([stub("a", "failed", 5), stub("b", "failed", 5)])).toBe("b");
    expect(() => chosenAllocation([{ ID: "a", ClientStatus: "running" }])).toThrow(MalformedJob);
  });
});

describe("a job's record", () => {
  it("takes a queued job's resources from its spec: the device named exactly gpu, no MHz, ${meta.domain} left", () => {
    const record = deploymentOf(job({ TaskGroups: [{ ...job().TaskGroups[0], Services: [{ PortLabel: "ide", Tags: ["Host(`x.${meta.domain}`)"] }] }] }));
    expect(Object.fromEntries(record)).toMatchObject({
      status: "queued",
      resources: { cpu_num: 2, cpu_MHz: 0, gpu_num: 3, memory_MB: 100, disk_MB: 10 },
      main_endpoint: "ide",
      alloc_start: null,
      alloc_end: null,
    });
    expect(Object.fromEntries(record.get("endpoints") as Map<string, string>)).toEqual({ ide: "https://x.${meta.domain}" });
  });

  it("writes the command as Python's str() and strip() would, and SubmitTime in local time, floored to the second", () => {
    const record = deploymentOf(
      job({ SubmitTime: -1 }, { Config: { image: "i", command: "\u001crun", args: [1, null, false, ["a", "b'c"], { k: true }, "\ufeff"] } }),
    );
    expect(record.get("docker_command")).toBe(`run 1 None False ['a', "b'c"] {'k': True} \ufeff`);
    const zone = process.env.TZ;
    process.env.TZ = "UTC";
    try {
      expect(deploymentOf(job({ SubmitTime: -1 })).get("submit_time")).toBe("1969-12-31 23:59:59");
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("leaves out, as upstream's try does, a job lacking what it reads", () => {
    expect(() => deploymentOf(job({ Meta: null }))).toThrow("no Meta.owner");
    expect(() => deploymentOf(job({}, { Name: "usertask" }))).toThrow('no task "main"');
    expect(() => deploymentOf(job({}, { Config: { image: "i", args: null } }))).toThrow("Config.args is not a list");
    expect(() => deploymentOf(job({}, { Resources: { Cores: 1, MemoryMB: 1, Devices: [{ Name: "nvidia/gpu", Count: 1 }] } }))).toThrow(MalformedJob);
    expect(() => deploymentOf(job(), { allocation: { ID: "a", TaskStates: {} }, node: { Datacenter: "d" } })).toThrow("no task states");
  });
});
