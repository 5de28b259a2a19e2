import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { listSnapshotFiles } from "../loaders/archive.js";
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
  if (run.status !== 0) throw new Error(`accounting ${args.join(" ")} failed: ${run.stderr.split("\n").filter((l) => l.startsWith("accounting:")).join(" ")}`);
  const peakKB = Number(run.stderr.trim().split("\n").at(-1));
  return { seconds, peakMB: peakKB / 1024 };
}

const archive = await archiveToMeasure();
const { files } = await listSnapshotFiles(archive);
const bytes = Number(execFileSync("du", ["-sb", join(archive, "snapshots")], { encoding: "utf8" }).split("\t")[0]);
const out = mkdtempSync(join(tmpdir(), "accounting-bench-out-"));
const floor: number[] = [];
const ingest: ReturnType<typeof command>[] = [];
const report: ReturnType<typeof command>[] = [];
for (let run = 0; run < runs; run++) {
  floor.push(await readAndParse(archive));
  ingest.push(command(["ingest", "--archive", archive, "--out", out]));
  report.push(command(["report", "--archive", archive, "--format", "json", "--from", "2024-01-01", "--to", "2024-03-31"]));
}
rmSync(out, { recursive: true, force: true });

const base = median(floor);
const line = (name: string, seconds: number, extra = "") => `| ${name} | ${seconds.toFixed(2)} s | ${(seconds / base).toFixed(2)} | ${extra} |`;
console.log(`Archive: ${archive}, ${files.length} snapshots, ${(bytes / 1e6).toFixed(0)} MB. Medians of ${runs} runs.`);
console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.`);
console.log("");
console.log("| measure | time | ratio to floor | peak memory |");
console.log("|---|---|---|---|");
console.log(line("floor: read and JSON.parse every file (one core)", base));
console.log(line("`accounting ingest` (cold, whole process)", median(ingest.map((r) => r.seconds)), `${median(ingest.map((r) => r.peakMB)).toFixed(0)} MB`));
console.log(line("`accounting report` of a quarter (whole process)", median(report.map((r) => r.seconds)), `${median(report.map((r) => r.peakMB)).toFixed(0)} MB`));
