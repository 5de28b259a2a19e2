import { createHash } from "node:crypto";
import { closeSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileProblem, type Problem } from "../../model/records.js";
import { readSnapshot, type Snapshot } from "./snapshot.js";
import { EARLIEST_TIME, MICROS_PER_DAY, parseTimeName, type Micros } from "../../model/time.js";

export interface SnapshotFile {
  /** Path relative to the archive root, with `/` separators. */
  file: string;
  time: Micros;
  /** Size in bytes and modification time in ms: what tells a changed file from one already read. */
  size: number;
  mtime: number;
  /**
   * Listed with `verifyContent` only: SHA-256 of its bytes (hex), which tells a changed file from one already read
   * even with the same size and modification time; for a file that cannot be read, why (`unreadable (EACCES)`).
   */
  sha256?: string;
}

interface ListingOptions {
  /** Hash every snapshot file's bytes (SnapshotFile's `sha256`): reading the whole archive once more. */
  verifyContent?: boolean;
}

export interface SnapshotListing {
  files: SnapshotFile[];
  problems: Problem[];
}

/** An archive that cannot be read at all: a missing folder, not a folder. */
export class ArchiveError extends Error {}

export const SNAPSHOTS_FOLDER = "snapshots";
/**
 * Real snapshots take about 1 kB per job listed, a few hundred kB in all. A file larger than this is not read:
 * parsing 16 MiB of the worst JSON (nested empty arrays) takes 0.5 GB of memory.
 */
const MAX_SNAPSHOT_MIB = 16;
export const MAX_SNAPSHOT_BYTES = MAX_SNAPSHOT_MIB * 1024 * 1024;

/** Why a file (or folder) of the snapshots folder is not read as a snapshot, or not used. */
export type ListingReason =
  | "file name is not a snapshot time (YYYY-MM-DDTHH:MM:SS.json)"
  | "unreadable file"
  | "unreadable folder"
  | "not a regular file"
  | `more than the ${typeof MAX_SNAPSHOT_MIB} MiB a snapshot can take`
  | `more than the ${typeof MAX_SNAPSHOT_MIB} MiB a snapshot can take (the file grew while read)`
  | "snapshot time before 2000"
  | "snapshot time in the future"
  | "same folder as another, read once (a symbolic link)"
  | "same content as another file of the same time, counted once"
  | "same time as another file but different content; the first valid one in path order is used";
export const USER_DB_FILE = "users/user-db.json";

async function assertFolder(path: string, what: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new ArchiveError(`${what} not found: ${path}`);
  if (!info.isDirectory()) throw new ArchiveError(`${what} is not a folder: ${path}`);
}

const errorCode = (error: unknown) => String((error as NodeJS.ErrnoException).code ?? error);

/** Synchronously: awaiting a stat per file made listing 2,915 files 5 times slower. */
function statOrError(path: string): Stats | string {
  try {
    return statSync(path);
  } catch (error) {
    return errorCode(error);
  }
}

function fileKind(info: Stats): string {
  if (info.isFIFO()) return "a named pipe";
  if (info.isSocket()) return "a socket";
  if (info.isCharacterDevice() || info.isBlockDevice()) return "a device";
  return "not a regular file";
}

export const formatMiB = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;

/** A listed `.json` file as a snapshot to read, or why it cannot be one. */
function snapshotFile(file: string, name: string, info: Stats | string, now: Micros): SnapshotFile | Problem {
  const time = parseTimeName(name, "json");
  if (time === undefined) return fileProblem(file, "file name is not a snapshot time (YYYY-MM-DDTHH:MM:SS.json)");
  if (typeof info === "string") return fileProblem(file, "unreadable file", info);
  if (!info.isFile()) return fileProblem(file, "not a regular file", fileKind(info));
  if (info.size > MAX_SNAPSHOT_BYTES) return fileProblem(file, `more than the ${MAX_SNAPSHOT_MIB} MiB a snapshot can take`, `file of ${formatMiB(info.size)}`);
  if (time < EARLIEST_TIME) return fileProblem(file, "snapshot time before 2000");
  if (time > now + MICROS_PER_DAY) return fileProblem(file, "snapshot time in the future");
  return { file, time, size: info.size, mtime: info.mtimeMs };
}

function byTimeThenPath(a: SnapshotFile, b: SnapshotFile): number {
  return a.time - b.time || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);
}

/** What a file's bytes are read a chunk at a time into, to hash them: memory stays this size, whatever the file's. */
const HASH_CHUNK_BYTES = 1 << 20;

/**
 * SHA-256 of a file's bytes, hex; for a file that cannot be read, why (`unreadable (EACCES)`), as stable from one
 * call to the next as a hash. Synchronously, as files are listed, through one buffer reused.
 */
