/*
 * The site in headless Chromium, cold each run: how long until /accounting shows its first table, how long a new
 * period takes, and how many bytes a reader downloads (DuckDB-WASM's wasm and worker aside).
 *
 *   npm run bench:browser -- [--archive DIR] [--dist DIR] [--runs N] [--key KEY]
 *
 * Without --dist it builds the site first (`npm run build` in this working tree, the archive from --archive,
 * else ACCOUNTING_ARCHIVE, else data/sample). The site is served on 127.0.0.1 under a sub-path, as GitHub Pages
 * serves it. Each run opens a fresh browser context: empty HTTP and code caches.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Browser, Page } from "playwright-core";
import { chromiumMissing, launchChromium } from "../test/helpers/chromium.js";
import { serveStatic } from "./static-server.js";
import { median } from "./statistics.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const BASE = "/accounting-site/";
/** Presets chosen one after the other in each run, each a different period from the one before. */
const PRESETS = ["last-year", "this-year", "last-quarter", "this-quarter", "last-month", "this-month", "whole"];
const TARGETS = { firstTable: 3000, recompute: 150, bytes: 5_000_000 };
/** DuckDB-WASM's engine, left out of the bytes. */
const EXCLUDED = [/\/duckdb-eh\.[^/]*wasm$/, /\/duckdb-browser-eh\.worker\.[^/]*js$/];

const USAGE = "usage: bench-browser.ts [--archive DIR] [--dist DIR] [--runs N] [--key KEY]";

interface Options {
  archive: string;
  dist: string | undefined;
  runs: number;
  key: string;
}

function options(args: string[]): Options {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      archive: { type: "string" },
      dist: { type: "string" },
      runs: { type: "string", default: "7" },
      key: { type: "string", default: "0123456789abcdef0123456789abcdef" },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs} is not a positive whole number\n${USAGE}`);
  return { archive: values.archive ?? process.env.ACCOUNTING_ARCHIVE ?? "data/sample", dist: values.dist, runs, key: values.key };
}

function build(archive: string, key: string): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, ACCOUNTING_ARCHIVE: resolve(archive), ACCOUNTING_PSEUDONYM_KEY: key };
  delete env.ACCOUNTING_PRIVATE;
  return new Promise((done, fail) => {
    const child = spawn("npm", ["run", "build"], { cwd: ROOT, env, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", fail);
    child.on("close", (code) => (code === 0 ? done() : fail(new Error(`npm run build exited with ${code}`))));
  });
}

declare global {
  interface Window {
    __bench: { firstCell?: number; input?: number; updated?: number; before?: string; beforeCell?: Element | null };
  }
}

/**
 * In every document: when the first accounting cell appears, and when the total's cell is redrawn (or shows another
 * value) after an input.
 * A string, not a function: tsx would wrap the function's inner functions in a helper the page does not have.
 */
const INSTRUMENT = `
window.__bench = {};
const total = () => document.querySelector('[data-namespace=""][data-metric="cpu_num_hours"]');
new MutationObserver(() => {
  const bench = window.__bench;
  if (bench.firstCell === undefined && document.querySelector("[data-metric]")) bench.firstCell = performance.now();
  const cell = total();
  if (bench.input !== undefined && bench.updated === undefined && cell && (cell !== bench.beforeCell || cell.dataset.value !== bench.before)) bench.updated = performance.now();
}).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-value"] });
document.addEventListener("input", (event) => {
  const bench = window.__bench;
  if (bench.before !== undefined && bench.input === undefined) bench.input = event.timeStamp;
}, true);
`;

interface Run {
  firstTable: number;
  recomputes: number[];
  bytes: Map<string, number>;
}

/** Chooses a preset and waits for the total's cell to be redrawn: ms from the input event to the DOM change. */
async function recompute(page: Page, preset: string): Promise<number> {
  await page.evaluate(() => {
    const cell = document.querySelector<HTMLElement>('[data-namespace=""][data-metric="cpu_num_hours"]');
    window.__bench = { ...window.__bench, before: cell?.dataset.value ?? "", beforeCell: cell, input: undefined, updated: undefined };
  });
  await page.selectOption("select[name=preset]", preset);
  await page.waitForFunction(() => window.__bench.updated !== undefined, undefined, { timeout: 30_000, polling: 50 });
  return page.evaluate(() => window.__bench.updated! - window.__bench.input!);
}

async function run(browser: Browser, url: string): Promise<Run> {
  const context = await browser.newContext();
  const bytes = new Map<string, number>();
  const pending: Promise<void>[] = [];
  context.on("requestfinished", (request) => {
    pending.push(
      request.sizes().then((sizes) => {
        bytes.set(request.url(), (bytes.get(request.url()) ?? 0) + sizes.responseHeadersSize + sizes.responseBodySize);
      }),
    );
  });
  await context.route(
    (target) => target.origin !== new URL(url).origin,
    (route) => route.abort("blockedbyclient"),
  );
  await context.addInitScript({ content: INSTRUMENT });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${url}accounting`);
  await page.waitForFunction(() => window.__bench.firstCell !== undefined, undefined, { timeout: 60_000, polling: 50 });
  const firstTable = await page.evaluate(() => window.__bench.firstCell!);
  const recomputes: number[] = [];
  for (const preset of PRESETS) recomputes.push(await recompute(page, preset));
  await page.waitForLoadState("networkidle");
  await Promise.all(pending);
  await context.close();
  if (errors.length) throw new Error(`errors in the page: ${errors.join("; ")}`);
  return { firstTable, recomputes, bytes };
}

