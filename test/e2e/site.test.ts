import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { METRICS, type Mode, type Report } from "../../loaders/queries/report.js";
import { generateArchive, type ArchiveOptions } from "../../scripts/archive-generator.js";
import { temporaryFolder } from "../helpers/archive.js";
import { chromiumMissing, launchChromium } from "../helpers/chromium.js";
import { runCli } from "../helpers/cli.js";
import { copyProject, run } from "../helpers/project.js";
import { BrowserWatch } from "../helpers/site-build.js";
import { serveStatic, type StaticSite } from "../../scripts/static-server.js";
import { known } from "../helpers/hours.js";
import { CDN_NAMES } from "../../loaders/site/site-data.js";

/*
 * The built site in Chromium: an archive the unit tests never saw, built with `npm run build` in a copy of
 * the working tree (the shared dist/ and loader cache stay untouched), served under a sub-path as GitHub
 * Pages serves it. The accounting page must show what the CLI reports, and no page may log an error, open
 * a dialog, fail a request or reach any host but the local server.
 */

const BASE = "/accounting-site/";
/** Attack strings in the archive: a namespace name, and (from the generator) job titles and descriptions. */
const HOSTILE_NAMESPACE = `"><img src=x onerror=alert('namespace')>`;
const ARCHIVE_OPTIONS: Partial<ArchiveOptions> & { namespaces: string[] } = {
  seed: 2025,
  start: "2024-05-01",
  days: 70,
  snapshotHours: 4,
  layout: "nested",
  namespaces: ["vo.one", "vo-two", "three", HOSTILE_NAMESPACE],
};
/** The archive's known issues: three close together, whose labels would overlap in one row. */
const KNOWN_ISSUES = [
  { from: "2024-05-20", to: "2024-05-22", title: "Cron moved to a new host", description: "Irregular snapshots." },
  { from: "2024-05-21", to: "2024-05-21", title: "Storage outage", description: "" },
  { from: "2024-05-22", to: "2024-05-23", title: "Network maintenance", description: "" },
];
/**
 * Values planted in broken files and jobs of the archive (loaders/job.ts rejects each): the private ingest's problems
 * hold them in their details, and no public file may, not even through a problem's reason.
 */
const HOSTILE_VALUES = {
  owner: "7463950218",
  time: "leaked.owner@example.org",
  resources: "<script>alert('resources')</script>",
  namespace: "]0;owned-by-a-namespace",
};
/** Names the user database gives some owners, besides the generator's real-looking ones. */
const HOSTILE_NAMES = [
  "<script>alert('name')</script>",
  '"><img src=x onerror=alert(2)>',
  '=HYPERLINK("http://evil.example")',
  "Robert'); DROP TABLE users;--",
];

interface Period {
  label: string;
  from?: string;
  to?: string;
}
/** The archive runs from 2024-05-01T00:00 to 2024-07-09T20:00. */
const PERIODS: Period[] = [
  { label: "whole archive" },
  { label: "a month", from: "2024-06-01", to: "2024-06-30" },
  { label: "a single day", from: "2024-05-17", to: "2024-05-17" },
  { label: "across a month boundary", from: "2024-05-25", to: "2024-06-07" },
  { label: "past the archive's end", from: "2024-07-01", to: "2024-08-15" },
  { label: "before the archive's start", from: "2024-04-20", to: "2024-05-03" },
];
const MODES: Mode[] = ["exact", "compat"];

interface Cell {
  namespace: string;
  metric: string;
  value: string;
}

let work: string;
let archive: string;
let site: StaticSite;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const origin = () => new URL(site.url).origin;
const browserWatch = new BrowserWatch();

async function serve(dist: string): Promise<StaticSite> {
  const served = await serveStatic(dist, BASE);
  browserWatch.origins.add(new URL(served.url).origin);
  return served;
}

async function build(project: string, cache: string, privateBuild = false): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ACCOUNTING_ARCHIVE: archive,
    ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef",
    ACCOUNTING_CACHE: cache,
  };
  if (privateBuild) env.ACCOUNTING_PRIVATE = "1";
  else delete env.ACCOUNTING_PRIVATE;
  const { code, output } = await run("npm", ["run", "build"], project, env);
  if (code !== 0) throw new Error(`npm run build exited with ${code}:\n${output}`);
  return join(project, "dist");
}

async function cliReport(mode: Mode, period: { from?: string; to?: string }): Promise<Report> {
  const args = ["report", "--archive", archive, "--format", "json", "--mode", mode];
  if (period.from) args.push("--from", period.from);
  if (period.to) args.push("--to", period.to);
  const result = await runCli(args);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Report;
}

function accountingUrl(mode: Mode, period: { from?: string; to?: string }): string {
  const query = new URLSearchParams();
  if (period.from) query.set("from", period.from);
  if (period.to) query.set("to", period.to);
  query.set("mode", mode);
  return `${site.url}accounting?${query}`;
}

/**
 * The number cells a reader sees: none of those the page still hides or marks as updating. The HTML holds the default
 * period's numbers, hidden while the page reads the period its URL asks for; where that period's numbers are the same
 * (a period spanning the whole archive), reading those would pass for the page's answer before it gave one.
 */
function readCells(page: Page): Promise<Cell[]> {
  return page.$$eval("[data-metric]", (found) =>
    found
      .filter((cell) => !cell.closest("[hidden], [aria-busy]"))
      .map((cell) => {
        const data = (cell as HTMLElement).dataset;
        return { namespace: data.namespace ?? "(missing data-namespace)", metric: data.metric ?? "", value: data.value ?? "(missing data-value)" };
      }),
  );
}

