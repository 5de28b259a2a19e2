import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A small file system of its own (tmpfs), to fill or make read-only: needs root, as CI runs. */
export interface SmallDisk {
  folder: string;
  readOnly(): void;
  remove(): void;
}

/** Why tests of full and read-only disks cannot run here, or undefined when they can. */
export function smallDiskMissing(): string | undefined {
  if (process.getuid?.() !== 0) return "not root: mounting a small tmpfs (full and read-only disks) needs root; these tests are skipped";
  try {
    mountSmallDisk(16 * 1024).remove();
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs here (${(error as Error).message.split("\n")[0]}); these tests are skipped`;
  }
}

/** A tmpfs of `bytes` bytes mounted on a new folder. */
export function mountSmallDisk(bytes: number): SmallDisk {
  const folder = mkdtempSync(join(tmpdir(), "small-disk-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${bytes},mode=0700`, "tmpfs", folder], { stdio: "pipe" });
  return {
    folder,
    readOnly: () => execFileSync("mount", ["-o", "remount,ro", folder], { stdio: "pipe" }),
    remove() {
      execFileSync("umount", [folder], { stdio: "pipe" });
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
