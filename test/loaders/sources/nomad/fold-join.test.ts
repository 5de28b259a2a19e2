import { describe, expect, it } from "vitest";
import { listSnapshotFiles, type SnapshotFile } from "../../../../loaders/sources/nomad/archive.js";
import { attachFold, concatFolds } from "../../../../loaders/sources/nomad/fold-join.js";
import { foldSnapshots, type SnapshotsFold } from "../../../../loaders/sources/nomad/fold.js";
import { generateArchive } from "../../../../scripts/archive-generator.js";
import { jobJson, temporaryFolder, writeArchive } from "../../../helpers/archive.js";
import { REFERENCE_ARCHIVE } from "../../../helpers/reference.js";

/** The fold of `files` split before `split`, the later part folded detached then attached; and whether it had to be folded again. */
function foldSplit(archive: string, files: SnapshotFile[], split: number): { fold: SnapshotsFold; refolded: boolean } {
  const earlier = foldSnapshots(archive, files.slice(0, split));
  const previous = (files[split - 1] as SnapshotFile).time;
  const detached = foldSnapshots(archive, files.slice(split), { previous, open: [], namespaces: [] });
  const attached = attachFold(earlier.state, { previous, fold: detached });
  return { fold: concatFolds(earlier, attached ?? foldSnapshots(archive, files.slice(split), earlier.state)), refolded: attached === undefined };
}

const at = (hour: number) => `2024-03-01T${String(hour).padStart(2, "0")}:00:00`;
const job = (id: number, overrides: Record<string, unknown> = {}) =>
  jobJson({ job_ID: `job-${id}`, name: `module-${id}`, alloc_start: "2024-03-01T00:30:00Z", ...overrides });

/** Hourly snapshots whose seams each exercise one way a run meets the snapshot after it. */
function seamArchive(): string {
  const dead = (end: string) => ({ status: "dead", alloc_end: end });
  return writeArchive({
    [`${at(1)}.json`]: { a: [job(1), job(2), job(3), job(4), job(5, dead("2024-03-01T00:45:00Z"))] },
    [`${at(2)}.json`]: {
      a: [job(1), job(2, { resources: { cpu_num: 8, cpu_MHz: 0, gpu_num: 0, memory_MB: 1, disk_MB: 1 } }), job(4), job(5, dead("2024-03-01T00:45:00Z"))],
    },
    [`${at(3)}.json`]: { a: [job(1), job(3), job(4, { alloc_start: "2024-03-01T05:00:00Z" }), job(5, dead("2024-03-01T00:45:00Z"))], b: [job(9)] },
    [`${at(4)}.json`]: "{ broken",
    [`${at(5)}.json`]: {},
    [`${at(6)}.json`]: { a: [job(1), job(4, { alloc_start: "2024-03-01T05:00:00Z" })] },
    [`${at(7)}.json`]: "[]",
    [`${at(8)}.json`]: "not json",
    [`${at(9)}.json`]: { a: [job(1, { status: "dead", alloc_end: "2024-03-01T08:30:00Z" })], c: [] },
    [`${at(10)}.json`]: { a: [job(1, { status: "dead", alloc_end: "2024-03-01T08:30:00Z" })] },
  });
}

describe("joining the folds of consecutive parts of a listing", () => {
  it("gives the fold of the whole listing at every seam of an archive of edge cases, folding again only where it must", async () => {
    const archive = seamArchive();
    const { files } = await listSnapshotFiles(archive);
    const whole = foldSnapshots(archive, files);
    const refolded: string[] = [];
    for (let split = 1; split < files.length; split++) {
      const { fold, refolded: again } = foldSplit(archive, files, split);
      expect(fold, `split before ${files[split]?.file}`).toStrictEqual(whole);
      if (again) refolded.push((files[split] as SnapshotFile).file.slice(-13, -11));
    }
    // 05, 08, 09: the snapshot before the seam is broken, so the part assumed the wrong previous one. 02, 03, 10:
    // a dead job's run goes on across the seam with an empty segment, which may end the run elsewhere.
    expect(refolded).toEqual(["02", "03", "05", "08", "09", "10"]);
  });

  it("attaches the parts of a generated archive without folding any again", async () => {
    const archive = temporaryFolder();
    await generateArchive(archive, { seed: 11, start: "2024-05-01", days: 12, snapshotHours: 4, namespaces: ["vo.alpha", "beta"] });
    const { files } = await listSnapshotFiles(archive);
    const whole = foldSnapshots(archive, files);
    for (let split = 1; split < files.length; split += 5) {
      const { fold, refolded } = foldSplit(archive, files, split);
      expect(fold).toStrictEqual(whole);
      expect(refolded, `split before ${files[split]?.file}`).toBe(false);
    }
  });

  it("gives the fold of the reference archive at its seams", async () => {
    const { files } = await listSnapshotFiles(REFERENCE_ARCHIVE);
    const whole = foldSnapshots(REFERENCE_ARCHIVE, files);
    for (const split of [1, 2, 37, 80, 81, 123, files.length - 1]) expect(foldSplit(REFERENCE_ARCHIVE, files, split).fold).toStrictEqual(whole);
  });
});