function close(metric: string, shown: number, expected: number): boolean {
  if (metric.endsWith("_hours")) return shown === expected || Math.abs(shown - expected) <= 1e-9 * Math.max(Math.abs(shown), Math.abs(expected));
  return shown === expected;
}

/** How the cells differ from the CLI's report: namespaces, metrics and values; empty when they agree. */
function differences(cells: Cell[], expected: Report): string[] {
  const found: string[] = [];
  const shown = new Map<string, Map<string, string>>();
  for (const cell of cells) {
    const metrics = shown.get(cell.namespace) ?? new Map<string, string>();
    if (metrics.has(cell.metric)) found.push(`two cells for ${cell.namespace || "total"} ${cell.metric}`);
    metrics.set(cell.metric, cell.value);
    shown.set(cell.namespace, metrics);
  }
  const namespaces = [...shown.keys()].filter((namespace) => namespace !== "").sort();
  const expectedNamespaces = Object.keys(expected.namespaces).sort();
  if (JSON.stringify(namespaces) !== JSON.stringify(expectedNamespaces))
    found.push(`namespaces ${JSON.stringify(namespaces)}, CLI ${JSON.stringify(expectedNamespaces)}`);
  for (const [namespace, usage] of [...Object.entries(expected.namespaces), ["", expected.total] as const]) {
    const metrics = shown.get(namespace);
    const name = namespace || "total";
    if (!metrics) {
      found.push(`no cells for ${name}`);
      continue;
    }
    const extra = [...metrics.keys()].filter((metric) => !(METRICS as readonly string[]).includes(metric));
    if (extra.length) found.push(`${name}: unknown metrics ${extra.join(", ")}`);
    for (const metric of METRICS) {
      const text = metrics.get(metric);
      if (text === undefined) found.push(`${name} ${metric}: no cell`);
      else if (text.trim() === "" || !close(metric, Number(text), known(usage[metric]))) found.push(`${name} ${metric}: page ${text}, CLI ${usage[metric]}`);
    }
  }
  return found;
}

/** Waits until the page's cells show `expected` (the page recomputes asynchronously), else fails with the differences. */
async function expectShown(page: Page, expected: Report, label: string, timeout = 30_000): Promise<Cell[]> {
  const deadline = Date.now() + timeout;
  let cells: Cell[] = [];
  let found: string[] = [];
  do {
    cells = await readCells(page).catch(() => []); // the page may be between two documents
    found = cells.length ? differences(cells, expected) : ["no [data-metric] cell"];
    if (!found.length) return cells;
    await page.waitForTimeout(100);
  } while (Date.now() < deadline);
  expect(found, `${label}: the page differs from the CLI`).toEqual([]);
  return cells;
}

async function waitForQuery(page: Page, query: string): Promise<void> {
  await page.waitForURL((url) => url.search === query, { timeout: 10_000 }).catch(() => {});
  expect(new URL(page.url()).search).toBe(query);
}

/** Every page of the build: `dist/**\/*.html` outside Framework's `_` folders, as the path the site serves. */
function sitePages(dist: string): string[] {
  const pages: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.name.startsWith("_")) continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".html"))
        pages.push(
          relative(dist, path)
            .replace(/\.html$/, "")
            .replace(/(^|\/)index$/, "$1"),
        );
    }
  };
  walk(dist);
  return pages.sort();
}

let dist: string;

/** The text of a download link's file (a blob made in the page). */
function downloadedText(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, async (link) => (await fetch((link as HTMLAnchorElement).href)).text());
}

/** Elements of the page's main column painted below the top of its footer (outside any scrolling box). */
function overFooter(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const footer = (document.querySelector("#observablehq-footer") as HTMLElement).getBoundingClientRect();
    const main = document.querySelector("#observablehq-main") as HTMLElement;
    const inScrollingBox = (element: Element) => {
      for (let parent = element.parentElement; parent && parent !== main; parent = parent.parentElement) {
        const style = getComputedStyle(parent);
        if (style.overflowX !== "visible" || style.overflowY !== "visible") return true;
      }
      return false;
    };
    return [...main.querySelectorAll("*")]
      .filter((element) => {
        const box = element.getBoundingClientRect();
        return box.height > 0 && box.bottom > footer.top + 1 && !inScrollingBox(element) && getComputedStyle(element).display !== "none";
      })
      .map(
        (element) =>
          `${element.tagName.toLowerCase()}.${element.className} ends at ${Math.round(element.getBoundingClientRect().bottom)}, footer at ${Math.round(footer.top)}`,
      );
  });
}

/** Scrolls a data table's box to its end until it draws no more rows; returns the rows drawn and the last one's cells. */
function scrollToLastRow(page: Page, selector: string): Promise<{ drawn: number; last: string[]; visible: boolean }> {
  return page.$eval(selector, async (table) => {
    const box = table.querySelector(".table-scroll > form") as HTMLElement;
    const rows = () => box.querySelectorAll("tbody tr");
    for (let still = 0; still < 3;) {
      const before = rows().length;
      box.scrollTop = box.scrollHeight;
      box.dispatchEvent(new Event("scroll"));
      await new Promise((resolve) => setTimeout(resolve, 0));
      still = rows().length === before ? still + 1 : 0;
    }
    const last = rows()[rows().length - 1] as HTMLElement;
    const inside = box.getBoundingClientRect();
    const row = last.getBoundingClientRect();
    return {
      drawn: rows().length,
      last: [...last.querySelectorAll("td")].slice(1).map((cell) => cell.textContent ?? ""),
      visible: row.top >= inside.top - 1 && row.bottom <= inside.bottom + 1,
    };
  });
}