/** Bytes of one cold visit to /accounting, by kind, the wasm and worker aside. */
function byteSummary(bytes: Map<string, number>): { kind: string; bytes: number; files: number }[] {
  const kinds = new Map<string, { bytes: number; files: number }>();
  for (const [url, size] of bytes) {
    const path = new URL(url).pathname;
    const kind = EXCLUDED.some((pattern) => pattern.test(path))
      ? "excluded: DuckDB wasm and worker"
      : path.endsWith(".parquet")
        ? "data (Parquet)"
        : path.endsWith(".js")
          ? "scripts"
          : "pages, styles and other";
    const entry = kinds.get(kind) ?? { bytes: 0, files: 0 };
    entry.bytes += size;
    entry.files++;
    kinds.set(kind, entry);
  }
  return [...kinds].map(([kind, entry]) => ({ kind, ...entry })).sort((a, b) => a.kind.localeCompare(b.kind));
}

const ms = (value: number) => `${value.toFixed(0)} ms`;
const megabytes = (value: number) => `${(value / 1e6).toFixed(2)} MB`;

async function main(): Promise<void> {
  const { archive, dist: given, runs, key } = options(process.argv.slice(2));
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  if (!given) await build(archive, key);
  const dist = resolve(given ?? ROOT, given ? "" : "dist");
  if (!existsSync(resolve(dist, "accounting.html"))) throw new Error(`${dist} holds no built site (accounting.html)`);
  const site = await serveStatic(dist, BASE);
  const browser = await launchChromium();
  const version = browser.version();
  const results: Run[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const result = await run(browser, site.url);
      results.push(result);
      console.error(`run ${i + 1}/${runs}: first table ${ms(result.firstTable)}, recompute ${result.recomputes.map((t) => t.toFixed(0)).join(" ")} ms`);
    }
  } finally {
    await browser.close();
    await site.close();
  }
  const firstTables = results.map((result) => result.firstTable);
  const recomputes = results.flatMap((result) => result.recomputes);
  const downloadedBy = (summary: ReturnType<typeof byteSummary>) =>
    summary.filter((entry) => !entry.kind.startsWith("excluded")).reduce((sum, entry) => sum + entry.bytes, 0);
  const summary = byteSummary(results[0]!.bytes);
  const downloaded = median(results.map((result) => downloadedBy(byteSummary(result.bytes))));
  console.log(`\nsite ${dist}${given ? "" : `, built from ${archive}`}; Chromium ${version}; ${runs} cold runs\n`);
  console.log("| measure | median | min | max | target | median / target |");
  console.log("|---|---|---|---|---|---|");
  const row = (name: string, values: number[], target: number) =>
    console.log(
      `| ${name} | ${ms(median(values))} | ${ms(Math.min(...values))} | ${ms(Math.max(...values))} | ${ms(target)} | ${(median(values) / target).toFixed(2)} |`,
    );
  row("navigation to the first table of /accounting", firstTables, TARGETS.firstTable);
  row(`new period (preset), ${recomputes.length} changes`, recomputes, TARGETS.recompute);
  console.log(`\n| bytes of a cold visit to /accounting (first run; headers included) | files | bytes |`);
  console.log("|---|---|---|");
  for (const entry of summary) console.log(`| ${entry.kind} | ${entry.files} | ${megabytes(entry.bytes)} |`);
  console.log(
    `| **downloaded, wasm and worker aside (median of the runs)** | | **${megabytes(downloaded)}** (target ${megabytes(TARGETS.bytes)}, ratio ${(downloaded / TARGETS.bytes).toFixed(2)}) |`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
