/*
 * The pipeline and the site at scale: on generated archives with N times today's jobs per day (`--sizes`) and over N
 * times its two years (`--length`), in each run and for each archive, the floor (read and JSON.parse of every snapshot
 * on one core), a cold ingest, an ingest after one added snapshot, a report of a quarter, a site build cold and after
 * one added snapshot, each as a user runs it (whole process, peak memory by /usr/bin/time), and the site's data a
 * month's view downloads. Times as ratios to the same run's floor, medians of the runs.
 *
 *   npm run bench -- [--sizes 1,4,10] [--length 1,4] [--runs N] [--verify-content] [--ingest-only | --sites DIR]
 *   npm run bench -- --archive DIR [--runs N] [--verify-content] [--ingest-only | --sites DIR]
 *
 * The archives are generated once into the system's temporary folder (scripts/bench-archives.ts); `--length` adds
 * archives of today's jobs per day. `--verify-content` also measures the ingests and the report with that option,
 * alternating with the runs without it. `--ingest-only` leaves the site out (no build); `--sites DIR` keeps each archive's last
 * site built, for `npm run bench:first`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { listSnapshotFiles, type SnapshotFile } from "../loaders/sources/nomad/archive.js";
import { MONTHLY_SITE_TABLES } from "../loaders/site/site-tables.js";
import { copyProject } from "../test/helpers/project.js";
import { benchArchive, benchArchiveName, type BenchArchive } from "./bench-archives.js";
import { builtSiteDataSizes, siteDataTable, type SiteDataSizes } from "./site-data-sizes.js";
import { median } from "./statistics.js";

const USAGE = "usage: bench.ts [--sizes 1,4,10] [--length 1,4] [--archive DIR] [--runs N] [--verify-content] [--ingest-only | --sites DIR]";
/** Issue 17's targets. */
const TARGETS = { coldOverFloor: 1.5, incrementalIngest: 0.3, incrementalBuild: 3, peakMB: 1024 };