/** The cells of a CSV line (no quoted commas in the lines compared). */
function csvCells(line: string): string[] {
  return line.split(",").map((cell) => cell.replace(/^"|"$/g, ""));
}

function giveHostileNames(archive: string): void {
  const path = join(archive, "users", "user-db.json");
  const database = JSON.parse(readFileSync(path, "utf8")) as Record<string, { name: string; email: string }>;
  Object.values(database).forEach((person, index) => (person.name = HOSTILE_NAMES[index % HOSTILE_NAMES.length]!));
  writeFileSync(path, JSON.stringify(database));
}

/** Every snapshot file of the archive, in path order. */
function snapshotFiles(archive: string): string[] {
  return readdirSync(join(archive, "snapshots"), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Broken files and jobs holding HOSTILE_VALUES and a script: every number stays the same, each is a problem. */
function plantProblems(archive: string): void {
  const broken = join(archive, "snapshots", "broken");
  mkdirSync(broken);
  writeFileSync(join(broken, "2024-05-10T01:00:00.json"), "<script>alert('a broken file')</script>");
  writeFileSync(join(broken, "2024-05-10T02:00:00.json"), JSON.stringify({ [`vo\u001b${HOSTILE_VALUES.namespace}\u0007`]: "not an array of jobs" }));
  const file = snapshotFiles(archive)[100]!;
  const snapshot = JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, unknown>[]>;
  const jobs = Object.values(snapshot).find((list) => list.length > 0)!;
  jobs.push(
    { ...jobs[0], job_ID: "hostile-owner", owner: Number(HOSTILE_VALUES.owner) },
    { ...jobs[0], job_ID: "hostile-time", alloc_start: HOSTILE_VALUES.time },
    { ...jobs[0], job_ID: "hostile-resources", resources: HOSTILE_VALUES.resources },
  );
  writeFileSync(file, JSON.stringify(snapshot));
}

/** What the archive's problems held, for administrators: the details of a private ingest's problems table. */
async function problemDetails(archive: string): Promise<string[]> {
  const out = temporaryFolder();
  const { code, stderr } = await runCli(["ingest", "--archive", archive, "--out", out, "--private", "--no-cache", "--quiet"], {
    ACCOUNTING_PSEUDONYM_KEY: "0123456789abcdef0123456789abcdef",
  });
  expect(code, stderr).toBe(0);
  const bytes = readFileSync(join(out, "problems.parquet"));
  const rows = (await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), compressors })) as {
    detail: string | null;
  }[];
  return rows.flatMap(({ detail }) => (detail === null ? [] : [detail]));
}

/** What no public build may hold: every owner id, name and email of the archive, and its jobs' free texts. */
function personalData(archive: string): Set<string> {
  const found = new Set<string>();
  const database = JSON.parse(readFileSync(join(archive, "users", "user-db.json"), "utf8")) as Record<string, { name: string; email: string }>;
  for (const [owner, { name, email }] of Object.entries(database)) for (const text of [owner, name, email]) found.add(text);
  for (const file of snapshotFiles(archive)) {
    let snapshot: Record<string, unknown>;
    try {
      snapshot = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch {
      continue; // a broken file planted by plantProblems
    }
    for (const jobs of Object.values(snapshot)) {
      if (!Array.isArray(jobs)) continue;
      for (const job of jobs as Record<string, unknown>[])
        for (const field of ["owner", "title", "description"]) if (typeof job[field] === "string") found.add(job[field]);
    }
  }
  // Short plain titles ("demo") occur in any code; owner ids, names, emails and the attack strings are all longer.
  return new Set([...found].filter((text) => text.length >= 12));
}

/** The text of every file of a build, Parquet decoded: compressed bytes would hide anything. */
async function textsOf(dist: string): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for (const path of readdirSync(dist, { recursive: true, withFileTypes: true })) {
    if (!path.isFile()) continue;
    const file = join(path.parentPath, path.name);
    const bytes = readFileSync(file);
    if (file.endsWith(".parquet")) {
      const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), compressors });
      texts.set(
        relative(dist, file),
        JSON.stringify(rows, (_, value: unknown) => (typeof value === "bigint" ? String(value) : value)),
      );
    } else {
      texts.set(relative(dist, file), bytes.toString("utf8"));
    }
  }
  return texts;
}

/**
 * Path and content hash of every data file of a build (`_file/`): the Parquet tables, the known issues, DuckDB's
 * assets. Pages and modules are not compared: Framework writes into them the time each data file was made.
 */
function dataDigests(dist: string): Record<string, string> {
  const found: Record<string, string> = {};
  // The files pages name (`_file/`), and the monthly files of the tables, which the browser fetches by their own path.
  for (const folder of ["_file", "data"])
    for (const path of readdirSync(join(dist, folder), { recursive: true, withFileTypes: true })) {
      if (!path.isFile()) continue;
      const file = join(path.parentPath, path.name);
      found[relative(dist, file)] = createHash("sha256").update(readFileSync(file)).digest("hex");
    }
  return found;
}

const missing = chromiumMissing();
if (missing && !process.env.CI) console.warn(missing);

