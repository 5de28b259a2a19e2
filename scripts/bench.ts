import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { listSnapshotFiles, type SnapshotFile } from "../loaders/sources/nomad/archive.js";
import { generateArchive } from "./archive-generator.js";
import { median } from "./statistics.js";

/** The 2-year archive of the performance targets: ~2,900 snapshots, ~800 MB, ~300 jobs at a time. */
const TWO_YEARS = { seed: 42, start: "2023-01-01", days: 730, jobsPerNamespace: 120 };

const { values } = parseArgs({
  options: { archive: { type: "string" }, runs: { type: "string", default: "3" } },
  strict: true,
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs} is not a positive whole number`);

async function archiveToMeasure(): Promise<string> {
  if (values.archive) return values.archive;
  const archive = join(tmpdir(), "accounting-bench-2y");
  if (!existsSync(join(archive, "snapshots"))) {
    process.stderr.write(`generating the 2-year archive into ${archive}…\n`);
    await generateArchive(archive, TWO_YEARS);
  }
  return archive;
}

/** Reading and JSON.parse-ing every snapshot file, on one core: the floor of any ingest. */
async function readAndParse(archive: string): Promise<number> {
  const { files } = await listSnapshotFiles(archive);
  const started = performance.now();
  for (const { file } of files) JSON.parse(readFileSync(join(archive, file), "utf8"));
  return (performance.now() - started) / 1000;
}

/** Wall time and peak memory of the `accounting` command, as a user runs it. */
function command(args: string[]): { seconds: number; peakMB: number } {
  const started = performance.now();
  const run = spawnSync("/usr/bin/time", ["-f", "%M", process.execPath, "bin/accounting.js", ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0)
    throw new Error(
      `accounting ${args.join(" ")} failed: ${run.stderr
        .split("\n")
        .filter((l) => l.startsWith("accounting:"))
        .join(" ")}`,
    );
  const peakKB = Number(run.stderr.trim().split("\n").at(-1));
  return { seconds, peakMB: peakKB / 1024 };
}

/** A copy of the archive made of symbolic links to its snapshot files, without the newest: that one comes in later. */
function mirrorWithoutNewest(archive: string, files: SnapshotFile[], mirror: string): { addNewest(): void; removeNewest(): void } {
  for (const { file } of files) {
    mkdirSync(dirname(join(mirror, file)), { recursive: true });
    symlinkSync(resolve(archive, file), join(mirror, file));
  }
  const newest = join(mirror, (files.at(-1) as SnapshotFile).file);
  return {
    addNewest: () => symlinkSync(resolve(archive, (files.at(-1) as SnapshotFile).file), newest),
    removeNewest: () => rmSync(newest),
  };
}

const archive = await archiveToMeasure();
const { files } = await listSnapshotFiles(archive);
const bytes = Number(execFileSync("du", ["-sbL", join(archive, "snapshots")], { encoding: "utf8" }).split("\t")[0]);
const work = mkdtempSync(join(tmpdir(), "accounting-bench-"));
const [mirror, out, cache, verifiedCache] = ["archive", "out", "cache", "verified-cache"].map((name) => join(work, name)) as [string, string, string, string];
const snapshots = mirrorWithoutNewest(archive, files, mirror);
type Run = ReturnType<typeof command>;
/** What the runs measured, with --verify-content or without: the commands, cold cache first. */
interface Measures {
  ingest: Run[];
  incremental: Run[];
  report: Run[];
}
const measures = (): Measures => ({ ingest: [], incremental: [], report: [] });
const plain = measures();
const verified = measures();
const floor: number[] = [];

function measure(into: Measures, cacheFolder: string, flags: string[]): void {
  snapshots.removeNewest();
  rmSync(cacheFolder, { recursive: true, force: true });
  into.ingest.push(command(["ingest", "--archive", mirror, "--out", out, "--cache", cacheFolder, ...flags]));
  snapshots.addNewest();
  into.incremental.push(command(["ingest", "--archive", mirror, "--out", out, "--cache", cacheFolder, ...flags]));
  into.report.push(
    command(["report", "--archive", mirror, "--format", "json", "--from", "2024-01-01", "--to", "2024-03-31", "--cache", cacheFolder, ...flags]),
  );
}

try {
  for (let run = 0; run < runs; run++) {
    floor.push(await readAndParse(archive));
    // Both in each run, first one then the other in turn: what the machine does meanwhile weighs on both alike.
    const order: [Measures, string, string[]][] = [
      [plain, cache, []],
      [verified, verifiedCache, ["--verify-content"]],
    ];
    for (const [into, cacheFolder, flags] of run % 2 ? order.reverse() : order) measure(into, cacheFolder, flags);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const { ingest, incremental, report } = plain;

const base = median(floor);
const line = (name: string, seconds: number, extra: string) => `| ${name} | ${seconds.toFixed(2)} s | ${(seconds / base).toFixed(2)} |${extra} |`;
console.log(`Archive: ${archive}, ${files.length} snapshots, ${(bytes / 1e6).toFixed(0)} MB. Medians of ${runs} runs.`);
console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.`);
console.log("");
const cold = median(ingest.map((r) => r.seconds));
const memory = (runs: ReturnType<typeof command>[]) => `${median(runs.map((r) => r.peakMB)).toFixed(0)} MB`;
const ofCold = (runs: ReturnType<typeof command>[]) => `${((100 * median(runs.map((r) => r.seconds))) / cold).toFixed(1)}%`;
console.log("| measure | time | ratio to floor | share of a cold ingest | peak memory |");
console.log("|---|---|---|---|---|");
console.log(line("floor: read and JSON.parse every file (one core)", base, " |"));
console.log(line("`accounting ingest`, cold (empty cache; whole process)", cold, ` 100% | ${memory(ingest)}`));
console.log(
  line(
    "`accounting ingest` after one added snapshot (whole process)",
    median(incremental.map((r) => r.seconds)),
    ` ${ofCold(incremental)} | ${memory(incremental)}`,
  ),
);
console.log(line("`accounting report` of a quarter, after it (whole process)", median(report.map((r) => r.seconds)), ` ${ofCold(report)} | ${memory(report)}`));

/** Medians of the runs' own ratios, each run's measure with --verify-content over the same run's without. */
const ratio = (withOption: number[], without: number[]) => median(withOption.map((seconds, run) => seconds / (without[run] as number))).toFixed(2);
const seconds = (runs: Run[]) => runs.map((r) => r.seconds);
const verifiedLine = (name: string, withOption: number[], without: number[]) =>
  `| ${name} | ${median(without).toFixed(2)} s | ${median(withOption).toFixed(2)} s | ${ratio(withOption, without)} |`;
console.log("");
console.log("| measure | without --verify-content | with it | ratio (median of the runs' ratios) |");
console.log("|---|---|---|---|");
console.log(verifiedLine("`accounting ingest`, cold", seconds(verified.ingest), seconds(ingest)));
console.log(verifiedLine("`accounting ingest` after one added snapshot", seconds(verified.incremental), seconds(incremental)));
console.log(verifiedLine("`accounting report` of a quarter, after it", seconds(verified.report), seconds(report)));
console.log(
  `Peak memory with --verify-content: cold ${memory(verified.ingest)}, after one added snapshot ${memory(verified.incremental)}, report ${memory(verified.report)}.`,
);