const { values } = parseArgs({
  options: {
    archive: { type: "string" },
    sizes: { type: "string", default: "1" },
    length: { type: "string", default: "1" },
    runs: { type: "string", default: "3" },
    "verify-content": { type: "boolean", default: false },
    "ingest-only": { type: "boolean", default: false },
    sites: { type: "string" },
  },
  strict: true,
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs} is not a positive whole number\n${USAGE}`);
if (values["ingest-only"] && values.sites) throw new Error(`--ingest-only builds no site to keep\n${USAGE}`);
const scales = (option: string, text: string) =>
  text.split(",").map((item) => {
    const scale = Number(item);
    if (!Number.isInteger(scale) || scale < 1) throw new Error(`--${option} ${text}: ${item} is not a positive whole number\n${USAGE}`);
    return scale;
  });

/** The archives measured: each size at today's length, then each other length at today's jobs per day. */
function archivesAsked(): BenchArchive[] {
  const sizes = scales("sizes", values.sizes);
  const lengths = scales("length", values.length).filter((length) => length !== 1 || !sizes.includes(1));
  const archives = [...sizes.map((jobs) => ({ jobs, length: 1 })), ...lengths.map((length) => ({ jobs: 1, length }))];
  // The 2-year archive first: the others' times are given over its own, which must be measured by then.
  const today = (archive: BenchArchive) => Number(archive.jobs === 1 && archive.length === 1);
  return archives.sort((a, b) => today(b) - today(a));
}

interface Run {
  seconds: number;
  /** Processor time, user and system, of every process of the command: what a busy machine changes least. */
  cpuSeconds: number;
  peakMB: number;
  stdout: string;
}

/** Reading and JSON.parse-ing every snapshot file, on one core: the floor of any ingest. */
async function readAndParse(archive: string): Promise<Run> {
  const { files } = await listSnapshotFiles(archive);
  const [started, cpu] = [performance.now(), process.cpuUsage()];
  for (const { file } of files) JSON.parse(readFileSync(join(archive, file), "utf8"));
  const { user, system } = process.cpuUsage(cpu);
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: (user + system) / 1e6, peakMB: Number.NaN, stdout: "" };
}

/** Wall time and peak memory (of its largest process) of a command, as a user runs it. */
function timed(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const started = performance.now();
  const run = spawnSync("/usr/bin/time", ["-f", "%U %S %M", command, ...args], { encoding: "utf8", maxBuffer: 1 << 28, ...options });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) {
    const said = run.stderr.split("\n").filter((line) => line.startsWith("accounting:") || /error/i.test(line));
    throw new Error(`${command} ${args.join(" ")} exited with ${run.status}: ${said.slice(-5).join(" ")}`);
  }
  const [user, system, peakKB] = (run.stderr.trim().split("\n").at(-1) as string).split(" ").map(Number) as [number, number, number];
  return { seconds, cpuSeconds: user + system, peakMB: peakKB / 1024, stdout: run.stdout };
}

const accounting = (args: string[]) => timed(process.execPath, ["bin/accounting.js", ...args]);

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

/** What the runs measured on one archive, with --verify-content or without: the commands, cold cache first. */
interface Measures {
  ingest: Run[];
  incremental: Run[];
  report: Run[];
}
const measures = (): Measures => ({ ingest: [], incremental: [], report: [] });

interface Measured {
  label: string;
  archive: string;
  snapshots: number;
  bytes: number;
  /** The ingest's own count of the whole archive's jobs and intervals. */
  counts: string;
  /** The load average (1 minute) at the start of each run. */
  load: number[];
  floor: Run[];
  plain: Measures;
  verified: Measures;
  build: Run[];
  rebuild: Run[];
  site: SiteDataSizes | undefined;
}

/** One archive's runs, its mirror, caches and project copy under `work`. */
function bench(label: string, archive: string, files: SnapshotFile[], work: string) {
  const [mirror, out, cache, verifiedCache, project, buildCache] = ["archive", "out", "cache", "verified-cache", "project", "build-cache"].map((name) =>
    join(work, name),
  ) as [string, string, string, string, string, string];
  const snapshots = mirrorWithoutNewest(archive, files, mirror);
  if (!values["ingest-only"]) copyProject(project);
  const measured: Measured = {
    label,
    archive,
    snapshots: files.length,
    bytes: Number(execFileSync("du", ["-sbL", join(archive, "snapshots")], { encoding: "utf8" }).split("\t")[0]),
    counts: "",
    load: [],
    floor: [],
    plain: measures(),
    verified: measures(),
    build: [],
    rebuild: [],
    site: undefined,
  };

  function measure(into: Measures, cacheFolder: string, flags: string[]): void {
    snapshots.removeNewest();
    rmSync(cacheFolder, { recursive: true, force: true });
    into.ingest.push(accounting(["ingest", "--archive", mirror, "--out", out, "--cache", cacheFolder, ...flags]));
    snapshots.addNewest();
    const incremental = accounting(["ingest", "--archive", mirror, "--out", out, "--cache", cacheFolder, ...flags]);
    into.incremental.push(incremental);
    measured.counts = /\d+ jobs, \d+ intervals/.exec(incremental.stdout)?.[0] ?? "";
    into.report.push(
      accounting(["report", "--archive", mirror, "--format", "json", "--from", "2024-01-01", "--to", "2024-03-31", "--cache", cacheFolder, ...flags]),
    );
  }

  /** `npm run build` in the project copy: cold (no ingest cache, no Framework cache), then after one added snapshot. */
  function build(): void {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ACCOUNTING_ARCHIVE: mirror,
      ACCOUNTING_CACHE: buildCache,
      ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef",
    };
    delete env.ACCOUNTING_PRIVATE;
    delete env.ACCOUNTING_VERIFY_CONTENT;
    snapshots.removeNewest();
    for (const path of [buildCache, join(project, "src", ".observablehq"), join(project, "dist")]) rmSync(path, { recursive: true, force: true });
    measured.build.push(timed("npm", ["run", "build"], { cwd: project, env }));
    snapshots.addNewest();
    measured.rebuild.push(timed("npm", ["run", "build"], { cwd: project, env }));
    measured.site = builtSiteDataSizes(join(project, "dist"));
  }

  return {
    measured,
    async run(index: number): Promise<void> {
      measured.load.push(loadavg()[0] as number);
      measured.floor.push(await readAndParse(archive));
      // With --verify-content, both in each run, first one then the other in turn: what the machine does meanwhile
      // weighs on both alike.
      const order: [Measures, string, string[]][] = [
        [measured.plain, cache, []],
        [measured.verified, verifiedCache, ["--verify-content"]],
      ];
      if (!values["verify-content"]) order.pop();
      for (const [into, cacheFolder, flags] of index % 2 ? order.reverse() : order) measure(into, cacheFolder, flags);
      if (!values["ingest-only"]) build();
    },
    keepSite(folder: string): void {
      mkdirSync(folder, { recursive: true });
      rmSync(join(folder, label), { recursive: true, force: true });
      renameSync(join(project, "dist"), join(folder, label));
    },
  };
}

const middle = (runs: Run[]) => median(runs.map((run) => run.seconds));
const cpuTime = (runs: Run[]) => median(runs.map((run) => run.cpuSeconds));
const memory = (runs: Run[]) => median(runs.map((run) => run.peakMB));
const met = (ok: boolean) => (ok ? "met" : "not met");
/** The median of the runs' own ratios, each run's measure (`of`) over the same run's floor: the machine may drift between runs. */
const overFloor = (runs: Run[], floor: Run[], of: (run: Run) => number) => median(runs.map((run, index) => of(run) / of(floor[index] as Run)));

/** One archive's results, with its times over the 2-year archive's (`today`) when that was measured before it. */
function print(m: Measured, today: Measured | undefined): void {
  const growth = today !== undefined && today !== m;
  console.log("");
  console.log(`### ${m.label}: ${m.snapshots} snapshots, ${(m.bytes / 1e6).toFixed(0)} MB, ${m.counts} (${m.archive})`);
  console.log("");
  console.log(`Load average (1 minute) at each run's start: ${m.load.map((load) => load.toFixed(1)).join(", ")}.`);
  console.log("");
  console.log(`| measure | time | ratio to floor | CPU time | CPU ratio to floor |${growth ? " time × the 2y archive's |" : ""} peak memory | target |`);
  console.log(`|---|---|---|---|---|${growth ? "---|" : ""}---|---|`);
  const row = (name: string, pick: (of: Measured) => Run[], target = "") => {
    const [time, cpu] = [middle(pick(m)), cpuTime(pick(m))];
    const times = growth ? ` ${(time / middle(pick(today))).toFixed(2)} |` : "";
    const peak = Number.isNaN(memory(pick(m))) ? "" : `${memory(pick(m)).toFixed(0)} MB`;
    const ratios = [
      overFloor(pick(m), m.floor, (run) => run.seconds).toFixed(2),
      `${cpu.toFixed(2)} s`,
      overFloor(pick(m), m.floor, (run) => run.cpuSeconds).toFixed(2),
    ].join(" | ");
    console.log(`| ${name} | ${time.toFixed(2)} s | ${ratios} |${times} ${peak} | ${target} |`);
  };
  const { plain } = m;
  row("floor: read and JSON.parse every file (one core)", (of) => of.floor);
  const cold = overFloor(plain.ingest, m.floor, (run) => run.seconds);
  row("`accounting ingest`, cold (empty cache)", (of) => of.plain.ingest, `≤ ${TARGETS.coldOverFloor} × floor: ${met(cold <= TARGETS.coldOverFloor)}`);
  const incremental = middle(plain.incremental);
  row(
    "`accounting ingest` after one added snapshot",
    (of) => of.plain.incremental,
    `≤ ${TARGETS.incrementalIngest} s: ${met(incremental <= TARGETS.incrementalIngest)}`,
  );
  row("`accounting report` of a quarter, after it", (of) => of.plain.report);
  if (m.build.length > 0) {
    row("`npm run build`, cold (no cache)", (of) => of.build);
    const rebuild = middle(m.rebuild);
    row("`npm run build` after one added snapshot", (of) => of.rebuild, `≤ ${TARGETS.incrementalBuild} s: ${met(rebuild <= TARGETS.incrementalBuild)}`);
  }
  const peak = Math.max(memory(plain.ingest), memory(plain.incremental), memory(plain.report));
  console.log("");
  console.log(`Peak memory of the commands: ${peak.toFixed(0)} MB (target: under ${TARGETS.peakMB} MB, ${met(peak < TARGETS.peakMB)}).`);
  if (m.site) {
    console.log("");
    for (const line of siteDataTable(
      m.site,
      MONTHLY_SITE_TABLES.map((table) => table.name),
    ))
      console.log(line);
  }
  if (values["verify-content"]) printVerified(m);
}

