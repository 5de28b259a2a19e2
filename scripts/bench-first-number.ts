/*
 * The first accounting number of `/` and `/accounting` in headless Chromium on a throttled network (CDP
 * `Network.emulateNetworkConditions`: 40 ms latency, 10 Mbit/s down and up), cold each run: how long from navigation
 * start to the first `[data-metric]` cell with a value in the DOM, how many bytes the page had received by then, and
 * whether any DuckDB-WASM asset or Parquet table was requested by then. Several builds are measured in the same run,
 * their runs interleaved, so that their ratios hold on a busy machine.
 *
 *   npm run bench:first -- --dist before=path/to/dist --dist after=dist [--runs N]
 *
 * Each site is served on 127.0.0.1 under a sub-path (scripts/static-server.ts, no compression), each run opens a
 * fresh browser context: empty HTTP and code caches.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Browser } from "playwright-core";
import { chromiumMissing, launchChromium } from "../test/helpers/chromium.js";
import { serveStatic } from "./static-server.js";
import { median } from "./statistics.js";

const BASE = "/accounting-site/";
const PATHS = ["", "accounting"];
/** 10 Mbit/s in bytes per second, and 40 ms. */
const NETWORK = { offline: false, latency: 40, downloadThroughput: 1_250_000, uploadThroughput: 1_250_000 };
const TARGETS = { ms: 500, bytes: 300_000 };
const DUCKDB_ASSET = /duckdb|\.parquet$/;

/** Calls the page's binding when the first accounting cell with a value is in the DOM. A string: tsx would wrap a function. */
const INSTRUMENT = `
(() => {
  let seen = false;
  const check = () => {
    if (seen || !document.querySelector("[data-metric][data-value]")) return;
    seen = true;
    window.__firstNumber(performance.now());
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
})();
`;

interface Visit {
  ms: number;
  bytes: number;
  duckdb: boolean;
  /** Bytes received until the network was idle, and whether DuckDB was fetched by then. */
  totalBytes: number;
  duckdbAtAll: boolean;
}

async function visit(browser: Browser, url: string): Promise<Visit> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", NETWORK);
  let received = 0;
  const requested: string[] = [];
  cdp.on("Network.dataReceived", (event) => (received += event.encodedDataLength));
  cdp.on("Network.responseReceived", (event) => (received += event.response.encodedDataLength ?? 0));
  cdp.on("Network.requestWillBeSent", (event) => requested.push(event.request.url));
  let first: { ms: number; bytes: number; duckdb: boolean } | undefined;
  await page.exposeFunction("__firstNumber", (ms: number) => {
    first ??= { ms, bytes: received, duckdb: requested.some((request) => DUCKDB_ASSET.test(new URL(request).pathname)) };
  });
  await context.addInitScript({ content: INSTRUMENT });
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector("[data-metric][data-value]"), undefined, { timeout: 120_000, polling: 50 });
  await page.waitForLoadState("networkidle");
  await context.close();
  if (!first) throw new Error(`${url}: no first number reported`);
  return { ...first, totalBytes: received, duckdbAtAll: requested.some((request) => DUCKDB_ASSET.test(new URL(request).pathname)) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dist: { type: "string", multiple: true }, runs: { type: "string", default: "7" } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs} is not a positive whole number`);
  const sites = (values.dist ?? ["after=dist"]).map((given) => {
    const [label, path] = given.includes("=") ? (given.split(/=(.*)/s) as [string, string]) : [given, given];
    const dist = resolve(path);
    if (!existsSync(resolve(dist, "accounting.html"))) throw new Error(`${dist} holds no built site (accounting.html)`);
    return { label, dist };
  });
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  const served = await Promise.all(sites.map(async (site) => ({ ...site, server: await serveStatic(site.dist, BASE) })));
  const browser = await launchChromium();
  const results = new Map<string, Visit[]>();
  try {
    for (let run = 0; run < runs; run++)
      for (const path of PATHS)
        for (const site of run % 2 ? [...served].reverse() : served) {
          const result = await visit(browser, `${site.server.url}${path}`);
          const key = `${site.label}\0/${path}`;
          results.set(key, [...(results.get(key) ?? []), result]);
          console.error(`run ${run + 1}/${runs} ${site.label} /${path}: ${result.ms.toFixed(0)} ms, ${(result.bytes / 1000).toFixed(0)} kB`);
        }
  } finally {
    await browser.close();
    await Promise.all(served.map((site) => site.server.close()));
  }
  console.log(
    `\nChromium ${browser.version()}; ${runs} cold runs per page and site; ${NETWORK.latency} ms, ${(NETWORK.downloadThroughput * 8) / 1e6} Mbit/s\n`,
  );
  console.log(
    "| site | page | first number, median (min–max) | bytes by then, median | DuckDB fetched by then | bytes until network idle, median | DuckDB fetched at all |",
  );
  console.log("|---|---|---|---|---|---|---|");
  const kB = (bytes: number) => `${(bytes / 1000).toFixed(0)} kB`;
  for (const [key, visits] of results) {
    const [label, path] = key.split("\0") as [string, string];
    const ms = visits.map((v) => v.ms);
    console.log(
      `| ${label} | ${path} | ${median(ms).toFixed(0)} ms (${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)}) | ${kB(median(visits.map((v) => v.bytes)))} | ${visits.some((v) => v.duckdb) ? "yes" : "no"} | ${kB(median(visits.map((v) => v.totalBytes)))} | ${visits.some((v) => v.duckdbAtAll) ? "yes" : "no"} |`,
    );
  }
  console.log(`\ntargets: ${TARGETS.ms} ms, ${kB(TARGETS.bytes)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
