import { nanos, type Scenario, type StandInAllocation, type StandInJob, type TaskState } from "./nomad-stand-in.js";

/**
 * A cluster holding every quirk of ../shared/snapshot-format.md, for the Nomad stand-in: restarted and rescheduled
 * jobs, dead jobs that never started, an old job with its cores in MHz, Go's zero time and null, short fractions, a
 * SubmitTime beyond 2^53 a nanosecond before a second, GPUs, endpoints, and jobs a snapshot leaves out. Upstream's
 * take_snapshot.py wrote test/fixtures/nomad-api/quirks/ from it (see the README there).
 */

const running = (StartedAt: string, extra: Partial<TaskState> = {}): Record<string, TaskState> => ({
  main: { State: "running", Failed: false, Restarts: 0, StartedAt, FinishedAt: null, Events: [{ Type: "Started", Message: "" }], ...extra },
  storage_mount: { State: "running", Failed: false, Restarts: 0, StartedAt, FinishedAt: null, Events: [] },
});

const dead = (StartedAt: string | null, FinishedAt: string, failed = false): Record<string, TaskState> => ({
  main: { State: "dead", Failed: failed, Restarts: 0, StartedAt, FinishedAt, Events: [{ Type: "Received", Message: "" }] },
});

function allocation(ID: string, overrides: Partial<StandInAllocation>): StandInAllocation {
  return {
    ID,
    NodeID: "node-1",
    ClientStatus: "running",
    CreateTime: nanos("2024-03-01T00:00:00Z"),
    TaskStates: running("2024-03-01T00:00:05.123456789Z"),
    cores: [0, 1],
    cpuShares: 5200,
    memoryMB: 8000,
    diskMB: 20000,
    ...overrides,
  };
}

const OWNER = {
  owner: "a3f1c2@egi.eu",
  title: "Caf\u00e9 <b>demo</b> \u{1F600}",
  description: 'line one\nline "two"\t\u007f',
  owner_name: "Jos\u00e9 P\u00e9rez",
  owner_email: "jose@example.org",
};

function job(namespace: string, ID: string, overrides: Partial<StandInJob>): StandInJob {
  return {
    namespace,
    ID,
    Name: `module-${ID}`,
    Status: "running",
    SubmitTime: nanos("2024-02-29T23:00:00.5Z"),
    Meta: OWNER,
    command: "deep-start",
    args: ["--jupyter"],
    cores: 2,
    cpu: 0,
    memoryMB: 8000,
    diskMB: 20000,
    services: [
      {
        PortLabel: "deepaas",
        Tags: ["traefik.enable=true", `traefik.http.routers.${ID}-api.rule=Host(\`api-${ID}.\${meta.domain}\`, \`www.api-${ID}.\${meta.domain}\`)`],
      },
      { PortLabel: "ide", Tags: [`traefik.http.routers.${ID}-ide.rule=Host(\`ide-${ID}.\${meta.domain}\`)`] },
      { PortLabel: "monitor", Tags: ["traefik.enable=false"] },
    ],
    allocations: [allocation(`alloc-${ID}`, {})],
    ...overrides,
  };
}

