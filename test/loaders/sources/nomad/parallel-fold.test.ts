import { describe, expect, it } from "vitest";
import { listSnapshotFiles, type SnapshotFile } from "../../../../loaders/sources/nomad/archive.js";
import { foldSnapshots } from "../../../../loaders/sources/nomad/fold.js";
import { foldArchive, foldInWorker, ReadingThreadError, splitListing } from "../../../../loaders/sources/nomad/parallel-fold.js";
import { jobJson, writeArchive } from "../../../helpers/archive.js";
import { REFERENCE_ARCHIVE } from "../../../helpers/reference.js";

const file = (time: number): SnapshotFile => ({ file: `snapshots/${time}.json`, time, size: 1, mtime: 1 });

describe("splitting a listing between threads", () => {
  it("cuts it in consecutive parts as long as their weights say", () => {
    const files = [1, 2, 3, 4, 5, 6, 7].map(file);
    expect(splitListing(files, [1, 1, 1]).map((part) => part.map((f) => f.time))).toEqual([
      [1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
    expect(splitListing([...files, file(8)], [2, 1, 1]).map((part) => part.map((f) => f.time))).toEqual([
      [1, 2, 3, 4],
      [5, 6],
      [7, 8],
    ]);
    expect(splitListing(files.slice(0, 2), [1, 1, 1]).map((part) => part.length)).toEqual([1, 1]);
  });

  it("keeps files of the same time in one part, where the first valid of them is chosen", () => {
    const files = [1, 2, 2, 2, 3, 4].map(file);
    expect(splitListing(files, [1, 1]).map((part) => part.map((f) => f.time))).toEqual([
      [1, 2, 2, 2],
      [3, 4],
    ]);
  });
});

describe("folding an archive in several threads", () => {
  it("gives the fold of one thread on the reference archive, and counts every file read", async () => {
    const { files } = await listSnapshotFiles(REFERENCE_ARCHIVE);
    let progress = 0;
    const fold = await foldArchive(REFERENCE_ARCHIVE, files, { threads: 3, minFilesPerThread: 1, onProgress: (done) => (progress = Math.max(progress, done)) });
    expect(fold).toStrictEqual(foldSnapshots(REFERENCE_ARCHIVE, files));
    expect(progress).toBe(files.length);
  });

  it("folds again a part whose seam it could not attach", async () => {
    const archive = writeArchive({
      "2024-03-01T01:00:00.json": { a: [jobJson()] },
      "2024-03-01T02:00:00.json": { a: [jobJson()] },
      "2024-03-01T03:00:00.json": "{ broken",
      "2024-03-01T04:00:00.json": { a: [jobJson()] },
    });
    const { files } = await listSnapshotFiles(archive);
    const fold = await foldArchive(archive, files, { threads: 2, minFilesPerThread: 1 });
    expect(fold).toStrictEqual(foldSnapshots(archive, files));
    expect(fold.intervals).toHaveLength(1);
  });

  it("tells in one line why another thread gave no part: what it threw, or that it stopped", async () => {
    const progress = new Int32Array(new SharedArrayBuffer(4));
    // No listing: the thread's fold throws a TypeError.
    const thrown = await foldInWorker({ archive: REFERENCE_ARCHIVE, files: null as unknown as SnapshotFile[], previous: 0, progress, part: 0 }).result.catch(
      (error: unknown) => error,
    );
    expect(thrown).toBeInstanceOf(ReadingThreadError);
    expect((thrown as Error).message).toMatch(/^a thread reading snapshots failed: [^\n]+$/);
    const { files } = await listSnapshotFiles(REFERENCE_ARCHIVE);
    const worker = foldInWorker({ archive: REFERENCE_ARCHIVE, files, previous: 0, progress, part: 0 });
    worker.stop();
    const stopped = await worker.result.catch((error: unknown) => error);
    expect(stopped).toBeInstanceOf(ReadingThreadError);
    expect((stopped as Error).message).toMatch(/^a thread reading snapshots stopped \(exit code \d+\)$/);
  });

  it("gives the same fold with the default thresholds on a small archive", async () => {
    const { files } = await listSnapshotFiles(REFERENCE_ARCHIVE);
    const fold = await foldArchive(REFERENCE_ARCHIVE, files, { threads: 4 });
    expect(fold).toStrictEqual(foldSnapshots(REFERENCE_ARCHIVE, files));
  });
});
