/**
 * One job of a snapshot from Nomad's answers about it, field for field and value for value as upstream's
 * `take_snapshot.py` (ai4os/ai4-accounting, `get_deployment`) writes it: which jobs are taken, which allocation
 * counts, the status, the resources, the endpoints. Pure: the answers come in parsed by `parseJsonExact`, so that
 * nanosecond integers are exact.
 */

/** The job names a snapshot takes (deployments of modules, tools and batch jobs; not Traefik and the like). */
const DEPLOYMENT_NAME = /^(?:module|tool|batch)/;

/** Whether a job of `GET /v1/jobs` goes into a snapshot: by its name, as upstream, with no hyphen required. */
export function isDeployment(name: unknown): boolean {
  return typeof name === "string" && DEPLOYMENT_NAME.test(name);
}

/** A job's records lack what a snapshot needs (upstream's `try` fails on them): the job is left out. */
export class MalformedJob extends Error {}

type Path = (string | number)[];

/** `value[key][key]…` as Python's subscripts read it; a missing key, index or container makes the job malformed. */
function at(value: unknown, ...path: Path): unknown {
  let item = value;
  for (const [i, key] of path.entries()) {
    const container = item as Record<string | number, unknown> | null;
    const present =
      typeof key === "number"
        ? Array.isArray(container) && key < container.length
        : isRecord(container) && Object.prototype.hasOwnProperty.call(container, key);
    if (!present) throw new MalformedJob(`no ${path.slice(0, i + 1).join(".")}`);
    item = (container as Record<string | number, unknown>)[key];
  }
  return item;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Python's truth of a JSON value: null, false, 0, "", [] and {} are false. */
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (isRecord(value)) return Object.keys(value).length > 0;
  return Boolean(value);
}

function list(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw new MalformedJob(`${name} is not a list`);
  return value;
}

