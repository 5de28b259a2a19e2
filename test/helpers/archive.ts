import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export function temporaryFolder(prefix = "accounting-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `snapshots/<name>` files (a string is written as is, anything else as JSON) into a new archive. */
export function writeArchive(files: Record<string, unknown>, archive = temporaryFolder()): string {
  for (const [name, content] of Object.entries(files)) {
    const path = join(archive, "snapshots", name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, typeof content === "string" || content instanceof Uint8Array ? content : JSON.stringify(content));
  }
  return archive;
}

export function copyArchive(source: string): string {
  const archive = temporaryFolder();
  cpSync(source, archive, { recursive: true });
  return archive;
}

/** A job as a snapshot file holds it. */
export function jobJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    job_ID: "1a2b3c4d-0000-0000-0000-000000000001",
    name: "module-1a2b3c4d-0000-0000-0000-000000000001",
    status: "running",
    owner: "alice@egi.eu",
    title: "demo",
    description: "",
    docker_image: "ai4oshub/demo",
    docker_command: "deep-start",
    submit_time: "2024-03-01 00:00:00",
    resources: { cpu_num: 2, cpu_MHz: 3000, gpu_num: 1, memory_MB: 8000, disk_MB: 10000 },
    endpoints: {},
    active_endpoints: null,
    main_endpoint: null,
    alloc_ID: "9f9f9f9f-0000-0000-0000-000000000001",
    datacenter: "dc1",
    alloc_start: "2024-03-01T00:00:00Z",
    alloc_end: "0001-01-01T00:00:00Z",
    ...overrides,
  };
}
