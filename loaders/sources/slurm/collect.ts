import { spawn } from "node:child_process";
import { chmod, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseRfc3339 } from "../../model/time.js";
import { SACCT_FIELDS } from "./fields.js";

/**
 * `accounting collect slurm`: a dump of Slurm's accounting database (`sacct --parsable2`) written into the archive,
 * `<archive>/slurm/<YYYY-MM-DDTHH:MM:SS>.txt`, named by the time (UTC) sacct was asked about.
 */

/** The folder of the archive Slurm's dumps go to, as the adapter reads them. */
const FOLDER = "slurm";
/** Before any dump: every job Slurm's database holds. */
const ALL_HISTORY = "1970-01-01T00:00:00";
/** A dump's name: the time it was taken, UTC, then any extension (as the ingest reads it). */
const DUMP_NAME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.[^/]*)?$/;
/** The mode of the first dump, which holds user names and job names: its owner's only. Later dumps take the newest's. */
const FIRST_DUMP_MODE = 0o600;

/** sacct cannot be run, or fails: nothing was written. */
export class SacctError extends Error {}

/** The dump cannot be written (a folder it may not write, a full disk): nothing was written. */
export class DumpWriteError extends Error {}

/** A dump written. */
interface SlurmDump {
  /** Its path in the archive, `slurm/<YYYY-MM-DDTHH:MM:SS>.txt`. */
  file: string;
  /** Its lines: one per job allocation (a run of a job; a requeued job has one per run). */
  records: number;
  /** What sacct was asked for: the jobs eligible, running or ended from this time (UTC) to the dump's. */
  since: string;
}

interface CollectSettings {
  /** From when (`YYYY-MM-DDTHH:MM:SS`, UTC); by default the newest dump's time, else all history. */
  since?: string;
  /** The environment sacct runs in (PATH, SLURM_CONF…); TZ is set to UTC. */
  env: Record<string, string | undefined>;
  /** The time now, in ms since the epoch. */
  now: () => number;
}

/**
 * The newest dump of the archive's Slurm folder (`<YYYY-MM-DDTHH:MM:SS>.<ext>`, hidden files aside): its time and
 * file mode; undefined when the folder has none or does not exist.
 */
async function newestDump(folder: string): Promise<{ time: string; mode: number } | undefined> {
  const entries = await readdir(folder, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw new DumpWriteError(`cannot read ${folder}: ${error.message}`);
  });
  let newest: { name: string; time: string } | undefined;
  for (const { name } of entries.filter((entry) => entry.isFile())) {
    const time = DUMP_NAME.exec(name)?.[1];
    if (time !== undefined && parseRfc3339(`${time}Z`) !== undefined && (newest === undefined || time > newest.time)) newest = { name, time };
  }
  if (newest === undefined) return undefined;
  const { mode } = await stat(join(folder, newest.name));
  return { time: newest.time, mode: mode & 0o777 };
}

/** Counts the lines going through. */
class LineCounter extends Transform {
  lines = 0;
  private last = 0x0a;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    for (const byte of chunk) if (byte === 0x0a) this.lines++;
    if (chunk.length) this.last = chunk[chunk.length - 1] as number;
    done(null, chunk);
  }
  /** Lines, the last one counted even without its end of line. */
  get total(): number {
    return this.lines + (this.last === 0x0a ? 0 : 1);
  }
}

/** The first line of what a command wrote on stderr that says something. */
const firstLine = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .find((line) => line !== "") ?? "";

/**
 * Runs `sacct` for every job of every user that was eligible, running or ended from `since` to now (one line per job
 * allocation, requeued runs included, in Open XDMoD's 26 fields, times in UTC) and writes its output, as it comes, to
 * a hidden file of the archive's Slurm folder, renamed into place when sacct succeeds: a reader never sees half a dump.
 * The dump is named by the second sacct is asked about, which is also its `--endtime`: no job in it starts later.
 */
export async function collectSlurm(archive: string, settings: CollectSettings): Promise<SlurmDump> {
  const folder = join(archive, FOLDER);
  const newest = await newestDump(folder);
  const since = settings.since ?? newest?.time ?? ALL_HISTORY;
  const now = new Date(Math.floor(settings.now() / 1000) * 1000).toISOString().slice(0, 19);
  const name = `${now}.txt`;
  const path = join(folder, name);
  const temporary = join(folder, `.${name}.${process.pid}.tmp`);

  const file = await mkdir(folder, { recursive: true, mode: 0o700 })
    .then(() => open(temporary, "wx", FIRST_DUMP_MODE))
    .catch((error: Error) => {
      throw new DumpWriteError(`cannot write into ${folder}: ${error.message}`);
    });
  const args = ["--allusers", "--parsable2", "--noheader", "--allocations", "--duplicates", "--format", SACCT_FIELDS.join(","), "-S", since, "-E", now];
  const sacct = spawn("sacct", args, { env: { ...settings.env, TZ: "UTC" }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  sacct.stderr.setEncoding("utf8").on("data", (text: string) => {
    if (stderr.length < 10_000) stderr += text;
  });
  const exit = new Promise<number | null>((resolve, reject) => {
    sacct.on("error", reject);
    sacct.on("close", resolve);
  });
  const counter = new LineCounter();
  // A dump that cannot be written stops sacct.
  const written = pipeline(sacct.stdout, counter, file.createWriteStream({ flush: true })).then(
    () => undefined,
    (error: Error) => (sacct.kill(), error),
  );
  try {
    const code = await exit.catch((error: NodeJS.ErrnoException) => {
      throw new SacctError(
        error.code === "ENOENT" ? "cannot run sacct: it is not on PATH (Slurm's client commands are not installed?)" : `cannot run sacct: ${error.message}`,
      );
    });
    const writeError = await written;
    if (writeError) throw new DumpWriteError(`cannot write ${path}: ${writeError.message}`);
    if (code !== 0) throw new SacctError(`sacct failed (exit status ${code ?? "none: killed"}): ${firstLine(stderr) || "it said nothing"}`);
    await chmod(temporary, newest?.mode ?? FIRST_DUMP_MODE)
      .then(() => rename(temporary, path))
      .catch((error: Error) => {
        throw new DumpWriteError(`cannot write ${path}: ${error.message}`);
      });
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return { file: `${FOLDER}/${name}`, records: counter.total, since };
}
