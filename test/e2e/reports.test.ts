import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { METRICS, type Report } from "../../loaders/queries/report.js";
import { generateArchive } from "../../scripts/archive-generator.js";
import { serveStatic, type StaticSite } from "../../scripts/static-server.js";
import { temporaryFolder } from "../helpers/archive.js";
import { chromiumMissing, launchChromium } from "../helpers/chromium.js";
import { runCli } from "../helpers/cli.js";
import { copyProject, ROOT } from "../helpers/project.js";
import { BrowserWatch, buildSite } from "../helpers/site-build.js";

/*
 * The period pages (`/reports/<month>`, `/<quarter>`, `/<year>` and their list) of sites built with `npm run build`
 * on two archives the other browser tests never saw: one generated here (Nomad snapshots, three months and a half
 * across a new year, gaps, a known issue, an account named to break out of HTML and of a script), and the mixed
 * archive of Nomad, Slurm, Grid Engine and Flux records. With JavaScript disabled every accounting cell must hold what
 * `accounting report --from <first day> --to <last day> --format json` reports; printed, a page shows every row and
 * no control; no page may reach another host.
 */

const BASE = "/accounting-reports/";
const HOSTILE_ACCOUNT = "</script><img src=x onerror=alert(1)>${alert(2)}";
const KNOWN_ISSUE = { from: "2023-12-24", to: "2023-12-26", title: "Holiday <b>maintenance</b> ${1}", description: "Snapshots <i>late</i>." };

interface Spec {
  name: string;
  /** Made in the work folder, or a fixture. */
  archive: (work: string) => Promise<string>;
  /** Every period page the archive's records reach, as the list must give them: months, quarters, years, newest first. */
  periods: string[];
  /** The periods that end after the newest record. */
  provisional: string[];
  /** What the pages rank. */
  rankings: string[];
}

const SPECS: Spec[] = [
  {
    name: "generated",
    archive: async (work) => {
      const archive = join(work, "generated");
      // 2023-11-20T00:00 to 2024-02-02T18:00, every 6 hours, gaps included.
      await generateArchive(archive, {
        seed: 1717,
        start: "2023-11-20",
        days: 75,
        snapshotHours: 6,
        namespaces: ["alpha", "beta.gamma", HOSTILE_ACCOUNT],
        jobsPerNamespace: 3,
      });
      writeFileSync(join(archive, "known-issues.json"), JSON.stringify([KNOWN_ISSUE]));
      return archive;
    },
    periods: ["2024-02", "2024-01", "2023-12", "2023-11", "2024-Q1", "2023-Q4", "2024", "2023"],
    provisional: ["2024-02", "2024-Q1", "2024"],
    rankings: ["account", "user", "image"],
  },
  {
    name: "mixed",
    // 2024-02-29T23:00 (the first Slurm start) to 2024-03-02T00:00 (the Slurm dump and the Flux file).
    archive: () => Promise.resolve(join(ROOT, "test/fixtures/archives/mixed")),
    periods: ["2024-03", "2024-02", "2024-Q1", "2024"],
    provisional: ["2024-03", "2024-Q1", "2024"],
    rankings: ["account", "user", "image", "queue"],
  },
];

interface Site extends Spec {
  path: string;
  site: StaticSite;
}

let work: string;
let browser: Browser;
/** Pages read as a reader without JavaScript reads them; and with it, for the charts and printing. */
let noScript: BrowserContext;
let scripted: BrowserContext;
let page: Page;
let scriptedPage: Page;
const sites: Site[] = [];
/** Everything wrong seen in the browser, over all tests. */
const browserWatch = new BrowserWatch();
const timings: string[] = [];