export function createFileHasher(): (path: string) => string {
  const chunk = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
  return (path) => {
    let fd: number | undefined;
    try {
      fd = openSync(path, "r");
      const hash = createHash("sha256");
      for (let read: number; (read = readSync(fd, chunk, 0, chunk.length, null)) > 0;) hash.update(chunk.subarray(0, read));
      return hash.digest("hex");
    } catch (error) {
      return `unreadable (${errorCode(error)})`;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  };
}

/**
 * Every `snapshots/**\/*.json` of the archive, at any depth, in time order then path order. A folder reached
 * twice (through a symbolic link) is read once; files that cannot be snapshots are problems. With `verifyContent`,
 * each file's bytes are hashed too.
 */
export async function listSnapshotFiles(archive: string, options: ListingOptions = {}): Promise<SnapshotListing> {
  const now = Date.now() * 1000;
  await assertFolder(archive, "archive");
  const root = join(archive, SNAPSHOTS_FOLDER);
  await assertFolder(root, "snapshots folder");
  const files: SnapshotFile[] = [];
  const problems: Problem[] = [];
  const visited = new Map<string, string>();

  async function walk(folder: string, relative: string): Promise<void> {
    let entries;
    try {
      const real = await realpath(folder);
      const first = visited.get(real);
      if (first !== undefined) {
        problems.push(fileProblem(relative, "same folder as another, read once (a symbolic link)", `same folder as ${first}`));
        return;
      }
      visited.set(real, relative);
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      problems.push(fileProblem(relative, "unreadable folder", errorCode(error)));
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(folder, entry.name);
      const file = `${relative}/${entry.name}`;
      const isJson = entry.name.endsWith(".json");
      if (isJson || entry.isSymbolicLink()) {
        const info = statOrError(path);
        if (typeof info === "object" && info.isDirectory()) {
          await walk(path, file);
        } else if (isJson) {
          const listed = snapshotFile(file, entry.name, info, now);
          if ("reason" in listed) problems.push(listed);
          else files.push(listed);
        }
      } else if (entry.isDirectory()) {
        await walk(path, file);
      }
    }
  }

  await walk(root, SNAPSHOTS_FOLDER);
  files.sort(byTimeThenPath);
  if (options.verifyContent) {
    const sha256 = createFileHasher();
    for (const listed of files) listed.sha256 = sha256(join(archive, listed.file));
  }
  return { files, problems };
}

type ArchiveItem = { snapshot: Snapshot } | { problem: Problem };

/**
 * Reads whole files into one buffer, reused: a fresh buffer per file made threads reading at once slower by half
 * (each large buffer is mapped and unmapped, and unmapping stalls the process's other threads). Synchronously: an
 * ingest has nothing else to do meanwhile, and awaiting 2,915 reads made it 1 s slower (of 4.9).
 */
function createFileReader(): (archive: string, file: string) => Uint8Array | Problem {
  let buffer = Buffer.allocUnsafe(1 << 20);
  return (archive, file) => {
    let fd: number | undefined;
    try {
      fd = openSync(join(archive, file), "r");
      let length = 0;
      for (;;) {
        if (length > MAX_SNAPSHOT_BYTES) return fileProblem(file, `more than the ${MAX_SNAPSHOT_MIB} MiB a snapshot can take (the file grew while read)`);
        if (length === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(Math.min(buffer.length, MAX_SNAPSHOT_BYTES + 1 - length))]);
        const read = readSync(fd, buffer, length, buffer.length - length, null);
        if (read === 0) return buffer.subarray(0, length);
        length += read;
      }
    } catch (error) {
      return fileProblem(file, "unreadable file", errorCode(error));
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/**
 * Reads listed snapshot files one at a time, in order. Of several files with the same time, the first
 * valid one in path order is used; the others are reported, as identical or as conflicting.
 */
export function* readSnapshots(archive: string, files: SnapshotFile[]): Generator<ArchiveItem> {
  const readBytes = createFileReader();
  let winner: { file: string; time: Micros; bytes: Uint8Array } | undefined;
  for (const [index, { file, time }] of files.entries()) {
    const bytes = readBytes(archive, file);
    if (!(bytes instanceof Uint8Array)) {
      yield { problem: bytes };
      continue;
    }
    if (winner?.time === time && sameBytes(bytes, winner.bytes)) {
      yield { problem: fileProblem(file, "same content as another file of the same time, counted once", `same content as ${winner.file}`) };
      continue;
    }
    const reading = readSnapshot(file, time, bytes);
    if ("problem" in reading) {
      yield reading;
    } else if (winner?.time === time) {
      yield {
        problem: fileProblem(file, "same time as another file but different content; the first valid one in path order is used", `${winner.file} is used`),
      };
    } else {
      winner = { file, time, bytes: files[index + 1]?.time === time ? Uint8Array.from(bytes) : bytes };
      yield reading;
    }
  }
}
