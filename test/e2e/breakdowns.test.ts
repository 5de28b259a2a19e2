import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Download, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { binLabel, type Breakdown } from "../../loaders/queries/breakdown.js";
import { METRICS, type Usage } from "../../loaders/queries/report.js";
import { serveStatic, type StaticSite } from "../../scripts/static-server.js";
import { temporaryFolder } from "../helpers/archive.js";
import { chromiumMissing, launchChromium } from "../helpers/chromium.js";
import { runCli } from "../helpers/cli.js";
import { copyProject, ROOT } from "../helpers/project.js";
import { BrowserWatch, buildSite } from "../helpers/site-build.js";

/*
 * The breakdowns page (`/breakdowns`) of a site built with `npm run build` on the mixed archive (Nomad snapshots,
 * Slurm, Grid Engine and Flux records), in Chromium: its table must hold what `accounting report --by … --bin …
 * --top N --format json` reports for the same choice, its CSV download be that command's CSV, its chart an SVG
 * of bars, downloadable as SVG and PNG; users by pseudonym; no page may log an error or reach another host.
 */

const BASE = "/accounting-breakdowns/";
const ARCHIVE = join(ROOT, "test/fixtures/archives/mixed");
/** The breakdowns compared with the CLI: a dimension of the intervals and one of the jobs (Nomad's runs have no queue). */
const CHOICES = [
  { by: "account", top: 3 },
  { by: "queue", top: 3 },
];

let work: string;
let site: StaticSite;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const watch = new BrowserWatch();

/** `accounting report --by <by> --bin month --top <top>` on the mixed archive, in this process. */
async function cliBreakdown(by: string, top: number, format: "json" | "csv"): Promise<string> {
  const result = await runCli(["report", "--archive", ARCHIVE, "--by", by, "--bin", "month", "--top", String(top), "--format", format, "--problems", "none"]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

/** Opens the page with a query and waits for its numbers, or for why there are none. */
async function open(query: string): Promise<void> {
  const response = await page.goto(`${site.url}breakdowns?${query}`, { waitUntil: "networkidle" });
  expect(response?.status()).toBe(200);
  await page.waitForSelector(".breakdown, .period-problem", { timeout: 30_000 });
  expect(await page.locator(".observablehq--error").count(), `breakdowns?${query}: cells in error`).toBe(0);
}

/** A row of the page's table: its bin, its group, and each number's exact value (missing: the cell is empty, —). */
interface Row {
  bin: string;
  group: string;
  values: Record<string, string>;
}

/** The rows of the page's table, whose first columns are the bin (`binned`) and the group. */
function readRows(target: Page, binned: boolean): Promise<Row[]> {
  return target.$$eval(
    ".breakdown .data-table tbody tr",
    (trs, binned) =>
      trs.map((tr) => {
        // The first cell is the table's selection column.
        const texts = [...tr.querySelectorAll("td")].slice(1).map((td) => td.textContent ?? "");
        const values = Object.fromEntries(
          [...tr.querySelectorAll("[data-metric]")].map((span) => [span.getAttribute("data-metric"), span.getAttribute("data-value")]),
        );
        return { bin: binned ? (texts[0] ?? "") : "", group: texts[binned ? 1 : 0] ?? "", values };
      }),
    binned,
  );
}

/** The rows the page must show for the CLI's breakdowns: per bin, its groups (`(none)` for ""), `(other)`, `Total`. */
function expectedRows(breakdowns: (Omit<Breakdown, "groups"> & { groups: Record<string, Usage> })[]): { bin: string; group: string; usage: Usage }[] {
  return breakdowns.flatMap((breakdown) => {
    const bin = binLabel("month", breakdown.from);
    return [
      ...Object.entries(breakdown.groups).map(([value, usage]) => ({ bin, group: value === "" ? "(none)" : value, usage })),
      ...(breakdown.other ? [{ bin, group: "(other)", usage: breakdown.other }] : []),
      { bin, group: "Total", usage: breakdown.total },
    ];
  });
}

/** How the page's rows differ from the CLI's; empty when they agree. Hours to the last bits but for the sums' order. */
function differences(rows: Row[], expected: ReturnType<typeof expectedRows>): string[] {
  const found: string[] = [];
  if (rows.length !== expected.length) found.push(`${rows.length} rows, CLI ${expected.length}`);
  expected.forEach(({ bin, group, usage }, i) => {
    const row = rows[i];
    const name = `${bin} ${group}`;
    if (!row || row.bin !== bin || row.group !== group) {
      found.push(`row ${i}: page ${row?.bin} ${row?.group}, CLI ${name}`);
      return;
    }
    for (const metric of METRICS) {
      const value = usage[metric];
      const shown = row.values[metric];
      if (value === null) {
        if (shown !== undefined) found.push(`${name} ${metric}: page ${shown}, CLI null`);
      } else if (shown === undefined || Math.abs(Number(shown) - value) > 1e-9 * Math.abs(value)) found.push(`${name} ${metric}: page ${shown}, CLI ${value}`);
    }
  });
  return found;
}

/** Clicks a download link and waits for its file: its name and bytes. */
async function download(link: string): Promise<{ name: string; bytes: Buffer }> {
  const [file] = (await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), page.click(link)])) as [Download, void];
  return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
}