describe.skipIf(missing !== undefined && !process.env.CI)("the static site in Chromium", { timeout: 60_000 }, () => {
  beforeAll(async () => {
    if (missing) throw new Error(`${missing} (CI must run the browser tests)`);
    work = temporaryFolder("accounting-e2e-");
    archive = join(work, "archive");
    await generateArchive(archive, ARCHIVE_OPTIONS);
    giveHostileNames(archive);
    plantProblems(archive);
    writeFileSync(join(archive, "known-issues.json"), JSON.stringify(KNOWN_ISSUES));
    const project = join(work, "project");
    copyProject(project);
    dist = await build(project, join(work, "cache"));
    site = await serve(dist);
    browser = await launchChromium();
    context = await browser.newContext();
    // Workers' requests included; nothing reaches the network.
    await browserWatch.offline(context);
    page = browserWatch.watch(await context.newPage());
  }, 240_000);

  afterEach(() => {
    expect(browserWatch.news(), "console errors, page errors, dialogs, failed or external requests").toEqual([]);
  });

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await site?.close();
    if (work) rmSync(work, { recursive: true, force: true });
    expect(browserWatch.issues, "console errors, page errors, dialogs, failed or external requests, over the whole suite").toEqual([]);
  }, 30_000);

  it("names no CDN in any script, page or stylesheet it serves: DuckDB-WASM's API is the site's own bundle of it", async () => {
    const named: string[] = [];
    for (const [path, text] of await textsOf(dist)) {
      // DuckDB's wasm holds its extension repository's address: the pages switch extension loading off.
      if (path.endsWith(".wasm")) continue;
      const cdn = CDN_NAMES.exec(text);
      if (cdn) named.push(`${path}: ${cdn[0]}`);
    }
    expect(named).toEqual([]);
    expect(readdirSync(join(dist, "_node"), { recursive: true }).filter((path) => String(path).includes("duckdb"))).toEqual([]);
  });

  it("holds no owner id, name, email, job title or description of the archive in any file, nor what a skipped file or job held", async () => {
    const personal = personalData(archive);
    expect(personal.size).toBeGreaterThan(100);
    for (const attack of ["<script>alert(1)</script>", HOSTILE_NAMES[0]!]) expect(personal).toContain(attack);
    const details = await problemDetails(archive);
    for (const value of Object.values(HOSTILE_VALUES))
      expect(
        details.some((detail) => detail.includes(value)),
        value,
      ).toBe(true);
    expect(
      details.some((detail) => detail.includes('"<script>al')),
      "a fragment of the broken file",
    ).toBe(true);
    const secrets = [...personal, ...details.filter((detail) => detail.length >= 12), ...Object.values(HOSTILE_VALUES)];
    // Decoded Parquet is JSON: a secret with quotes or backslashes shows escaped there.
    const leaksIn = (where: string, text: string) =>
      secrets
        .filter((secret) => text.includes(secret) || text.includes(JSON.stringify(secret).slice(1, -1)))
        .map((secret) => `${where}: ${secret.slice(0, 60)}`);
    const texts = await textsOf(dist);
    expect([...texts.keys()].filter((file) => file.endsWith(".parquet"))).not.toEqual([]);
    expect([...texts].flatMap(([file, text]) => leaksIn(file, text))).toEqual([]);
    // The Data quality page: every problem's reason in its counts and in the CSV of all its rows.
    await page.goto(`${site.url}quality`, { waitUntil: "networkidle" });
    await page.waitForSelector(".problems .data-table tbody tr", { timeout: 30_000 });
    const counts = (await page.textContent(".problem-counts")) ?? "";
    const skipped = await downloadedText(page, ".problems .data-table a.csv-download");
    for (const reason of [
      "not valid JSON",
      "wrong shape: a namespace is not an array of jobs",
      "owner is not a non-empty string",
      "alloc_start is not a valid time",
      "resources is not an object",
    ]) {
      expect(counts).toContain(reason);
      expect(skipped).toContain(reason);
    }
    expect([...leaksIn("problem counts", counts), ...leaksIn("skipped.csv", skipped)]).toEqual([]);
  });

  it("has the same data files, byte for byte, when built again from the same archive with no cache", async () => {
    const again = join(work, "again");
    copyProject(again);
    const digests = dataDigests(dist);
    expect(Object.keys(digests).filter((file) => file.startsWith("_file/") && file.endsWith(".parquet"))).toHaveLength(9);
    expect(
      Object.keys(digests).filter((file) => /^data\/accounting\/(intervals|jobs|run_order)\/year=\d+\/month=\d+\/[0-9a-f]{16}\.parquet$/.test(file)).length,
    ).toBeGreaterThan(0);
    expect(dataDigests(await build(again, join(work, "cache-again")))).toEqual(digests);
  }, 240_000);

  it("lists each user and job that counts in the period, users under pseudonyms, with no name, email, title or banner", async () => {
    const expected = await cliReport("exact", PERIODS[1]!);
    await page.goto(accountingUrl("exact", PERIODS[1]!));
    await expectShown(page, expected, "a month, exact");
    await page.waitForSelector(".owner-usage .data-table", { timeout: 10_000 });
    expect(Number(await page.getAttribute(".owner-usage .data-table", "data-rows"))).toBe(expected.total.users);
    const pseudonyms = await page.$$eval(".owner-usage tbody tr td:nth-child(2)", (cells) => cells.map((cell) => cell.textContent));
    expect(pseudonyms.length).toBeGreaterThan(0);
    expect(pseudonyms.every((text) => /^user-[0-9a-f]{12}$/.test(text ?? ""))).toBe(true);
    expect(await page.locator(".private-banner").count()).toBe(0);
    const ownerHeaders = await page.$$eval(".owner-usage thead th", (cells) => cells.map((cell) => cell.textContent?.trim()));
    expect(ownerHeaders).not.toContain("Name");
    await page.waitForSelector(".job-usage tbody tr");
    const headers = await page.$$eval(".job-usage thead th", (cells) => cells.map((cell) => cell.textContent?.trim()));
    expect(headers).toEqual(expect.arrayContaining(["User", "Namespace", "Kind", "CPU core-hours"]));
    expect(headers).not.toContain("Title");
  });

  it("builds for administrators: a banner on every page, the users' names and emails shown as text, scripts in them inert", async () => {
    const project = join(work, "private");
    copyProject(project);
    const privateSite = await serve(await build(project, join(work, "cache-private"), true));
    try {
      for (const path of ["", "accounting", "usage", "quality"]) {
        await page.goto(`${privateSite.url}${path}`, { waitUntil: "networkidle" });
        await page.waitForFunction(() => !document.querySelector("observablehq-loading"), undefined, { timeout: 30_000 });
        expect(await page.locator(".private-banner").textContent(), path).toMatch(/PRIVATE BUILD, for administrators: do not publish it/);
      }
      await page.goto(`${privateSite.url}accounting`);
      await page.waitForSelector(".owner-usage tbody tr", { timeout: 30_000 });
      const ownerHeaders = await page.$$eval(".owner-usage thead th", (cells) => cells.map((cell) => cell.textContent?.trim()));
      expect(ownerHeaders.slice(1, 4)).toEqual(["User", "Name", "Email"]);
      // Every owner's row, drawn or not: the CSV download holds them all.
      const ownersCsv = await downloadedText(page, ".owner-usage a.csv-download");
      for (const name of HOSTILE_NAMES) expect(ownersCsv).toContain(name.startsWith("=") ? `'${name.replaceAll('"', '""')}` : name);
      const emails = await page.$$eval(".owner-usage tbody tr td:nth-child(4)", (cells) => cells.map((cell) => cell.textContent ?? ""));
      expect(emails.filter((email) => /@example\.org$/.test(email)).length).toBeGreaterThan(0);
      await page.fill(".owner-usage input[type=search]", "script");
      await page.waitForFunction(() =>
        [...document.querySelectorAll(".owner-usage tbody tr td:nth-child(3)")].some((cell) => cell.textContent === "<script>alert('name')</script>"),
      );
      await page.waitForSelector(".job-usage tbody tr");
      const titles = await page.$$eval(".job-usage tbody tr td:nth-child(2)", (cells) => cells.map((cell) => cell.textContent ?? ""));
      expect(titles.filter((title) => title.startsWith("<")).length, "titles holding markup, shown as text").toBeGreaterThan(0);
      expect(await page.locator(".owner-usage img, .owner-usage script, .job-usage img, .job-usage script").count()).toBe(0);
    } finally {
      await privateSite.close();
    }
  }, 240_000);

  it("shows the hostile namespace as text in the usage charts' legends and tips", async () => {
    await page.goto(`${site.url}usage`, { waitUntil: "networkidle" });
    const chart = page.locator("figure svg[viewBox]").first();
    await chart.waitFor({ timeout: 30_000 });
    const box = (await chart.boundingBox())!;
    // Plot cuts a tip's long lines: the name's start shows, quote and bracket as text.
    const shown = HOSTILE_NAMESPACE.slice(0, 2);
    let tip = "";
    for (let x = box.x + box.width * 0.5; x < box.x + box.width * 0.95 && !tip.includes(shown); x += box.width / 20) {
      await page.mouse.move(x, box.y + box.height / 2);
      await page.waitForTimeout(50);
      tip =
        (await page
          .locator('g[aria-label="tip"]')
          .first()
          .textContent()
          .catch(() => "")) ?? "";
    }
    expect(tip).toContain(shown);
    expect(await page.locator("figure").first().textContent()).toContain(HOSTILE_NAMESPACE);
    expect(await page.locator("main img, main svg script").count()).toBe(0);
  });

  it("builds without fetching anything from a CDN", () => {
    expect(existsSync(join(dist, "_npm")), "dist/_npm holds modules downloaded from the CDN").toBe(false);
    expect(sitePages(dist)).toContain("accounting");
  });

  it("reaches the last row of every long table, each with its own CSV, and paints nothing over the footer", { timeout: 120_000 }, async () => {
    // Long enough to scroll, except the gaps of this archive: still one table with its own file.
    const tables = [
      { path: "quality", selector: ".problems .data-table", least: 31 },
      { path: "quality", selector: ".gaps .data-table", least: 1, shown: (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` },
      { path: accountingUrl("exact", {}).slice(site.url.length), selector: ".owner-usage .data-table", least: 31 },
      { path: accountingUrl("exact", {}).slice(site.url.length), selector: ".job-usage .data-table", least: 31 },
    ];
    const files = new Set<string>();
    for (const { path, selector, least, shown = (text: string) => text } of tables) {
      await page.goto(`${site.url}${path}`, { waitUntil: "networkidle" });
      await page.waitForSelector(`${selector} tbody tr`, { timeout: 30_000 });
      const rows = Number(await page.getAttribute(selector, "data-rows"));
      expect(rows, selector).toBeGreaterThanOrEqual(least);
      const { drawn, last, visible } = await scrollToLastRow(page, selector);
      expect(drawn, `${selector}: rows drawn once scrolled to the end`).toBe(rows);
      expect(visible, `${selector}: the last row shows inside its box`).toBe(true);
      const csv = (await downloadedText(page, `${selector} a.csv-download`)).trimEnd().split("\n");
      expect(csv, `${selector}: the CSV has a header and every row`).toHaveLength(rows + 1);
      expect(last[0], `${selector}: the last row is the CSV's last`).toBe(shown(csvCells(csv.at(-1)!)[0]!));
      files.add((await page.getAttribute(`${selector} a.csv-download`, "download")) ?? "");
      expect(await overFooter(page), `${path}: elements over the footer`).toEqual([]);
    }
    expect(files.size, "a file name per table").toBe(tables.length);
    for (const path of ["", "usage"]) {
      await page.goto(`${site.url}${path}`, { waitUntil: "networkidle" });
      await page.waitForFunction(() => !document.querySelector("observablehq-loading"), undefined, { timeout: 30_000 });
      expect(await overFooter(page), `${path || "index"}: elements over the footer`).toEqual([]);
    }
  });

  it("shows an error and no number for an empty period, from the URL or the form", async () => {
    // The archive starts on 2024-05-01: a period ending before it has no time at all.
    await page.goto(`${site.url}accounting?to=2024-04-01&mode=exact`);
    await page.waitForSelector(".period-problem", { timeout: 30_000 });
    expect(await page.textContent(".period-problem")).toMatch(
      /^No numbers: the period is empty: it starts on 2024-05-01T00:00:\d\dZ \(the archive's first snapshot\), after it ends on 2024-04-01\.$/,
    );
    expect(await page.locator("[data-metric], .owner-usage, .job-usage").count()).toBe(0);
    for (const query of ["?from=2030-01-01&mode=exact", "?from=2024-02-30&mode=exact", "?mode=fast"]) {
      await page.goto(`${site.url}accounting${query}`);
      await page.waitForSelector(".period-problem", { timeout: 30_000 });
      expect(await page.locator("[data-metric]").count(), query).toBe(0);
    }
    expect(await page.textContent(".period-problem")).toBe('No numbers: mode "fast" is not exact or compat.');
  });

  it("says beside the numbers how much of a period the archive covers", async () => {
    const period = { from: "2024-07-01", to: "2024-08-15" };
    const expected = await cliReport("exact", period);
    const cli = await runCli(["report", "--archive", archive, "--format", "json", "--from", period.from, "--to", period.to]);
    const coverage = JSON.parse(cli.stdout).coverage;
    await page.goto(accountingUrl("exact", period));
    await expectShown(page, expected, "past the archive's end");
    const notes = page.locator(".report .coverage-notes");
    expect(Number(await notes.getAttribute("data-days"))).toBe(46);
    expect(Number(await notes.getAttribute("data-covered-days"))).toBeCloseTo(coverage.covered_days, 9);
    expect(await notes.textContent()).toContain(`Snapshots cover ${(Math.round(coverage.covered_days * 10) / 10).toString()} days of the period's 46 days`);
    expect(await notes.textContent()).toContain("Provisional: the period ends after the newest snapshot");
    // Before the archive: what was counted before the first snapshot is named.
    await page.goto(accountingUrl("exact", { from: "2024-04-01", to: "2024-05-31" }));
    await page.waitForSelector(".report .coverage-notes");
    expect(await page.textContent(".report .coverage-notes")).toMatch(/Snapshots cover 3\d(\.\d)? days of the period's 61 days/);
  });

  it("never shows numbers under a mode or period other than the one chosen, and Back undoes a change", async () => {
    await page.goto(accountingUrl("exact", PERIODS[1]!));
    await expectShown(page, await cliReport("exact", PERIODS[1]!), "a month, exact");
    const disagreements = page.evaluate(
      () =>
        new Promise<string[]>((resolve) => {
          const found: string[] = [];
          const check = () => {
            const chosen = (document.querySelector('input[name="mode"]:checked') as HTMLInputElement | null)?.value;
            const view = document.querySelector(".following");
            const shown = view?.querySelector(".report")?.getAttribute("data-mode");
            if (shown && !view?.classList.contains("stale") && shown !== chosen) found.push(`form ${chosen}, numbers ${shown}`);
          };
          const observer = new MutationObserver(check);
          observer.observe(document.body, { subtree: true, childList: true, attributes: true });
          document.addEventListener("change", check, true);
          setTimeout(() => (observer.disconnect(), resolve(found)), 4000);
        }),
    );
    await page.check("input[name=mode][value=compat]");
    await expectShown(page, await cliReport("compat", PERIODS[1]!), "a month, compat");
    expect(await disagreements).toEqual([]);
    await waitForQuery(page, "?from=2024-06-01&to=2024-06-30&mode=compat");
    await page.goBack();
    await waitForQuery(page, "?from=2024-06-01&to=2024-06-30&mode=exact");
    expect(await page.isChecked("input[name=mode][value=exact]")).toBe(true);
    await expectShown(page, await cliReport("exact", PERIODS[1]!), "Back to exact");
    await page.goForward();
    await waitForQuery(page, "?from=2024-06-01&to=2024-06-30&mode=compat");
    await expectShown(page, await cliReport("compat", PERIODS[1]!), "Forward to compat");
  });

  it("draws readable charts: axes within the chart, whole job counts, known-issue labels apart", async () => {
    await page.goto(`${site.url}usage`, { waitUntil: "networkidle" });
    await page.waitForSelector("figure svg");
    const charts = await page.$$eval("div.card", (cards) =>
      cards
        .filter((card) => card.querySelector("svg[viewBox]"))
        .map((card) => {
          const svg = card.querySelector("svg[viewBox]") as SVGSVGElement;
          const frame = svg.getBoundingClientRect();
          const ticks = [...svg.querySelectorAll('[aria-label="y-axis tick label"] text')];
          const labels = [...svg.querySelectorAll('text[aria-label="known issue"]')].map((text) => text.getBoundingClientRect());
          return {
            title: card.querySelector("h2")?.firstChild?.textContent?.trim() ?? "",
            ticks: ticks.map((text) => text.textContent ?? ""),
            clipped: ticks.filter((text) => text.getBoundingClientRect().left < frame.left - 0.5).length,
            labels: labels.map((box) => ({ left: box.left, right: box.right, top: box.top, bottom: box.bottom })),
          };
        }),
    );
    expect(charts.map((chart) => chart.title)).toEqual([
      "CPU cores, daily mean",
      "GPUs, daily mean",
      "Memory, daily mean",
      "Disk, daily mean",
      "Running jobs, per snapshot",
      "Queued jobs, per snapshot",
    ]);
    for (const chart of charts) {
      expect(chart.clipped, `${chart.title}: tick labels cut off at the left`).toBe(0);
      expect(
        chart.ticks.every((tick) => tick.length <= 7),
        `${chart.title}: ${chart.ticks.join(" ")}`,
      ).toBe(true);
      expect(chart.labels, chart.title).toHaveLength(KNOWN_ISSUES.length);
      const overlapping = chart.labels.filter((a, i) =>
        chart.labels.some((b, j) => i < j && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom),
      );
      expect(overlapping, `${chart.title}: known-issue labels over each other`).toEqual([]);
    }
    for (const chart of charts.slice(4))
      expect(
        chart.ticks.every((tick) => /^\d+$/.test(tick)),
        `${chart.title}: ${chart.ticks.join(" ")}`,
      ).toBe(true);
    expect(
      charts[2]!.ticks.some((tick) => / [kMGTP]?B$/.test(tick)),
      charts[2]!.ticks.join(" "),
    ).toBe(true);
  });

  it("names the archive's known issues beside the numbers of a period they overlap", async () => {
    await page.goto(accountingUrl("exact", { from: "2024-05-15", to: "2024-05-31" }));
    await page.waitForSelector(".report .coverage-notes");
    const notes = (await page.textContent(".report .coverage-notes")) ?? "";
    for (const issue of KNOWN_ISSUES) expect(notes).toContain(issue.title);
    await page.goto(accountingUrl("exact", PERIODS[1]!));
    await page.waitForSelector(".report .coverage-notes");
    expect(await page.textContent(".report .coverage-notes")).not.toContain("Known issue");
  });

  it("keeps the usage page's choices in its URL", async () => {
    await page.goto(`${site.url}usage`, { waitUntil: "networkidle" });
    await page.waitForSelector("figure svg");
    await page.uncheck('.choice-input input[type=checkbox][value="vo-two"]');
    await page.check(".choice-input input[type=radio][value=lines]");
    await page.waitForURL((url) => url.searchParams.get("layout") === "lines");
    const url = new URL(page.url());
    expect(url.searchParams.get("namespaces")?.split(",")).not.toContain("vo-two");
    await page.reload({ waitUntil: "networkidle" });
    await page.waitForSelector("figure svg");
    expect(await page.isChecked('.choice-input input[type=checkbox][value="vo-two"]')).toBe(false);
    expect(await page.isChecked(".choice-input input[type=radio][value=lines]")).toBe(true);
    await page.goBack();
    await page.waitForFunction(() => (document.querySelector(".choice-input input[type=radio][value=stacked]") as HTMLInputElement)?.checked);
  });

  it("needs no horizontal scrolling at 390 px on any page", async () => {
    const narrow = browserWatch.watch(await context.newPage());
    await narrow.setViewportSize({ width: 390, height: 844 });
    try {
      for (const path of sitePages(dist)) {
        await narrow.goto(`${site.url}${path}`, { waitUntil: "networkidle" });
        await narrow.waitForFunction(() => !document.querySelector("observablehq-loading"), undefined, { timeout: 30_000 });
        await narrow.waitForTimeout(300);
        expect(await narrow.evaluate(() => document.documentElement.scrollWidth), path || "index").toBeLessThanOrEqual(390);
      }
    } finally {
      await narrow.close();
    }
  });

  it("prints every row of every table, no control, under a heading with the period, coverage and build", async () => {
    await page.goto(`${site.url}quality`, { waitUntil: "networkidle" });
    await page.waitForSelector(".problems .data-table tbody tr", { timeout: 30_000 });
    const rows = Number(await page.getAttribute(".problems .data-table", "data-rows"));
    await page.emulateMedia({ media: "print" });
    try {
      await page.waitForFunction((n) => document.querySelectorAll(".problems .print-table tbody tr").length === n, rows, { timeout: 10_000 });
      for (const hidden of ["form", ".csv-download", ".data-table .table-scroll"]) {
        expect(await page.$$eval(hidden, (elements) => elements.filter((element) => (element as HTMLElement).offsetParent !== null).length), hidden).toBe(0);
      }
      const heading = ((await page.textContent(".print-heading")) ?? "").replace(/\s+/g, " ");
      expect(heading).toMatch(/Data quality, 2024-05-01 to 2024-07-09\. Newest snapshot: 2024-07-09 20:00 UTC\./);
      expect(heading).toContain("Snapshots cover");
      expect(await page.isVisible(".build-info")).toBe(true);
      expect(await page.textContent(".build-info")).toMatch(/built \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    } finally {
      await page.emulateMedia({ media: "screen" });
    }
    await page.waitForFunction(() => document.querySelectorAll(".print-table").length === 0);
    const pdf = await page.pdf({ format: "A4" });
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
  });

  it("says how old the newest snapshot is, and warns past twice the cadence", async () => {
    await page.goto(site.url, { waitUntil: "networkidle" });
    await page.waitForSelector(".freshness");
    // The generated archive ends on 2024-07-09: long out of date.
    expect(await page.getAttribute(".freshness", "data-stale")).toBe("true");
    expect(await page.textContent(".freshness")).toMatch(/2024-07-09 20:00 UTC, [\d.,]+ days ago\.\s*Out of date/);
    // With a clock an hour after the newest snapshot, the reader sees a fresh archive.
    const then = await browser.newContext();
    try {
      await browserWatch.offline(then);
      await then.clock.setFixedTime(new Date("2024-07-09T21:00:00Z"));
      const fresh = browserWatch.watch(await then.newPage());
      await fresh.goto(site.url, { waitUntil: "networkidle" });
      await fresh.waitForSelector(".freshness");
      expect(await fresh.getAttribute(".freshness", "data-stale")).toBe("false");
      expect(await fresh.textContent(".freshness")).toMatch(/2024-07-09 20:00 UTC, (5\d|60) min ago\./);
    } finally {
      await then.close();
    }
  });

  for (const mode of MODES) {
    // A page per period, each opening DuckDB-WASM anew: several seconds each on a busy 2-core machine.
    it(`shows the CLI's ${mode} numbers for every period`, async () => {
      for (const period of PERIODS) {
        const expected = await cliReport(mode, period);
        expect(Object.keys(expected.namespaces).sort()).toEqual([...ARCHIVE_OPTIONS.namespaces].sort());
        await page.goto(accountingUrl(mode, period));
        const cells = await expectShown(page, expected, `${mode}, ${period.label}`);
        expect(cells).toHaveLength((Object.keys(expected.namespaces).length + 1) * METRICS.length);
        expect(expected.total.cpu_num_hours, period.label).toBeGreaterThan(0);
      }
    }, 180_000);
  }

  it("follows the period and mode chosen in the page: URL query and numbers", async () => {
    await page.goto(`${site.url}accounting?mode=compat`);
    await expectShown(page, await cliReport("compat", {}), "whole archive, compat");

    // The archive's last day is 2024-07-09, so last month is June.
    await page.selectOption("select[name=preset]", "last-month");
    await waitForQuery(page, "?from=2024-06-01&to=2024-06-30&mode=compat");
    await expectShown(page, await cliReport("compat", { from: "2024-06-01", to: "2024-06-30" }), "last month, compat");
    expect(await page.inputValue("input[name=from]")).toBe("2024-06-01");

    // A start after the end is refused, with no number, until the end follows.
    await page.fill("input[name=from]", "2024-07-02");
    await page.waitForSelector(".period-problem");
    expect(await page.textContent(".period-problem")).toBe("No numbers: the period is empty: it starts on 2024-07-02, after it ends on 2024-06-30.");
    expect(await page.locator("[data-metric]").count()).toBe(0);
    await page.fill("input[name=to]", "2024-07-05");
    await waitForQuery(page, "?from=2024-07-02&to=2024-07-05&mode=compat");
    await expectShown(page, await cliReport("compat", { from: "2024-07-02", to: "2024-07-05" }), "custom days, compat");
    expect(await page.inputValue("select[name=preset]")).toBe("custom");

    await page.check("input[name=mode][value=exact]");
    await waitForQuery(page, "?from=2024-07-02&to=2024-07-05&mode=exact");
    await expectShown(page, await cliReport("exact", { from: "2024-07-02", to: "2024-07-05" }), "custom days, exact");

    await page.selectOption("select[name=preset]", "whole");
    await waitForQuery(page, "?mode=exact");
    await expectShown(page, await cliReport("exact", {}), "whole archive, exact");

    // The URL it wrote opens the same report.
    await page.selectOption("select[name=preset]", "this-month");
    await waitForQuery(page, "?from=2024-07-01&to=2024-07-31&mode=exact");
    const thisMonth = await cliReport("exact", { from: "2024-07-01", to: "2024-07-31" });
    await expectShown(page, thisMonth, "this month, exact");
    await page.reload();
    await expectShown(page, thisMonth, "this month, exact, reloaded");
    expect(await page.inputValue("select[name=preset]")).toBe("this-month");
  });

  it("loads every page without errors, dialogs, failed requests or requests to other hosts", async () => {
    const pages = sitePages(dist);
    expect(pages).toEqual(expect.arrayContaining(["", "accounting"]));
    const links = new Set<string>();
    for (const path of pages) {
      const response = await page.goto(`${site.url}${path}`, { waitUntil: "networkidle" });
      expect(response?.status(), path).toBe(200);
      await page.waitForFunction(() => !document.querySelector("observablehq-loading"), undefined, { timeout: 30_000 });
      if (path === "accounting") await page.waitForSelector("[data-metric]");
      if (path === "distributions") expect(await page.waitForSelector(".distribution-summary [data-statistic=count]")).toBeTruthy();
      await page.waitForTimeout(200);
      expect(await page.locator(".observablehq--error").count(), `${path || "index"}: cells in error`).toBe(0);
      for (const href of await page.$$eval("a[href]", (anchors) => anchors.map((a) => (a as HTMLAnchorElement).href))) {
        const url = new URL(href);
        if (url.protocol.startsWith("http") && url.origin === origin()) links.add(url.href.replace(url.hash, ""));
      }
    }
    // Links between pages stay under the sub-path.
    for (const link of links) {
      expect(link.startsWith(site.url), link).toBe(true);
      expect((await fetch(link)).status, link).toBe(200);
    }
  }, 180_000);
});
