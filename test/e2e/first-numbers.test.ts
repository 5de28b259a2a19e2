import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { METRICS, type Report } from "../../loaders/queries/report.js";
import { trailingDays } from "../../src/components/overview.js";
import { generateArchive } from "../../scripts/archive-generator.js";
import { serveStatic, type StaticSite } from "../../scripts/static-server.js";
import { temporaryFolder } from "../helpers/archive.js";
import { chromiumMissing, launchChromium } from "../helpers/chromium.js";
import { runCli } from "../helpers/cli.js";
import { copyProject } from "../helpers/project.js";
import { BrowserWatch, buildSite } from "../helpers/site-build.js";

/*
 * The overview and the accounting page open on numbers written at build time: with JavaScript disabled they show
 * their default period's numbers (the last 30 and 90 days; the whole archive), as `accounting report` gives them;
 * with JavaScript, no DuckDB-WASM asset nor Parquet table is fetched until the reader asks for another period, whose
 * numbers are then the CLI's too, from the monthly files of that period's months alone.
 */

const BASE = "/accounting-first/";
const HOSTILE_NAMESPACE = `"><img src=x onerror=alert('namespace')>\${1}`;
/** DuckDB-WASM's module, worker and wasm, and the archive's tables: what the pages fetch only to compute a period. */
const DUCKDB_ASSET = /duckdb|\.parquet$/;
/** The problems table, as the build names it (`problems.<hash>.parquet`). */
const PROBLEMS = /\/problems\.(?:[0-9a-f]+\.)?parquet$/;

interface Cell {
  namespace: string | null;
  metric: string;
  value: string;
}

let work: string;
let archive: string;
let site: StaticSite;
let browser: Browser;
let noScript: BrowserContext;
const browserWatch = new BrowserWatch();

async function cliReport(period: { from?: string; to?: string; mode?: string }): Promise<Report> {
  const args = ["report", "--archive", archive, "--format", "json", "--mode", period.mode ?? "exact"];
  if (period.from) args.push("--from", period.from);
  if (period.to) args.push("--to", period.to);
  const result = await runCli(args);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Report;
}

function readCells(page: Page, within = "main"): Promise<Cell[]> {
  return page.$$eval(`${within} [data-metric]`, (cells) =>
    cells.map((cell) => {
      const data = (cell as HTMLElement).dataset;
      return { namespace: data.namespace ?? null, metric: data.metric ?? "", value: data.value ?? "" };
    }),
  );
}

/** The cells a report's tables should hold: a table per namespace and the total (namespace ""), every metric. */
function reportCells(report: Report): Cell[] {
  return [...Object.entries(report.namespaces), ["", report.total] as const].flatMap(([namespace, usage]) =>
    METRICS.map((metric) => ({ namespace, metric, value: String(usage[metric]) })),
  );
}

const sorted = (cells: Cell[]) => [...cells].sort((a, b) => `${a.namespace}\0${a.metric}`.localeCompare(`${b.namespace}\0${b.metric}`));

/** Hours as the CLI's within 1e-9 (DuckDB sums in no fixed order), counts and "null" exactly. */
function expectSame(shown: Cell[], expected: Cell[], label: string): void {
  const near = (a: string, b: string) => a === b || Math.abs(Number(a) - Number(b)) <= 1e-9 * Math.max(Math.abs(Number(a)), Math.abs(Number(b)));
  const [left, right] = [sorted(shown), sorted(expected)];
  expect(
    left.map((cell) => [cell.namespace, cell.metric]),
    label,
  ).toEqual(right.map((cell) => [cell.namespace, cell.metric]));
  const differing = left
    .filter((cell, i) => !near(cell.value, right[i]!.value))
    .map((cell, i) => `${cell.namespace} ${cell.metric}: ${cell.value}, CLI ${right[i]!.value}`);
  expect(differing, label).toEqual([]);
}

/** A page of a fresh context that notes every URL it requests, workers' included. */
async function recordingPage(options: { javaScriptEnabled?: boolean } = {}): Promise<{ page: Page; requested: string[]; context: BrowserContext }> {
  const context = await browserWatch.offline(await browser.newContext(options));
  const requested: string[] = [];
  context.on("request", (request) => requested.push(new URL(request.url()).pathname));
  const page = browserWatch.watch(await context.newPage(), { javaScript: options.javaScriptEnabled ?? true });
  return { page, requested, context };
}