export function quirksScenario(): Scenario {
  return {
    namespaces: ["ai4eosc", "imagine", "ai4life", "default", "tutorials"],
    nodes: [
      { ID: "node-1", Datacenter: "ifca-ai4eosc", Meta: { domain: "ifca.ai4eosc.eu" } },
      { ID: "node-2", Datacenter: "iisas-ai4eosc", Meta: { domain: "iisas.ai4eosc.eu" } },
    ],
    jobs: [
      // Running, GPUs, endpoints on the node's domain; SubmitTime a nanosecond before a second, beyond 2^53.
      job("ai4eosc", "0a-running", {
        SubmitTime: 1709251199999999999n,
        gpus: 1,
        allocations: [allocation("alloc-0a", { gpus: ["GPU-1"], cores: [0, 1, 2, 3], cpuShares: 10400, TaskStates: running("2024-03-01T00:01:02.82829697Z") })],
      }),
      // Restarted in place: the same allocation, a later StartedAt.
      job("ai4eosc", "0b-restarted", {
        allocations: [allocation("alloc-0b", { TaskStates: running("2024-03-01T05:00:00Z", { Restarts: 2 }) })],
        command: "/bin/bash",
        args: ["-c", "deep-start --deepaas", 8888, true, null, 1.5, ["x", "it's"]],
      }),
      // Rescheduled: the newer allocation runs and is chosen; a node lost: the unknown allocation is chosen.
      job("ai4eosc", "0c-rescheduled", {
        allocations: [
          allocation("alloc-0c-old", {
            ClientStatus: "complete",
            CreateTime: nanos("2024-03-01T00:00:00Z"),
            TaskStates: dead("2024-03-01T00:00:01Z", "2024-03-01T01:00:00Z"),
          }),
          allocation("alloc-0c-new", { NodeID: "node-2", CreateTime: nanos("2024-03-01T01:00:10Z"), TaskStates: running("2024-03-01T01:00:20.5Z") }),
        ],
      }),
      job("ai4eosc", "0d-lost", {
        allocations: [
          allocation("alloc-0d-new", { CreateTime: nanos("2024-03-01T03:00:00Z"), TaskStates: running("2024-03-01T03:00:05Z") }),
          allocation("alloc-0d-orig", {
            NodeID: "node-2",
            ClientStatus: "unknown",
            CreateTime: nanos("2024-03-01T00:00:00Z"),
            TaskStates: running("2024-03-01T00:00:07Z"),
          }),
        ],
      }),
      // Dead, never started: no allocation left (the job spec's resources); an image that could not be pulled.
      job("ai4eosc", "0e-dead-unstarted", { Name: "tool-0e", Status: "dead", gpus: 2, allocations: [] }),
      job("ai4eosc", "0f-failed-pull", {
        Name: "batch-0f",
        Type: "batch",
        Status: "dead",
        services: [],
        allocations: [allocation("alloc-0f", { ClientStatus: "failed", TaskStates: dead(null, "2024-03-01T00:00:30.1Z", true) })],
      }),
      // An old job: the cores in MHz, none reserved; an old server writing Go's zero time.
      job("imagine", "1a-old-mhz", {
        cores: 0,
        cpu: 4,
        services: [],
        allocations: [
          allocation("alloc-1a", {
            cores: null,
            cpuShares: 4,
            TaskStates: { main: { State: "running", Failed: false, Restarts: 0, StartedAt: "2024-02-28T10:00:00Z", FinishedAt: "0001-01-01T00:00:00Z" } },
          }),
        ],
      }),
      // Complete: 8 fraction digits; whole seconds.
      job("imagine", "1b-complete", {
        Status: "dead",
        allocations: [allocation("alloc-1b", { ClientStatus: "complete", TaskStates: dead("2024-03-01T00:10:00.12345678Z", "2024-03-01T02:00:00Z") })],
      }),
      // Queued: the spec's resources, the endpoints' ${meta.domain} left as it is.
      job("imagine", "1c-queued", { Name: "tool-1c", Status: "pending", gpus: 2, cores: 8, allocations: [] }),
      // Starting: the main task still pending.
      job("imagine", "1d-starting", {
        allocations: [allocation("alloc-1d", { ClientStatus: "pending", TaskStates: { main: { State: "pending", StartedAt: null, FinishedAt: null } } })],
      }),
      // A name with no hyphen passes (upstream's test is startswith("tool")).
      job("imagine", "1e-toolbox", { Name: "toolbox-1e", command: undefined, args: undefined, services: [] }),
      // Left out: just placed (no task state yet), no owner, no task "main", not a deployment.
      job("imagine", "1f-just-placed", { allocations: [allocation("alloc-1f", { ClientStatus: "pending", TaskStates: null })] }),
      job("imagine", "1g-no-owner", { Meta: { title: "t", description: "d" } }),
      job("imagine", "1h-no-main", { taskName: "usertask" }),
      job("imagine", "1i-traefik", { Name: "traefik" }),
      // Namespaces upstream leaves out.
      job("default", "2a-default", {}),
      job("tutorials", "3a-tutorial", {}),
    ],
  };
}

/** Snapshot times of the usage scenario (UTC): its three states. */
export const USAGE_SNAPSHOTS = ["2024-03-01T06:00:00Z", "2024-03-01T12:00:00Z", "2024-03-01T18:00:00Z"];

