import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { pythonJson } from "../../model/python-json.js";
import { chosenAllocation, deploymentOf, isDeployment, MalformedJob, type Placement } from "./deployment.js";
import { NomadNotFound, type NomadApi } from "./nomad-api.js";

/**
 * `accounting snapshot`: the state of Nomad's deployments written into the archive as upstream's `take_snapshot.py`
 * writes it, `<archive>/snapshots/<YYYY-MM-DDTHH:MM:SS>.json` (UTC, the time the last answer came), byte for byte.
 * Unlike upstream, a namespace or a job that cannot be read fails the whole snapshot, and no file is ever half written.
 */

/** The namespaces upstream leaves out when it lists them itself (`conf.py`). */
const UNACCOUNTED_NAMESPACES = new Set(["default", "tutorials"]);
/** The mode of the first snapshot: it holds owner ids and job titles. Later snapshots take the newest's. */
const FIRST_SNAPSHOT_MODE = 0o600;
const SNAPSHOT_NAME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.json$/;

/** The snapshot or the user database cannot be written (a folder it may not write, a full disk): nothing was. */
export class ArchiveWriteError extends Error {}

/** What a run is told as it goes: progress, and jobs left out. */
export interface NomadReading {
  /** The namespaces to read, in this order; by default Nomad's own, but `default` and `tutorials`. */
  namespaces?: string[];
  onProgress?: (text: string) => void;
  onWarning?: (text: string) => void;
}

interface SnapshotSettings extends NomadReading {
  /** The time now, in ms since the epoch: the snapshot's name. */
  now: () => number;
}

/** A snapshot written. */
interface WrittenSnapshot {
  /** Its path in the archive, `snapshots/<YYYY-MM-DDTHH:MM:SS>.json`. */
  file: string;
  /** The jobs it holds, per namespace in its order. */
  jobs: Map<string, number>;
  /** The deployments left out, their records lacking what a snapshot needs. */
  skipped: number;
}

function records(value: unknown, what: string): Record<string, unknown>[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== "object" || item === null || Array.isArray(item)))
    throw new MalformedJob(`${what} is not a list of objects`);
  return value as Record<string, unknown>[];
}

/** The namespaces asked for, else Nomad's (`GET /v1/namespaces`) but `default` and `tutorials`. */
export async function namespacesToRead(api: NomadApi, asked: string[] | undefined): Promise<string[]> {
  if (asked) return asked;
  return records(await api.get("namespaces"), "Nomad's list of namespaces")
    .map((namespace) => namespace.Name)
    .filter((name): name is string => typeof name === "string" && !UNACCOUNTED_NAMESPACES.has(name));
}

/** `GET /v1/jobs` of a namespace: the job stubs, in Nomad's order (by ID). */
export async function jobsOf(api: NomadApi, namespace: string): Promise<Record<string, unknown>[]> {
  return records(await api.get("jobs", { namespace }), `the job list of namespace ${JSON.stringify(namespace)}`);
}

/**
 * A job the output goes without, told: it went away between the list and its read (404), or its records lack what is
 * needed, as upstream leaves such jobs out. Anything else (Nomad failing) is thrown: the run writes nothing.
 */
export function leaveOut(error: unknown, namespace: string, id: unknown, warn: (text: string) => void): void {
  const job = `job ${JSON.stringify(id)} of namespace ${JSON.stringify(namespace)}`;
  if (error instanceof NomadNotFound) warn(`${job} went away while it was read: left out (${error.message})`);
  else if (error instanceof MalformedJob) warn(`${job} left out: ${error.message}`);
  else throw error;
}

/** One deployment's record, or undefined when it went away or its records lack what a snapshot needs (told). */
async function deployment(api: NomadApi, namespace: string, id: unknown, warn: (text: string) => void): Promise<Map<string, unknown> | undefined> {
  try {
    if (typeof id !== "string") throw new MalformedJob("no ID");
    const job = encodeURIComponent(id);
    const spec = await api.get(`job/${job}`, { namespace });
    const allocationId = chosenAllocation(await api.get(`job/${job}/allocations`, { namespace }));
    let placement: Placement | undefined;
    if (allocationId !== undefined) {
      if (typeof allocationId !== "string") throw new MalformedJob("the allocation's ID is not a string");
      const allocation = await api.get(`allocation/${encodeURIComponent(allocationId)}`);
      const node = (allocation as Record<string, unknown> | null)?.NodeID;
      if (typeof node !== "string") throw new MalformedJob("the allocation has no NodeID");
      placement = { allocation, node: await api.get(`node/${encodeURIComponent(node)}`) };
    }
    return deploymentOf(spec, placement);
  } catch (error) {
    leaveOut(error, namespace, id, warn);
    return undefined;
  }
}

/** The mode of the folder's newest snapshot, else the first snapshot's. */
async function snapshotMode(folder: string): Promise<number> {
  const names = (await readdir(folder).catch(() => [] as string[])).filter((name) => SNAPSHOT_NAME.test(name)).sort();
  const newest = names.at(-1);
  if (newest === undefined) return FIRST_SNAPSHOT_MODE;
  return ((await stat(join(folder, newest)).catch(() => undefined))?.mode ?? FIRST_SNAPSHOT_MODE) & 0o777;
}

/**
 * Writes `bytes` to `folder/name` whole or not at all: into a hidden file of the same folder whose name does not end
 * in `.json` (readers take `**\/*.json`), flushed to disk, then renamed into place.
 */
export async function writeWhole(folder: string, name: string, bytes: string, mode: number): Promise<void> {
  const path = join(folder, name);
  const temporary = join(folder, `.${name}.${process.pid}.tmp`);
  try {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const file = await open(temporary, "wx", mode);
    try {
      await file.writeFile(bytes);
      await file.chmod(mode);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new ArchiveWriteError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

/** Reads every deployment of the namespaces, then writes the snapshot; Nomad failing (after retries) writes nothing. */
export async function takeSnapshot(archive: string, api: NomadApi, settings: SnapshotSettings): Promise<WrittenSnapshot> {
  const warn = settings.onWarning ?? (() => undefined);
  const namespaces = await namespacesToRead(api, settings.namespaces);
  const snapshot = new Map<string, Map<string, unknown>[]>(namespaces.map((namespace) => [namespace, []]));
  let skipped = 0;
  for (const namespace of namespaces) {
    const stubs = await jobsOf(api, namespace);
    const deployments = stubs.filter((stub) => isDeployment(stub.Name));
    settings.onProgress?.(`namespace ${JSON.stringify(namespace)}: ${deployments.length} deployments of ${stubs.length} jobs`);
    for (const stub of deployments) {
      const record = await deployment(api, namespace, stub.ID, warn);
      if (record) snapshot.get(namespace)?.push(record);
      else skipped++;
    }
  }
  const folder = join(archive, "snapshots");
  const name = `${new Date(Math.floor(settings.now() / 1000) * 1000).toISOString().slice(0, 19)}.json`;
  await writeWhole(folder, name, pythonJson(snapshot), await snapshotMode(folder));
  return { file: `snapshots/${name}`, jobs: new Map([...snapshot].map(([namespace, jobs]) => [namespace, jobs.length])), skipped };
}
