import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { pythonJson } from "../../loaders/model/python-json.js";

/**
 * A stand-in for Nomad's HTTP API on 127.0.0.1, answering as Nomad's documentation says (and as the real allocation
 * records of ../shared/realdata/nomad show): `GET /v1/namespaces`, `/v1/jobs`, `/v1/job/:id`,
 * `/v1/job/:id/allocations` (stubs), `/v1/allocation/:id` (whole), `/v1/node/:id`. Integers go out exact, beyond
 * 2^53 too. Switches make it slow, failing (500), cut mid-answer, refusing a wrong token (403), or speak TLS.
 */

/** Nanoseconds since the epoch of an RFC 3339 time with up to 9 fraction digits. */
export function nanos(time: string): bigint {
  const [, whole, fraction = ""] = /^(.*?\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(time) as RegExpExecArray;
  return BigInt(Date.parse(`${whole}Z`)) * 1_000_000n + BigInt(fraction.padEnd(9, "0"));
}

/** A task's state in an allocation. Times as Nomad writes them: RFC 3339, 0–9 fraction digits; null for zero. */
export interface TaskState {
  State: "pending" | "running" | "dead";
  Failed?: boolean;
  Restarts?: number;
  StartedAt: string | null;
  FinishedAt: string | null;
  Events?: { Type: string; Message: string }[];
}

export interface StandInAllocation {
  ID: string;
  NodeID: string;
  ClientStatus: string;
  CreateTime: bigint;
  /** null: the client has not reported yet. */
  TaskStates: Record<string, TaskState> | null;
  /** Reserved cores (null: the job asked MHz), MHz, memory, GPU device ids (none: no device), disk. */
  cores: number[] | null;
  cpuShares: number;
  memoryMB: number;
  gpus?: string[];
  diskMB: number;
}

export interface StandInJob {
  namespace: string;
  ID: string;
  Name: string;
  Status: "pending" | "running" | "dead";
  Type?: string;
  SubmitTime: bigint;
  /** Meta: owner, title, description, owner_name, owner_email…; null for none. */
  Meta: Record<string, string> | null;
  image?: string;
  command?: string;
  args?: unknown[];
  /** What the job asks: cores (0 when it asks MHz), MHz, memory, GPUs ("gpu" device count), disk. */
  cores: number;
  cpu: number;
  memoryMB: number;
  gpus?: number;
  diskMB: number;
  /** Group services: port label and Traefik tags. */
  services?: { PortLabel: string; Tags: string[] | null }[];
  /** The task's name: "main" unless told. */
  taskName?: string;
  allocations: StandInAllocation[];
}

export interface StandInNode {
  ID: string;
  Datacenter: string;
  Meta: Record<string, string>;
}

export interface Scenario {
  namespaces: string[];
  jobs: StandInJob[];
  nodes: StandInNode[];
}

export interface Switches {
  /** The ACL token Nomad wants in `X-Nomad-Token` (403 otherwise); none: any request passes. */
  token?: string;
  /** Every answer waits this long first (ms). */
  delayMs?: number;
  /** Requests whose path (and query) matches answer 500, `times` times (all of them when undefined). */
  failing?: { path: RegExp; times?: number };
  /** The jobs listing of this namespace is cut halfway through its body, every time. */
  cutJobsListing?: string;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
}

export interface StandIn {
  address: string;
  /** Every request's method, path and query, in order. */
  requests: string[];
  /** Every request's headers, in order. */
  headers: IncomingMessage["headers"][];
  scenario: Scenario;
  close(): Promise<void>;
}

function jobSpec(job: StandInJob): Record<string, unknown> {
  const task = {
    Name: job.taskName ?? "main",
    Driver: "docker",
    Config: {
      image: job.image ?? "ai4oshub/demo:latest",
      ...(job.command !== undefined ? { command: job.command } : {}),
      ...(job.args ? { args: job.args } : {}),
    },
    Resources: {
      CPU: job.cpu,
      Cores: job.cores,
      MemoryMB: job.memoryMB,
      MemoryMaxMB: 0,
      DiskMB: 0,
      Networks: null,
      Devices: job.gpus ? [{ Name: "gpu", Count: job.gpus, Constraints: null, Affinities: null }] : null,
    },
    Services: null,
  };
  const sidecar = { ...task, Name: "storage_mount", Config: { image: "rclone/rclone" }, Resources: { ...task.Resources, Devices: null } };
  return {
    Region: "global",
    Namespace: job.namespace,
    ID: job.ID,
    ParentID: "",
    Name: job.Name,
    Type: job.Type ?? "service",
    Priority: 50,
    Datacenters: ["*"],
    TaskGroups: [
      {
        Name: "usergroup",
        Count: 1,
        Tasks: [sidecar, task],
        EphemeralDisk: { Sticky: false, SizeMB: job.diskMB, Migrate: false },
        Services: job.services ?? null,
      },
    ],
    Stop: false,
    Status: job.Status,
    StatusDescription: "",
    Meta: job.Meta,
    SubmitTime: job.SubmitTime,
    CreateIndex: 10,
    ModifyIndex: 20,
    JobModifyIndex: 20,
  };
}

function jobStub(job: StandInJob): Record<string, unknown> {
  const { ID, Name, Type, Priority, Status, StatusDescription, SubmitTime, CreateIndex, ModifyIndex, JobModifyIndex } = jobSpec(job);
  return {
    ID,
    ParentID: "",
    Name,
    Namespace: job.namespace,
    Datacenters: ["*"],
    Type,
    Priority,
    Periodic: false,
    ParameterizedJob: false,
    Stop: false,
    Status,
    StatusDescription,
    JobSummary: null,
    CreateIndex,
    ModifyIndex,
    JobModifyIndex,
    SubmitTime,
  };
}

function taskResources(allocation: StandInAllocation) {
  return {
    Cpu: { CpuShares: allocation.cpuShares, ReservedCores: allocation.cores },
    Memory: { MemoryMB: allocation.memoryMB, MemoryMaxMB: 0 },
    Networks: null,
    Devices: allocation.gpus ? [{ Vendor: "nvidia", Type: "gpu", Name: "Tesla T4", DeviceIDs: allocation.gpus }] : null,
  };
}

/** The whole allocation, as `GET /v1/allocation/:id` answers (the keys of the real records). */
function fullAllocation(job: StandInJob, allocation: StandInAllocation): Record<string, unknown> {
  return {
    ID: allocation.ID,
    Namespace: job.namespace,
    EvalID: `eval-${allocation.ID}`,
    Name: `${job.ID}.usergroup[0]`,
    NodeID: allocation.NodeID,
    NodeName: `node-${allocation.NodeID}`,
    JobID: job.ID,
    Job: jobSpec(job),
    TaskGroup: "usergroup",
    Resources: { CPU: allocation.cpuShares, MemoryMB: allocation.memoryMB, DiskMB: allocation.diskMB },
    SharedResources: { DiskMB: allocation.diskMB },
    TaskResources: {},
    AllocatedResources: {
      Tasks: {
        main: taskResources(allocation),
        storage_mount: { ...taskResources({ ...allocation, gpus: undefined }), Cpu: { CpuShares: 100, ReservedCores: null } },
      },
      TaskLifecycles: null,
      Shared: { Networks: null, DiskMB: allocation.diskMB, Ports: null },
    },
    Metrics: {},
    DesiredStatus: "run",
    ClientStatus: allocation.ClientStatus,
    ClientDescription: "",
    TaskStates: allocation.TaskStates,
    NetworkStatus: null,
    CreateIndex: 30,
    ModifyIndex: 40,
    AllocModifyIndex: 30,
    CreateTime: allocation.CreateTime,
    ModifyTime: allocation.CreateTime + 1_000_000_000n,
  };
}

/** The stub `GET /v1/job/:id/allocations` lists. */
function allocationStub(job: StandInJob, allocation: StandInAllocation): Record<string, unknown> {
  const whole = fullAllocation(job, allocation);
  const keys = [
    "ID",
    "EvalID",
    "Name",
    "Namespace",
    "NodeID",
    "NodeName",
    "JobID",
    "TaskGroup",
    "DesiredStatus",
    "ClientStatus",
    "ClientDescription",
    "TaskStates",
    "CreateIndex",
    "ModifyIndex",
    "CreateTime",
    "ModifyTime",
  ];
  return { ...Object.fromEntries(keys.map((key) => [key, whole[key]])), JobType: job.Type ?? "service", JobVersion: 0 };
}

export async function startStandIn(scenario: Scenario, switches: Switches = {}): Promise<StandIn> {
  const requests: string[] = [];
  const headers: IncomingMessage["headers"][] = [];
  let failures = 0;
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://stand-in");
    requests.push(`${request.method} ${url.pathname}${url.search}`);
    headers.push(request.headers);
    const send = (status: number, body: unknown) => {
      const text = typeof body === "string" ? body : pythonJson(body);
      response.writeHead(status, { "Content-Type": typeof body === "string" ? "text/plain" : "application/json", "Content-Length": Buffer.byteLength(text) });
      response.end(text);
    };
    if (switches.delayMs) await new Promise((resolve) => setTimeout(resolve, switches.delayMs));
    if (switches.token !== undefined && request.headers["x-nomad-token"] !== switches.token) return send(403, "Permission denied");
    const failing = switches.failing;
    if (failing && failing.path.test(`${url.pathname}${url.search}`) && (failing.times === undefined || failures < failing.times))
      return (failures++, send(500, "rpc error: No cluster leader"));
    const namespace = url.searchParams.get("namespace") ?? "default";
    const path = decodeURIComponent(url.pathname);
    const jobOf = (id: string) => scenario.jobs.find((job) => job.ID === id && job.namespace === namespace);
    let match: RegExpExecArray | null;
    if (path === "/v1/namespaces")
      return send(
        200,
        [...scenario.namespaces].sort().map((Name) => ({ Name, Description: "", Quota: "", Meta: null, Capabilities: null, CreateIndex: 1, ModifyIndex: 1 })),
      );
    if (path === "/v1/jobs") {
      const stubs = scenario.jobs
        .filter((job) => job.namespace === namespace)
        .sort((a, b) => (a.ID < b.ID ? -1 : 1))
        .map(jobStub);
      if (switches.cutJobsListing === namespace) {
        const text = pythonJson(stubs);
        response.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
        response.write(text.slice(0, text.length >> 1));
        return void setTimeout(() => response.destroy(), 20);
      }
      return send(200, stubs);
    }
    if ((match = /^\/v1\/job\/(.+)\/allocations$/.exec(path))) {
      const job = jobOf(match[1] as string);
      return job
        ? send(
            200,
            job.allocations.map((allocation) => allocationStub(job, allocation)),
          )
        : send(404, "job not found");
    }
    if ((match = /^\/v1\/job\/(.+)$/.exec(path))) {
      const job = jobOf(match[1] as string);
      return job ? send(200, jobSpec(job)) : send(404, "job not found");
    }
    if ((match = /^\/v1\/allocation\/(.+)$/.exec(path))) {
      for (const job of scenario.jobs) {
        const allocation = job.allocations.find((item) => item.ID === match?.[1]);
        if (allocation) return send(200, fullAllocation(job, allocation));
      }
      return send(404, "alloc not found");
    }
    if ((match = /^\/v1\/node\/(.+)$/.exec(path))) {
      const node = scenario.nodes.find((item) => item.ID === match?.[1]);
      return node ? send(200, { ...node, Name: `node-${node.ID}`, Status: "ready", Attributes: {}, Drivers: {} }) : send(404, "node not found");
    }
    return send(404, "Invalid URL");
  };
  const listener = (request: IncomingMessage, response: ServerResponse) => void handle(request, response);
  const server = switches.tls ? createHttpsServer({ key: switches.tls.key, cert: switches.tls.cert }, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `${switches.tls ? "https" : "http"}://127.0.0.1:${port}`,
    requests,
    headers,
    scenario,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