/**
 * A cluster whose state advances over three snapshots (USAGE_SNAPSHOTS), all times with Go's 9 fraction digits (upstream's
 * usage_stats.py reads no other): A runs from 01:00 (4 cores, 1 GPU, 8000 MB); B, old (its 2 cores in MHz, 4000 MB),
 * runs from 03:00 and ends at 10:30, dead in the last two snapshots; C (1 core, 2000 MB) runs from 02:00 and restarts at
 * 11:00; D (2 cores, 4000 MB) is queued, then runs from 07:00; E died without ever starting.
 */
export function usageScenario(step: number): Scenario {
  const at = (time: string) => `2024-03-01T${time}.000000001Z`;
  const spec = { services: [], diskMB: 10000 };
  const B =
    step === 0
      ? allocation("alloc-b", { cores: null, cpuShares: 2, memoryMB: 4000, diskMB: 10000, TaskStates: running(at("03:00:00")) })
      : allocation("alloc-b", {
          cores: null,
          cpuShares: 2,
          memoryMB: 4000,
          diskMB: 10000,
          ClientStatus: "complete",
          TaskStates: dead(at("03:00:00"), at("10:30:00")),
        });
  return {
    namespaces: ["ai4eosc", "imagine", "default", "tutorials"],
    nodes: [{ ID: "node-1", Datacenter: "ifca-ai4eosc", Meta: { domain: "ifca.ai4eosc.eu" } }],
    jobs: [
      job("ai4eosc", "a", {
        ...spec,
        gpus: 1,
        allocations: [allocation("alloc-a", { cores: [0, 1, 2, 3], cpuShares: 10400, gpus: ["GPU-1"], diskMB: 10000, TaskStates: running(at("01:00:00")) })],
      }),
      job("ai4eosc", "b", {
        ...spec,
        Meta: { ...OWNER, owner: "b@egi.eu" },
        cores: 0,
        cpu: 2,
        memoryMB: 4000,
        Status: step === 0 ? "running" : "dead",
        allocations: [B],
      }),
      job("imagine", "c", {
        ...spec,
        cores: 1,
        memoryMB: 2000,
        allocations: [
          allocation("alloc-c", {
            cores: [0],
            cpuShares: 2600,
            memoryMB: 2000,
            diskMB: 10000,
            TaskStates: running(at(step === 0 ? "02:00:00" : "11:00:00"), { Restarts: step === 0 ? 0 : 1 }),
          }),
        ],
      }),
      job("imagine", "d", {
        ...spec,
        Meta: { ...OWNER, owner: "d@egi.eu" },
        memoryMB: 4000,
        allocations: step === 0 ? [] : [allocation("alloc-d", { memoryMB: 4000, diskMB: 10000, TaskStates: running(at("07:00:00")) })],
      }),
      job("imagine", "e", { ...spec, Status: "dead", allocations: [] }),
    ],
  };
}

/**
 * Owners for `users update`: names and emails in some jobs' Meta, neither in others, an owner id that looks like a
 * number (a JavaScript object would put it first), a later job overwriting an earlier one's name, a batch job and a
 * job with no owner (both left out).
 */
export function usersScenario(): Scenario {
  const meta = (owner: string, extra: Record<string, string> = {}) => ({ owner, title: "t", description: "d", ...extra });
  return {
    namespaces: ["ai4eosc", "imagine", "default", "tutorials"],
    nodes: [],
    jobs: [
      job("ai4eosc", "a1", { Meta: meta("known@egi.eu", { owner_name: "Zo\u00eb Nov\u00e1k", owner_email: "zoe@example.org" }), allocations: [] }),
      job("ai4eosc", "a2", { Name: "tool-a2", Meta: meta("12345"), allocations: [] }),
      job("ai4eosc", "a3", { Meta: meta("new@egi.eu", { owner_email: "new@example.org" }), allocations: [] }),
      job("ai4eosc", "a4", { Name: "batch-a4", Meta: meta("batch@egi.eu", { owner_name: "Batch" }), allocations: [] }),
      job("imagine", "b1", { Meta: meta("new@egi.eu", { owner_name: "\u5f20\u4f1f", owner_email: "zhang@example.org" }), allocations: [] }),
      job("imagine", "b2", { Meta: null, allocations: [] }),
      job("imagine", "b3", { Name: "toolbox", Meta: meta("toolbox@egi.eu"), allocations: [] }),
    ],
  };
}