/** Python's `repr` of a string, as `str()` writes it inside a list. */
function pythonRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(/[\\\n\r\t]|[\u0000-\u001f\u007f-\u00a0]/g, (char) =>
    char === "\\" ? "\\\\" : char === "\n" ? "\\n" : char === "\r" ? "\\r" : char === "\t" ? "\\t" : `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
  return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
}

/** Python's `str()` of a JSON value (the job's command and arguments may be any). */
function pythonStr(value: unknown, nested = false): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return nested ? pythonRepr(value) : value;
  if (typeof value === "number") return Number.isInteger(value) || !Number.isFinite(value) ? pythonNumber(value) : String(value);
  if (Array.isArray(value)) return `[${value.map((item) => pythonStr(item, true)).join(", ")}]`;
  if (isRecord(value))
    return `{${Object.entries(value)
      .map(([key, item]) => `${pythonRepr(key)}: ${pythonStr(item, true)}`)
      .join(", ")}}`;
  return String(value);
}

function pythonNumber(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  return String(value);
}

/** Python's `str.strip()`: its whitespace, which is not JavaScript's (U+001C–U+001F and U+0085 are, U+FEFF is not). */
const PYTHON_SPACE = "[\\t-\\r\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const pythonStrip = (text: string) => text.replace(new RegExp(`^${PYTHON_SPACE}+|${PYTHON_SPACE}+$`, "g"), "");

/** Python's `datetime.fromtimestamp(ns // 10**9).strftime("%Y-%m-%d %H:%M:%S")`: the local time of this process. */
function localSecond(nanoseconds: unknown): string {
  if (typeof nanoseconds !== "bigint" && !Number.isInteger(nanoseconds)) throw new MalformedJob("SubmitTime is not an integer");
  const ns = BigInt(nanoseconds as bigint | number);
  const second = ns / 1_000_000_000n - (ns % 1_000_000_000n < 0n ? 1n : 0n);
  const date = new Date(Number(second) * 1000);
  const year = date.getFullYear();
  if (Number.isNaN(year) || year < 1 || year > 9999) throw new MalformedJob("SubmitTime is out of range");
  const two = (n: number) => String(n).padStart(2, "0");
  return `${String(year).padStart(4, "0")}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** Python's `re.search(r"Host\(`(.+?)`", tag)`, then HostSNI: the first tag with either names the endpoint. */
const HOST_PATTERNS = [/Host\(`([^\n]+?)`/, /HostSNI\(`([^\n]+?)`/];

/** The group's services as label → URL, in the services' order; `api` gets `/ui`. */
function endpointsOf(job: unknown): Map<string, string> {
  const endpoints = new Map<string, string>();
  const group = at(job, "TaskGroups", 0);
  const services = isRecord(group) && truthy(group.Services) ? list(group.Services, "TaskGroups.0.Services") : [];
  for (const service of services) {
    const portLabel = at(service, "PortLabel");
    if (typeof portLabel !== "string") throw new MalformedJob("a service's PortLabel is not a string");
    let url = "missing-endpoint";
    for (const tag of list(at(service, "Tags"), "a service's Tags")) {
      if (typeof tag !== "string") throw new MalformedJob("a service's tag is not a string");
      const match = HOST_PATTERNS.map((pattern) => pattern.exec(tag)).find((found) => found);
      if (match) {
        url = match[1] as string;
        break;
      }
    }
    endpoints.set(portLabel === "deepaas" ? "api" : portLabel, `https://${url}`);
  }
  const api = endpoints.get("api");
  if (api !== undefined) endpoints.set("api", `${api}/ui`);
  return endpoints;
}

/** The service a `deep-start --<service>` command starts, as an endpoint label. */
const SERVICE_ENDPOINTS = new Map([
  ["deepaas", "api"],
  ["jupyter", "ide"],
  ["vscode", "ide"],
]);

function mainEndpointOf(command: string, endpoints: Map<string, string>): string | null {
  // Python's `$` matches before a final newline too; its `.` takes anything but a newline.
  const service = /deep-start --([^\n]*)(?=\n?$)/.exec(command)?.[1];
  return (service !== undefined ? SERVICE_ENDPOINTS.get(service) : undefined) ?? endpoints.keys().next().value ?? null;
}

/** A job's allocation stub, as `GET /v1/job/:id/allocations` lists it. */
interface AllocationStub {
  ID: unknown;
  ClientStatus: unknown;
  CreateTime: bigint | number;
}

/**
 * The allocation a snapshot shows, of those `GET /v1/job/:id/allocations` lists: newest first by `CreateTime`, the
 * first on a node that lost contact (`unknown`: the original, which comes back), else the first running, else the
 * newest. Its `ID`; undefined when there is none.
 */
export function chosenAllocation(stubs: unknown): unknown {
  const allocations = list(stubs, "the allocations") as AllocationStub[];
  if (allocations.length === 0) return undefined;
  for (const stub of allocations) {
    const time = at(stub, "CreateTime");
    if (typeof time !== "bigint" && !Number.isInteger(time)) throw new MalformedJob("an allocation's CreateTime is not an integer");
    at(stub, "ClientStatus");
  }
  // Python's stable sort by CreateTime, then reversed: equal times come out in reverse order.
  const newestFirst = allocations
    .map((stub, index) => ({ stub, index }))
    .sort((a, b) => (a.stub.CreateTime < b.stub.CreateTime ? -1 : a.stub.CreateTime > b.stub.CreateTime ? 1 : a.index - b.index))
    .reverse()
    .map(({ stub }) => stub);
  const chosen =
    newestFirst.find((stub) => stub.ClientStatus === "unknown") ??
    newestFirst.find((stub) => stub.ClientStatus === "running") ??
    (newestFirst[0] as AllocationStub);
  return at(chosen, "ID");
}

/** The chosen allocation read whole (`GET /v1/allocation/:id`) and its node (`GET /v1/node/:id`). */
export interface Placement {
  allocation: unknown;
  node: unknown;
}

/** Upstream's message for a main task `failed` with Docker's exit status 1, in place of Docker's. */
const DOCKER_EXIT_1 = "Docker container exited with non-zero exit code: 1";
const NETWORK_CUT =
  "There seems to be network issues in the cluster. Please wait until the network is restored and you should be able to fully recover your deployment.";

/**
 * A snapshot's record of a job (`GET /v1/job/:id`), placed or not: its keys in upstream's order, ready for
 * `pythonJson`. Throws `MalformedJob` when the answers lack what upstream reads.
 */
export function deploymentOf(job: unknown, placement?: Placement): Map<string, unknown> {
  const task = list(at(job, "TaskGroups", 0, "Tasks"), "TaskGroups.0.Tasks").find((item) => isRecord(item) && item.Name === "main");
  if (task === undefined) throw new MalformedJob('no task "main" in the first task group');
  const record = new Map<string, unknown>([
    ["job_ID", at(job, "ID")],
    ["name", at(job, "Name")],
    ["status", ""],
    ["owner", at(job, "Meta", "owner")],
    ["title", at(job, "Meta", "title")],
    ["description", at(job, "Meta", "description")],
    ["docker_image", null],
    ["docker_command", null],
    ["submit_time", localSecond(at(job, "SubmitTime"))],
    ["resources", {}],
    ["endpoints", {}],
    ["active_endpoints", null],
    ["main_endpoint", null],
    ["alloc_ID", null],
    ["datacenter", null],
  ]);
  const config = at(task, "Config");
  record.set("docker_image", at(config, "image"));
  const command = isRecord(config) && "command" in config ? config.command : "";
  const args = isRecord(config) && "args" in config ? list(config.args, "Config.args") : [];
  const commandLine = pythonStrip(`${pythonStr(command)} ${args.map((arg) => pythonStr(arg)).join(" ")}`);
  record.set("docker_command", commandLine);
  const endpoints = endpointsOf(job);
  record.set("main_endpoint", mainEndpointOf(commandLine, endpoints));

  if (placement) {
    const { allocation, node } = placement;
    record.set("alloc_ID", at(allocation, "ID"));
    record.set("datacenter", at(node, "Datacenter"));
    if (!truthy(at(allocation, "TaskStates"))) throw new MalformedJob("the allocation has no task states yet");
    const mainState = at(allocation, "TaskStates", "main");
    const state = at(mainState, "State");
    const status = state === "pending" ? "starting" : state === "unknown" ? "down" : state;
    record.set("status", status);
    if (status === "failed") {
      const message = at(mainState, "Events", 0, "Message");
      record.set(
        "error_msg",
        message === DOCKER_EXIT_1
          ? "An error seems to appear when running this Docker container. Try to run this Docker locally with the command " +
              `\`${commandLine}\` to find what is the error or contact the module owner.`
          : message,
      );
    } else if (status === "down") record.set("error_msg", NETWORK_CUT);
    const resources = at(allocation, "AllocatedResources", "Tasks", "main");
    const devices = at(resources, "Devices");
    const gpu = truthy(devices) ? list(devices, "Devices").filter((device) => at(device, "Type") === "gpu")[0] : null;
    if (gpu === undefined) throw new MalformedJob("the allocated devices have no GPU");
    const cores = at(resources, "Cpu", "ReservedCores");
    record.set("resources", {
      cpu_num: truthy(cores) ? list(cores, "ReservedCores").length : 0,
      cpu_MHz: at(resources, "Cpu", "CpuShares"),
      gpu_num: gpu ? list(at(gpu, "DeviceIDs"), "DeviceIDs").length : 0,
      memory_MB: at(resources, "Memory", "MemoryMB"),
      disk_MB: at(allocation, "AllocatedResources", "Shared", "DiskMB"),
    });
    if (endpoints.size) {
      const domain = at(node, "Meta", "domain");
      if (typeof domain !== "string") throw new MalformedJob("the node's Meta.domain is not a string");
      for (const [label, url] of endpoints) endpoints.set(label, url.split("${meta.domain}").join(domain));
    }
    if (status === "dead") record.set("status", at(allocation, "ClientStatus"));
    record.set("alloc_start", at(mainState, "StartedAt"));
    record.set("alloc_end", at(mainState, "FinishedAt"));
  } else {
    record.set("status", "queued");
    const resources = at(task, "Resources");
    const devices = at(resources, "Devices");
    const gpu = truthy(devices) ? list(devices, "Devices").filter((device) => at(device, "Name") === "gpu")[0] : null;
    if (gpu === undefined) throw new MalformedJob('no requested device is named "gpu"');
    record.set("resources", {
      cpu_num: at(resources, "Cores"),
      cpu_MHz: 0,
      gpu_num: gpu ? at(gpu, "Count") : 0,
      memory_MB: at(resources, "MemoryMB"),
      disk_MB: at(job, "TaskGroups", 0, "EphemeralDisk", "SizeMB"),
    });
    record.set("alloc_start", null);
    record.set("alloc_end", null);
  }
  record.set("endpoints", endpoints);
  if (at(job, "Status") === "dead") record.set("status", "dead");
  return record;
}