/** Medians of the runs' own ratios, each run's measure with --verify-content over the same run's without. */
function printVerified({ plain, verified }: Measured): void {
  const ratio = (withOption: Run[], without: Run[]) => median(withOption.map((run, index) => run.seconds / (without[index] as Run).seconds)).toFixed(2);
  const line = (name: string, withOption: Run[], without: Run[]) =>
    `| ${name} | ${middle(without).toFixed(2)} s | ${middle(withOption).toFixed(2)} s | ${ratio(withOption, without)} |`;
  console.log("");
  console.log("| measure | without --verify-content | with it | ratio (median of the runs' ratios) |");
  console.log("|---|---|---|---|");
  console.log(line("`accounting ingest`, cold", verified.ingest, plain.ingest));
  console.log(line("`accounting ingest` after one added snapshot", verified.incremental, plain.incremental));
  console.log(line("`accounting report` of a quarter, after it", verified.report, plain.report));
  const mb = (runs: Run[]) => `${memory(runs).toFixed(0)} MB`;
  console.log(
    `Peak memory with --verify-content: cold ${mb(verified.ingest)}, after one added snapshot ${mb(verified.incremental)}, report ${mb(verified.report)}.`,
  );
}

const asked: { label: string; archive: string }[] = [];
if (values.archive) asked.push({ label: basename(resolve(values.archive)), archive: values.archive });
else for (const archive of archivesAsked()) asked.push({ label: benchArchiveName(archive), archive: await benchArchive(archive) });
const work = mkdtempSync(join(tmpdir(), "accounting-bench-"));
try {
  const benches = [];
  for (const [index, { label, archive }] of asked.entries())
    benches.push(bench(label, archive, (await listSnapshotFiles(archive)).files, join(work, String(index))));
  console.log(
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}. Medians of ${runs} runs.`,
  );
  // Archive after archive, each printed once measured: a 10 × archive's runs take most of an hour on two busy cores.
  for (const one of benches) {
    for (let run = 0; run < runs; run++) {
      process.stderr.write(`run ${run + 1}/${runs}, ${one.measured.label}…\n`);
      await one.run(run);
    }
    print(one.measured, benches.find((other) => other.measured.label === benchArchiveName({ jobs: 1, length: 1 }))?.measured);
  }
  if (values.sites) for (const one of benches) one.keepSite(values.sites);
} finally {
  rmSync(work, { recursive: true, force: true });
}
