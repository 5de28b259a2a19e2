import { availableParallelism } from "node:os";
import { Worker, type TransferListItem } from "node:worker_threads";
import type { SnapshotFile } from "./archive.js";
import { isCompiled } from "../../ingest/compiled.js";
import { decodeRows, encodeRows, transferablesOf, type Columns } from "./columns.js";
import { attachFold, concatFolds, type DetachedFold } from "./fold-join.js";
import { foldSnapshots, type Progress, type SnapshotsFold } from "./fold.js";
import type { Micros } from "../../model/time.js";

interface ParallelOptions {
  /** At most this many threads; by default, as many as the machine can run at once. */
  threads?: number;
  /** Fewer files than this per thread are not worth starting one. */
  minFilesPerThread?: number;
  onProgress?: Progress;
}

/** What another thread folds: a part of the listing, and the time of the file before it. */
export interface PartRequest {
  archive: string;
  files: SnapshotFile[];
  previous: Micros;
  /** Where the thread counts the files it has read: `progress[part]`. */
  progress: Int32Array;
  part: number;
}

/**
 * How much more of the listing this thread reads than each other: they first start (through tsx, from the sources)
 * and at the end hand their part back as columns, together about a fifth of the time their part takes to fold.
 */
const FIRST_PART_WEIGHT = 1.2;

/** A detached fold as it crosses threads: its two big tables as columns. */
interface EncodedPart {
  previous: Micros | null;
  fold: Omit<SnapshotsFold, "intervals" | "jobs"> & { intervals: Columns; jobs: Columns };
}

/** Consecutive runs of the listing, as long as their `weights` say; files of the same time stay together. */
export function splitListing(files: SnapshotFile[], weights: number[]): SnapshotFile[][] {
  const total = weights.reduce((a, b) => a + b, 0);
  const split: SnapshotFile[][] = [];
  let start = 0;
  let weight = 0;
  for (const [part, share] of weights.entries()) {
    if (start >= files.length) break;
    weight += share;
    let end = part === weights.length - 1 ? files.length : Math.max(start + 1, Math.round((files.length * weight) / total));
    while (end < files.length && files[end]?.time === files[end - 1]?.time) end++;
    split.push(files.slice(start, end));
    start = end;
  }
  return split;
}

export function foldPart({ archive, files, previous, progress, part }: PartRequest): DetachedFold {
  const fold = foldSnapshots(archive, files, { previous, open: [], namespaces: [] }, (done) => Atomics.store(progress, part, done));
  return { previous, fold };
}

export function encodePart({ previous, fold }: DetachedFold): { message: EncodedPart; transfer: TransferListItem[] } {
  const intervals = encodeRows(fold.intervals);
  const jobs = encodeRows(fold.jobs);
  return { message: { previous, fold: { ...fold, intervals, jobs } }, transfer: [...transferablesOf(intervals), ...transferablesOf(jobs)] };
}

function decodePart({ previous, fold }: EncodedPart): DetachedFold {
  return { previous, fold: { ...fold, intervals: decodeRows(fold.intervals), jobs: decodeRows(fold.jobs) } };
}

/**
 * The worker's module as this library runs: compiled, plain JS; from the TypeScript sources, through tsx, whose
 * hooks registered by the parent do not reach workers.
 */
function startWorker(request: PartRequest): Worker {
  if (isCompiled(import.meta.url)) return new Worker(new URL("./fold-worker.js", import.meta.url), { workerData: request });
  const entry = new URL("./fold-worker.ts", import.meta.url).href;
  const tsx = import.meta.resolve("tsx/esm/api");
  const source = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(source, { eval: true, workerData: request });
}

/** Another thread reading a part of the archive failed or stopped: nothing of the fold is kept. */
export class ReadingThreadError extends Error {}

/** A part folded by another thread, which counts the files it has read in `progress`. */
export function foldInWorker(request: PartRequest): { result: Promise<DetachedFold>; stop(): void } {
  const worker = startWorker(request);
  const result = new Promise<DetachedFold>((resolve, reject) => {
    worker.once("message", (message: EncodedPart) => resolve(decodePart(message)));
    // What the thread threw comes as a copy of an Error, its class lost: its first line says why.
    worker.once("error", (error) => reject(new ReadingThreadError(`a thread reading snapshots failed: ${String(error.message).split("\n")[0]}`)));
    worker.once("exit", (code) => reject(new ReadingThreadError(`a thread reading snapshots stopped (exit code ${code})`)));
  });
  return { result, stop: () => void worker.terminate() };
}

/**
 * The fold of the whole listing, its parts read at once by this thread and others. Each later part is folded
 * detached, then attached to the fold of the parts before; a part that cannot be attached (the seam is not what
 * it assumed) is folded again from that fold's state, so the result is always that of one fold in order.
 */
export async function foldArchive(archive: string, files: SnapshotFile[], options: ParallelOptions = {}): Promise<SnapshotsFold> {
  const threads = Math.min(options.threads ?? availableParallelism(), Math.floor(files.length / (options.minFilesPerThread ?? 200)));
  if (threads < 2) return foldSnapshots(archive, files, undefined, options.onProgress);
  const weights = Array.from({ length: threads }, (_, part) => (part === 0 ? FIRST_PART_WEIGHT : 1));
  const [first, ...later] = splitListing(files, weights) as [SnapshotFile[], ...SnapshotFile[][]];
  const progress = new Int32Array(new SharedArrayBuffer(4 * later.length));
  const readElsewhere = () => progress.reduce((sum, _, part) => sum + Atomics.load(progress, part), 0);
  const workers = later.map((part, index) => {
    const previous = ((index === 0 ? first : (later[index - 1] as SnapshotFile[])).at(-1) as SnapshotFile).time;
    return foldInWorker({ archive, files: part, previous, progress, part: index });
  });
  try {
    let joined = foldSnapshots(archive, first, undefined, options.onProgress && ((done) => options.onProgress?.(done + readElsewhere(), files.length)));
    const report = () => options.onProgress?.(first.length + readElsewhere(), files.length);
    const ticker = setInterval(report, 100);
    const detached = await Promise.all(workers.map((worker) => worker.result)).finally(() => clearInterval(ticker));
    report();
    detached.forEach((part, index) => {
      joined = concatFolds(joined, attachFold(joined.state, part) ?? foldSnapshots(archive, later[index] as SnapshotFile[], joined.state));
    });
    return joined;
  } finally {
    for (const worker of workers) worker.stop();
  }
}