const missing = chromiumMissing();
if (missing && !process.env.CI) console.warn(missing);

describe.skipIf(missing !== undefined && !process.env.CI)("the overview and the accounting page without DuckDB-WASM", { timeout: 120_000 }, () => {
  beforeAll(async () => {
    if (missing) throw new Error(`${missing} (CI must run the browser tests)`);
    work = temporaryFolder("accounting-first-e2e-");
    archive = join(work, "archive");
    await generateArchive(archive, { seed: 17, start: "2024-03-01", days: 75, snapshotHours: 6, namespaces: ["alpha", "beta", HOSTILE_NAMESPACE] });
    const project = join(work, "project");
    copyProject(project);
    site = await serveStatic(await buildSite(project, archive, join(work, "dist")), BASE);
    browserWatch.origins.add(new URL(site.url).origin);
    browser = await launchChromium();
    noScript = await browserWatch.offline(await browser.newContext({ javaScriptEnabled: false }));
  }, 600_000);

  afterEach(() => {
    expect(browserWatch.news(), "console errors, page errors, dialogs, failed or external requests").toEqual([]);
  });

  afterAll(async () => {
    await noScript?.close().catch(() => {});
    await browser?.close();
    await site?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it("shows the whole archive's numbers on /accounting with JavaScript disabled, as the CLI reports them", async () => {
    const page = browserWatch.watch(await noScript.newPage(), { javaScript: false });
    try {
      await page.goto(`${site.url}accounting`);
      const expected = await cliReport({});
      expectSame(await readCells(page), reportCells(expected), "whole archive");
      expect(await page.getAttribute(".following .report", "data-mode")).toBe("exact");
      expect(await page.getAttribute(".following .report", "data-from")).toBe(expected.from);
      expect(await page.textContent(".accounting-tables")).toContain(HOSTILE_NAMESPACE);
      expect(await page.locator("main img").count()).toBe(0);
      expect(await page.locator(".report .coverage-notes").count()).toBe(1);
    } finally {
      await page.close();
    }
  });

  it("shows the last 30 and 90 days' totals on the overview with JavaScript disabled, as the CLI reports them", async () => {
    const page = browserWatch.watch(await noScript.newPage(), { javaScript: false });
    try {
      await page.goto(site.url);
      const whole = await cliReport({});
      const lastDay = whole.to;
      const cards = await page.$$eval(".card.headline", (found) =>
        found.map((card) => ({
          title: card.querySelector("h2")?.textContent ?? "",
          cells: [...card.querySelectorAll<HTMLElement>("[data-metric]")].map((cell) => [cell.dataset.metric, cell.dataset.value]),
        })),
      );
      expect(cards.map((card) => card.title)).toEqual(["Last 30 days", "Last 90 days"]);
      for (const [index, days] of [30, 90].entries()) {
        const report = await cliReport(trailingDays(lastDay, days));
        const expected = ["cpu_num_hours", "gpu_num_hours", "memory_MB_hours", "disk_MB_hours", "jobs", "users"].map((metric) => [
          metric,
          String(report.total[metric as keyof Report["total"]]),
        ]);
        expectSame(
          cards[index]!.cells.map(([metric, value]) => ({ namespace: null, metric: metric ?? "", value: value ?? "" })),
          expected.map(([metric, value]) => ({ namespace: null, metric: metric!, value: value! })),
          `last ${days} days`,
        );
      }
      expect(await page.textContent("main")).toContain("Known issues");
    } finally {
      await page.close();
    }
  });

  it("fetches no DuckDB-WASM asset nor table for the default numbers, then computes the period asked for as the CLI does", async () => {
    for (const path of ["", "accounting"]) {
      const { page, requested, context } = await recordingPage();
      try {
        await page.goto(`${site.url}${path}`, { waitUntil: "networkidle" });
        await page.waitForFunction(() => !document.querySelector("observablehq-loading"), undefined, { timeout: 30_000 });
        if (path === "accounting") await page.waitForSelector(".owner-usage tbody tr", { timeout: 30_000 });
        await page.waitForTimeout(300);
        expect(await page.locator(".observablehq--error").count(), `${path || "index"}: cells in error`).toBe(0);
        expect(
          requested.filter((url) => DUCKDB_ASSET.test(url)),
          `${path || "index"}: DuckDB assets fetched before any period was asked for`,
        ).toEqual([]);
        if (path !== "accounting") continue;
        // The users and jobs tables of the whole archive came from the build, not from DuckDB.
        expect(Number(await page.getAttribute(".owner-usage .data-table", "data-rows"))).toBe((await cliReport({})).total.users);
        await page.selectOption("select[name=preset]", "last-month");
        const lastMonth = await cliReport({ from: "2024-04-01", to: "2024-04-30" });
        await page.waitForFunction(() => document.querySelector(".following .report")?.getAttribute("data-from") === "2024-04-01", undefined, {
          timeout: 60_000,
        });
        expectSame(await readCells(page, ".following"), reportCells(lastMonth), "last month");
        expect(requested.some((url) => /duckdb-eh\.[^/]*wasm$/.test(url))).toBe(true);
        // Of the monthly tables, April's files only: a month's view fetches a month of data.
        const months = () =>
          requested
            .map((url) => /\/data\/accounting\/(intervals|jobs)\/year=(\d+)\/month=(\d+)\/[0-9a-f]{16}\.parquet$/.exec(url)?.slice(1).join(" "))
            .filter((month) => month !== undefined);
        expect(months().sort()).toEqual(["intervals 2024 4", "jobs 2024 4"]);
        // The skipped files and lines are the quality page's alone.
        expect(requested.filter((url) => PROBLEMS.test(url))).toEqual([]);
        // Back to the whole archive: its numbers again, now from the page's data, no month fetched twice.
        await page.selectOption("select[name=preset]", "whole");
        await page.waitForFunction(() => document.querySelector(".following .report")?.getAttribute("data-from") !== "2024-04-01", undefined, {
          timeout: 30_000,
        });
        expectSame(await readCells(page, ".following"), reportCells(await cliReport({})), "whole archive again");
        expect(months()).toEqual([...new Set(months())]);
      } finally {
        await context.close();
      }
    }
  });

  it("fetches the problems table on the quality page, which lists them", async () => {
    const { page, requested, context } = await recordingPage();
    try {
      await page.goto(`${site.url}quality`, { waitUntil: "networkidle" });
      await page.waitForSelector(".problem-counts", { timeout: 60_000 });
      expect(requested.filter((url) => PROBLEMS.test(url))).toHaveLength(1);
      // As many skipped as the command line tells.
      const told = await runCli(["report", "--archive", archive, "--problems", "summary"]);
      const skipped = Number(/(\d+) files or jobs skipped/.exec(told.stderr)?.[1]);
      const shown = await page.$$eval(".problem-counts tbody tr", (rows) => rows.map((row) => Number(row.children[1]!.textContent!.replace(/\D/g, ""))));
      expect(skipped).toBeGreaterThan(0);
      expect(shown.reduce((a, b) => a + b, 0)).toBe(skipped);
    } finally {
      await context.close();
    }
  });

  it("opens on another period from the URL without showing the default numbers as its own", async () => {
    const { page, context } = await recordingPage();
    try {
      await page.goto(`${site.url}accounting?from=2024-03-10&to=2024-03-20&mode=compat`);
      await page.waitForSelector("select[name=preset]");
      // The whole archive's numbers written into the page are gone: no cell shows until that period's come.
      const wrong = await page.$$eval(
        "#accounting-numbers .report",
        (reports) => reports.filter((report) => report.getAttribute("data-from") !== "2024-03-10").length,
      );
      expect(wrong).toBe(0);
      await page.waitForFunction(() => document.querySelector(".following .report")?.getAttribute("data-from") === "2024-03-10", undefined, {
        timeout: 60_000,
      });
      expectSame(await readCells(page, ".following"), reportCells(await cliReport({ from: "2024-03-10", to: "2024-03-20", mode: "compat" })), "from the URL");
    } finally {
      await context.close();
    }
  });
});