const missing = chromiumMissing();
if (missing && !process.env.CI) console.warn(missing);

describe.skipIf(missing !== undefined && !process.env.CI)("the breakdowns page, in Chromium", { timeout: 120_000 }, () => {
  beforeAll(async () => {
    if (missing) throw new Error(`${missing} (CI must run the browser tests)`);
    work = temporaryFolder("accounting-breakdowns-e2e-");
    const project = join(work, "project");
    copyProject(project);
    site = await serveStatic(await buildSite(project, ARCHIVE, join(work, "dist")), BASE);
    watch.origins.add(new URL(site.url).origin);
    browser = await launchChromium();
    context = await watch.offline(await browser.newContext({ acceptDownloads: true }));
    page = watch.watch(await context.newPage());
  }, 400_000);

  afterEach(() => {
    expect(watch.news(), "console errors, page errors, dialogs, failed or external requests").toEqual([]);
  });

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await site?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  for (const { by, top } of CHOICES) {
    it(`shows per month the top ${top} ${by} groups, the others and the total, as accounting report --by ${by} --bin month --top ${top}`, async () => {
      await open(`by=${by}&keep=top&n=${top}&bin=month`);
      await page.waitForSelector(`.breakdown[data-by="${by}"][data-bin="month"] .data-table tbody tr`);
      const expected = expectedRows(JSON.parse(await cliBreakdown(by, top, "json")));
      expect(expected.some((row) => row.group === "(other)")).toBe(true);
      expect(differences(await readRows(page, true), expected), `by ${by}: the page differs from the CLI`).toEqual([]);
      // The choice is kept in the URL, beside the period.
      expect(Object.fromEntries(new URL(page.url()).searchParams)).toMatchObject({ mode: "exact", by, keep: "top", n: String(top), bin: "month" });
    });

    it(`draws the ${by} breakdown as stacked bars, and saves it as the CLI's CSV, as SVG and as PNG`, async () => {
      await open(`by=${by}&keep=top&n=${top}&bin=month`);
      await page.waitForSelector(".breakdown-chart svg");
      expect(await page.locator('.breakdown-chart svg [aria-label="bar"] rect').count()).toBeGreaterThan(0);
      const file = `breakdown_${by}_month_2024-02-29_2024-03-02`;

      const csv = await download(".breakdown .period a.csv-download");
      expect(csv.name).toBe(`${file}.csv`);
      expect(csv.bytes.toString("utf8")).toBe(await cliBreakdown(by, top, "csv"));

      const svg = await download('.breakdown-chart a:text("Download SVG")');
      expect(svg.name).toBe(`${file}.svg`);
      const text = svg.bytes.toString("utf8");
      expect(text.startsWith("<svg")).toBe(true);
      expect(text).toContain('xmlns="http://www.w3.org/2000/svg"');
      expect(text).toMatch(/<rect [^>]*fill="#[0-9a-f]{6}"/);

      const png = await download('.breakdown-chart a:text("Download PNG")');
      expect(png.name).toBe(`${file}.png`);
      expect([...png.bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.bytes.length).toBeGreaterThan(1000);
    });
  }

  it("names users by pseudonym, never by owner id, and draws a bar per group without bins", async () => {
    await open("by=user&keep=top&n=5&bin=none");
    await page.waitForSelector('.breakdown[data-by="user"] .data-table tbody tr');
    const groups = (await readRows(page, false)).map((row) => row.group);
    expect(
      groups.slice(0, 5).every((group) => /^user-[0-9a-f]{12}$/.test(group)),
      groups.join(", "),
    ).toBe(true);
    expect(groups.slice(5)).toEqual(["(other)", "Total"]);
    expect(await page.innerHTML("main")).not.toContain("@egi.eu");
    expect(await page.locator('.breakdown-chart svg [aria-label="bar"] rect').count()).toBe(6);
  });

  it("shows no number for a period that is not one, or a mode the archive has not, saying why", async () => {
    await open("from=2030-01-01&by=account");
    expect(await page.textContent(".period-problem")).toBe(
      "No numbers: the period is empty: it starts on 2030-01-01, after it ends on 2024-03-02 (the archive's last day).",
    );
    await open("mode=compat&by=account&bin=month");
    expect(await page.textContent(".period-problem")).toMatch(/^No numbers: compat mode reproduces upstream usage_stats\.py, on Nomad snapshots only/);
    expect(await page.locator(".breakdown").count()).toBe(0);
  });
});