/** Builds the project at `project` on `archive` into `dist`, timed; the project's caches stay for the next build. */
async function build(project: string, archive: string, dist: string): Promise<string> {
  const start = performance.now();
  await buildSite(project, archive, dist, { pseudonymKey: "fedcba9876543210fedcba9876543210" });
  timings.push(`build on ${archive}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return dist;
}

const reports = new Map<string, Promise<Report & { coverage: { covered_days: number; provisional: boolean } }>>();
/** `accounting report --from … --to … --format json`, in this process, once per archive and period. */
function cliReport(archive: string, from: string, to: string) {
  const key = `${archive}\0${from}\0${to}`;
  let found = reports.get(key);
  if (!found) {
    found = runCli(["report", "--archive", archive, "--from", from, "--to", to, "--format", "json", "--problems", "none"]).then((result) => {
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout);
    });
    reports.set(key, found);
  }
  return found;
}

/** The first and last day of a period page's name. */
function daysOf(name: string): { from: string; to: string } {
  const year = Number(name.slice(0, 4));
  const [first, months] = /Q/.test(name) ? [(Number(name.slice(6)) - 1) * 3, 3] : name.length === 7 ? [Number(name.slice(5)) - 1, 1] : [0, 12];
  const day = (month: number, date: number) => new Date(Date.UTC(year, month, date)).toISOString().slice(0, 10);
  return { from: day(first, 1), to: day(first + months, 0) };
}

interface Cell {
  account: string;
  metric: string;
  value: string;
  text: string;
}

const readCells = (target: Page): Promise<Cell[]> =>
  target.$$eval("[data-metric]", (cells) =>
    cells.map((cell) => {
      const data = (cell as HTMLElement).dataset;
      return { account: data.namespace ?? "(missing)", metric: data.metric ?? "", value: data.value ?? "(missing)", text: cell.textContent?.trim() ?? "" };
    }),
  );

/** How the cells differ from the CLI's report, as the accounting page's tests compare them: a null is `null` and reads "—". */
function differences(cells: Cell[], expected: Report): string[] {
  const found: string[] = [];
  const shown = new Map(cells.map((cell) => [`${cell.account}\0${cell.metric}`, cell]));
  if (shown.size !== cells.length) found.push("two cells for one account and metric");
  if (cells.length !== (Object.keys(expected.namespaces).length + 1) * METRICS.length) found.push(`${cells.length} cells`);
  for (const [account, numbers] of [...Object.entries(expected.namespaces), ["", expected.total] as const]) {
    for (const metric of METRICS) {
      const cell = shown.get(`${account}\0${metric}`);
      const name = `${account || "total"} ${metric}`;
      const value = numbers[metric];
      if (!cell) found.push(`${name}: no cell`);
      else if (value === null) {
        if (cell.value !== "null" || cell.text !== "—") found.push(`${name}: page ${cell.value} "${cell.text}", CLI null`);
      } else if (cell.value !== String(value) || cell.text === "—" || cell.text === "") found.push(`${name}: page ${cell.value} "${cell.text}", CLI ${value}`);
    }
  }
  return found;
}

/** Opens a page of a site without JavaScript; its HTML as served is all there is. */
async function openStatic(site: Site, path: string): Promise<void> {
  const response = await page.goto(`${site.site.url}${path}`);
  expect(response?.status(), `${site.name} ${path}`).toBe(200);
}

const missing = chromiumMissing();
if (missing && !process.env.CI) console.warn(missing);

describe.skipIf(missing !== undefined && !process.env.CI)("the period report pages, in Chromium", { timeout: 120_000 }, () => {
  beforeAll(async () => {
    if (missing) throw new Error(`${missing} (CI must run the browser tests)`);
    work = temporaryFolder("accounting-reports-e2e-");
    const project = join(work, "project");
    copyProject(project);
    for (const [index, spec] of SPECS.entries()) {
      const path = await spec.archive(work);
      const site = await serveStatic(await build(project, path, join(work, `dist-${index}`)), BASE);
      browserWatch.origins.add(new URL(site.url).origin);
      sites.push({ ...spec, path, site });
    }
    browser = await launchChromium();
    noScript = await browserWatch.offline(await browser.newContext({ javaScriptEnabled: false }));
    scripted = await browserWatch.offline(await browser.newContext());
    page = browserWatch.watch(await noScript.newPage(), { javaScript: false });
    scriptedPage = browserWatch.watch(await scripted.newPage());
  }, 600_000);

  afterEach(() => {
    expect(browserWatch.news(), "console errors, page errors, dialogs, failed or external requests").toEqual([]);
  });

  afterAll(async () => {
    console.info(timings.join("\n"));
    await noScript?.close().catch(() => {});
    await scripted?.close().catch(() => {});
    await browser?.close();
    for (const { site } of sites) await site.close();
    if (work) rmSync(work, { recursive: true, force: true });
    expect(browserWatch.issues, "console errors, page errors, dialogs, failed or external requests, over the whole suite").toEqual([]);
  }, 30_000);

  it("shows, with JavaScript disabled, on every period's page the CLI's report of its days, — where the CLI has null", async () => {
    for (const site of sites) {
      for (const name of site.periods) {
        const { from, to } = daysOf(name);
        await openStatic(site, `reports/${name}`);
        const found = differences(await readCells(page), await cliReport(site.path, from, to));
        expect(found, `${site.name} ${name}: the page differs from accounting report --from ${from} --to ${to}`).toEqual([]);
        expect(await page.getAttribute(".period-heading", "data-from"), name).toBe(from);
        expect(await page.getAttribute(".period-heading", "data-to"), name).toBe(to);
      }
    }
  });

  it("shows, with JavaScript disabled, each bank's balance as accounting balance gives it, users by pseudonym; says why where there is none", async () => {
    for (const site of sites) {
      await openStatic(site, "allocations");
      if (site.name === "generated") {
        expect(await page.textContent(".period-problem")).toMatch(/no allocations file/);
        continue;
      }
      const cli = await runCli(["balance", "--archive", site.path, "--format", "json", "--problems", "none"]);
      // The science bank is over its grant.
      expect(cli.code, cli.stderr).toBe(1);
      const { banks } = JSON.parse(cli.stdout) as { banks: Record<string, Record<string, unknown> & { users: Record<string, number> }> };
      const rows = await page.$$eval(".balances tbody tr", (trs) =>
        trs.map((tr) => ({
          bank: tr.getAttribute("data-bank") ?? "",
          cells: Object.fromEntries(
            [...tr.querySelectorAll("[data-field]")].map((td) => [td.getAttribute("data-field"), td.getAttribute("data-value") ?? td.textContent]),
          ),
        })),
      );
      expect(rows.map((row) => row.bank)).toEqual(Object.keys(banks));
      for (const { bank, cells } of rows) {
        const expected = banks[bank]!;
        for (const field of ["granted", "charged", "remaining", "percent"]) expect(cells[field], `${bank} ${field}`).toBe(String(expected[field]));
        expect(cells.runs_out, bank).toBe(expected.runs_out ?? "—");
        expect(cells.fairshare, bank).toBe(String((expected.fairshare as { factor: number | null }).factor));
        // The same charges per user, named by pseudonym: never by the owner ids the CLI keys them with.
        const users = await page.$$eval(`section.bank[data-bank="${bank}"] .bank-users tbody tr`, (trs) =>
          trs.map((tr) => [tr.querySelector("th")?.textContent ?? "", Number(tr.querySelector("td")?.getAttribute("data-value"))] as const),
        );
        const charges = Object.entries(expected.users);
        expect(users.map(([, value]) => value)).toEqual(charges.slice(0, 10).map(([, value]) => value));
        for (const [name] of users) expect(Object.keys(expected.users), bank).not.toContain(name);
      }
      expect(await page.locator("tr.level-over").count()).toBe(1);
    }
  });

  it("lists every period, newest first, each linking to its page, provisional ones marked", async () => {
    for (const site of sites) {
      await openStatic(site, "reports/");
      const rows = await page.$$eval(".period-index tbody tr", (trs) =>
        trs.map((tr) => ({ period: tr.getAttribute("data-period"), href: tr.querySelector("a")?.getAttribute("href"), text: tr.textContent ?? "" })),
      );
      expect(rows.map((row) => row.period)).toEqual(site.periods);
      for (const row of rows) {
        expect(row.href).toBe(`./${row.period}`);
        expect(row.text.includes("provisional"), `${site.name} ${row.period}`).toBe(site.provisional.includes(row.period as string));
      }
      // The list is reachable from every page's sidebar.
      expect(await page.$$eval("#observablehq-sidebar a", (links) => links.map((link) => link.textContent?.trim()))).toContain("Period reports");
    }
  });

  it("says what the records cover, marks a period past the newest record provisional, and names its gaps and known issues", async () => {
    for (const site of sites) {
      for (const name of site.periods) {
        const { from, to } = daysOf(name);
        const { coverage } = await cliReport(site.path, from, to);
        await openStatic(site, `reports/${name}`);
        expect(Number(await page.getAttribute(".coverage-notes", "data-covered-days")), name).toBeCloseTo(coverage.covered_days, 9);
        expect(await page.getAttribute(".period-heading", "data-provisional")).toBe(String(coverage.provisional));
        expect(await page.locator(".provisional-mark").count(), `${site.name} ${name}`).toBe(site.provisional.includes(name) ? 1 : 0);
        expect(coverage.provisional).toBe(site.provisional.includes(name));
      }
    }
    const [generated] = sites as [Site];
    await openStatic(generated, "reports/2023-12");
    expect(await page.textContent(".known-issues")).toContain(KNOWN_ISSUE.title);
    expect(await page.locator(".known-issues b").count()).toBe(0);
    expect(await page.locator(".period-gaps tbody tr").count()).toBeGreaterThan(0);
    expect(await page.textContent(".coverage-notes")).toMatch(/gaps? without a snapshot/);
    await openStatic(generated, "reports/2024-01");
    expect(await page.textContent(".known-issues")).toContain("No known issue");
  });

  it("compares with the previous period and the same period a year before, as the CLI reports them", async () => {
    const [generated] = sites as [Site];
    // January: December is covered whole; January 2023 not at all.
    await openStatic(generated, "reports/2024-01");
    const now = await cliReport(generated.path, "2024-01-01", "2024-01-31");
    const december = await cliReport(generated.path, "2023-12-01", "2023-12-31");
    const rows = await page.$$eval('.period-change[data-compare="total"] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => ({ value: td.getAttribute("data-value"), text: td.textContent?.trim() ?? "" }))),
    );
    expect(rows).toHaveLength(METRICS.length);
    for (const [i, metric] of METRICS.entries()) {
      const [current, previous, change, yearBefore, yearChange] = rows[i] as { value: string | null; text: string }[];
      expect(current?.value, metric).toBe(String(now.total[metric]));
      expect(previous?.value, metric).toBe(String(december.total[metric]));
      const expected = (now.total[metric] as number) / (december.total[metric] as number) - 1;
      expect(Number(change?.text.replace(/[%,]/g, "")) / 100, metric).toBeCloseTo(expected, 3);
      expect([yearBefore?.text, yearChange?.text], metric).toEqual(["—", "—"]);
    }
    expect(await page.textContent('.period-change[data-compare="total"] thead')).toContain("January 2023no snapshots");
    // Per account, CPU core-hours.
    const accounts = await page.$$eval('.period-change[data-compare="cpu_num_hours"] tbody tr', (trs) =>
      trs.map((tr) => [tr.querySelector("th")?.textContent ?? "", ...[...tr.querySelectorAll("td")].slice(0, 2).map((td) => td.getAttribute("data-value"))]),
    );
    expect(accounts).toEqual(
      Object.keys(now.namespaces).map((account) => [
        account,
        String(now.namespaces[account]?.cpu_num_hours),
        String(december.namespaces[account]?.cpu_num_hours),
      ]),
    );
  });

  it("ranks the top accounts and users (pseudonyms, never an owner id), and images and queues where the records have them", async () => {
    for (const site of sites) {
      for (const name of site.periods) {
        const { from, to } = daysOf(name);
        const report = await cliReport(site.path, from, to);
        await openStatic(site, `reports/${name}`);
        expect(await page.$$eval(".top-groups", (tables) => tables.map((table) => table.getAttribute("data-by")))).toEqual(site.rankings);
        const ranked = await page.$$eval('.top-groups[data-by="account"] tbody tr:not(.others)', (trs) =>
          trs.map((tr) => [tr.querySelector("th")?.textContent ?? "", tr.querySelector("td[data-value]")?.getAttribute("data-value")]),
        );
        const expected = Object.entries(report.namespaces)
          .filter(([, usage]) => (usage.cpu_num_hours ?? 0) > 0 || (usage.gpu_num_hours ?? 0) > 0 || usage.jobs > 0)
          .sort(([a, x], [b, y]) => (y.cpu_num_hours ?? 0) - (x.cpu_num_hours ?? 0) || (y.gpu_num_hours ?? 0) - (x.gpu_num_hours ?? 0) || (a < b ? -1 : 1))
          .slice(0, 10)
          .map(([account, usage]) => [account, String(usage.cpu_num_hours ?? 0)]);
        expect(
          ranked.map(([account]) => account),
          `${site.name} ${name}`,
        ).toEqual(expected.map(([account]) => account));
        // The same hours, added up by the breakdown's query rather than the report's.
        for (const [i, [account, value]] of ranked.entries()) expect(Number(value), `${site.name} ${name} ${account}`).toBeCloseTo(Number(expected[i]?.[1]), 6);
        const users = await page.$$eval('.top-groups[data-by="user"] tbody tr:not(.others) th', (ths) => ths.map((th) => th.textContent ?? ""));
        expect(users.length, `${site.name} ${name}`).toBe(Math.min(10, report.total.users));
        for (const user of users) expect(user).toMatch(/^user-[0-9a-f]{12}$/);
        // No owner id (the generator's are emails) anywhere in what the page shows or holds.
        expect(await page.innerHTML("main")).not.toMatch(/[\w.+-]+@[a-z-]+\.[a-z]{2,}/i);
      }
    }
  });

  it("escapes the archive's names: text, never HTML nor script", async () => {
    const [generated] = sites as [Site];
    await openStatic(generated, "reports/2024-01");
    const heads = await page.$$eval(".period-accounting tbody th", (ths) => ths.map((th) => th.firstChild?.textContent ?? ""));
    expect(heads).toContain(HOSTILE_ACCOUNT);
    expect(await page.locator(".period-accounting img").count()).toBe(0);
    // With JavaScript: the chart's data holds the name too, and nothing runs.
    await scriptedPage.goto(`${generated.site.url}reports/2024-01`, { waitUntil: "networkidle" });
    await scriptedPage.waitForSelector(".usage-charts figure svg", { timeout: 30_000 });
    expect(await scriptedPage.locator(".observablehq--error").count()).toBe(0);
    expect(await scriptedPage.textContent(".usage-charts")).toContain(HOSTILE_ACCOUNT);
  });

  it("draws the daily usage per account with JavaScript, reaching no other host", async () => {
    for (const site of sites) {
      const name = site.periods[0] as string;
      await scriptedPage.goto(`${site.site.url}reports/${name}`, { waitUntil: "networkidle" });
      await scriptedPage.waitForSelector(".usage-charts figure svg", { timeout: 30_000 });
      const titles = await scriptedPage.$$eval(".usage-charts h2", (h2s) => h2s.map((h2) => h2.firstChild?.textContent?.trim()));
      expect(titles[0], site.name).toBe("CPU cores, daily mean");
      expect(await scriptedPage.locator(".observablehq--error").count()).toBe(0);
    }
  });

  it("prints every row of a month's report and no control, and needs no horizontal scrolling on a phone", async () => {
    for (const site of sites) {
      const name = site.periods[1] as string;
      await scriptedPage.goto(`${site.site.url}reports/${name}`, { waitUntil: "networkidle" });
      await scriptedPage.waitForSelector(".usage-charts figure svg", { timeout: 30_000 });
      await scriptedPage.emulateMedia({ media: "print" });
      try {
        const rows = await scriptedPage.$$eval("main table tr", (trs) => trs.filter((tr) => (tr as HTMLElement).offsetParent === null).length);
        expect(rows, `${site.name} ${name}: rows hidden in print`).toBe(0);
        expect(await scriptedPage.locator("main table tbody tr").count()).toBeGreaterThan(METRICS.length);
        for (const control of ["input", "select", "button", "textarea", "form", ".csv-download", ".period-nav", "#observablehq-sidebar"]) {
          const shown = await scriptedPage.$$eval(control, (elements) => elements.filter((element) => (element as HTMLElement).offsetParent !== null).length);
          expect(shown, `${site.name} ${name}: ${control} in print`).toBe(0);
        }
        // Nothing cut at the right edge of an A4 page.
        const wide = await scriptedPage.$$eval(
          "main table",
          (tables) => tables.filter((table) => table.scrollWidth > table.parentElement!.clientWidth + 1).length,
        );
        expect(wide, `${site.name} ${name}: tables wider than the printed page`).toBe(0);
        const pdf = await scriptedPage.pdf({ format: "A4" });
        expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
      } finally {
        await scriptedPage.emulateMedia({ media: "screen" });
      }
      await scriptedPage.setViewportSize({ width: 390, height: 844 });
      try {
        for (const path of [`reports/${name}`, "reports/"]) {
          await scriptedPage.goto(`${site.site.url}${path}`, { waitUntil: "networkidle" });
          await scriptedPage.waitForTimeout(300);
          expect(await scriptedPage.evaluate(() => document.documentElement.scrollWidth), `${site.name} ${path}`).toBeLessThanOrEqual(390);
        }
      } finally {
        await scriptedPage.setViewportSize({ width: 1280, height: 720 });
      }
    }
  });
});
