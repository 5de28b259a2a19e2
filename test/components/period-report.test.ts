import { describe, expect, it } from "vitest";
import type { Breakdown } from "../../loaders/queries/breakdown.js";
import type { Coverage } from "../../loaders/queries/coverage.js";
import { METRICS, type Report, type Usage } from "../../loaders/queries/report.js";
import type { PeriodReport, PeriodReports } from "../../loaders/site/period-reports.js";
import { reportPeriod, type ReportPeriod } from "../../loaders/site/periods.js";
import { formatMetric, METRIC_LABELS } from "../../src/components/format.js";
import { escapeHtml } from "../../src/components/markup.js";
import { formatChange, periodIndexMarkdown, periodPageMarkdown } from "../../src/components/period-report.js";
import type { ArchiveSources } from "../../src/components/sources.js";

const HOSTILE = "</script><img src=x onerror=alert(1)>${alert(2)}\n\n# heading";

const usage = (cpu: number, gpu: number, jobs: number, users: number): Usage => ({
  cpu_num_hours: cpu,
  cpu_MHz_hours: null,
  gpu_num_hours: gpu,
  memory_MB_hours: 1024 * cpu,
  disk_MB_hours: null,
  jobs,
  users,
});
const period = (name: string) => reportPeriod(name) as ReportPeriod;
const report = (name: string, physics: Usage, hostile: Usage): Report => ({
  from: period(name).from,
  to: period(name).to,
  mode: "exact",
  namespaces: { physics, [HOSTILE]: hostile },
  total: usage((physics.cpu_num_hours ?? 0) + (hostile.cpu_num_hours ?? 0), 0, physics.jobs + hostile.jobs, 2),
});
const coverage = (name: string, covered: number, provisional: boolean): Coverage => ({
  from: period(name).from,
  to: period(name).to,
  days: 30,
  covered_days: covered,
  first_snapshot: "2024-10-15T00:00:00Z",
  last_snapshot: "2024-11-20T06:00:00Z",
  provisional,
  before_first_snapshot: { cpu_num_hours: 0, cpu_MHz_hours: 0, gpu_num_hours: 0, memory_MB_hours: 0, disk_MB_hours: 0 },
  gap_hours: 9,
  gaps: [],
  known_issues: [{ from: "2024-11-02", to: "2024-11-03", title: HOSTILE, description: "line\n\nbreak" }],
});
const breakdown = (by: "account" | "user", groups: Breakdown["groups"], total: Usage): Breakdown => ({
  from: "2024-11-01",
  to: "2024-11-30",
  mode: "exact",
  by,
  bin: null,
  groups,
  other: null,
  total,
});

const november = report("2024-11", usage(100, 10, 3, 1), usage(50, 0, 1, 1));
const october = report("2024-10", usage(80, 0, 2, 1), usage(50, 0, 1, 1));
const NOVEMBER: PeriodReport = {
  period: period("2024-11"),
  report: november,
  coverage: coverage("2024-11", 19.25, true),
  previous: { period: period("2024-10"), covered_days: 17, days: 31, report: october },
  yearBefore: { period: period("2023-11"), covered_days: 0, days: 30, report: report("2023-11", usage(0, 0, 0, 0), usage(0, 0, 0, 0)) },
  top: [
    breakdown(
      "account",
      [
        { value: "physics", ...usage(100, 10, 3, 1) },
        { value: HOSTILE, ...usage(50, 0, 1, 1) },
      ],
      november.total,
    ),
    breakdown("user", [{ value: "user-0123456789ab", ...usage(150, 10, 4, 1) }], november.total),
  ],
};
const REPORTS: PeriodReports = {
  names: { "user-0123456789ab": null },
  daily: [
    { account: HOSTILE, day: "2024-11-01", cpu_num: 2, cpu_MHz: 0, gpu_num: 0, memory_MB: 10, disk_MB: 0 },
    { account: "physics", day: "2024-10-31", cpu_num: 4, cpu_MHz: 0, gpu_num: 1, memory_MB: 10, disk_MB: 0 },
  ],
  periods: [NOVEMBER, { ...NOVEMBER, period: period("2024-10"), report: october, coverage: coverage("2024-10", 17, false) }],
};
const SOURCES: ArchiveSources = {
  spans: [{ source: "slurm", cluster: "alpha", first: "2024-10-15T00:00:00Z", last: "2024-11-20T06:00:00Z" }],
  nomad: false,
  nomadOnly: false,
  words: { account: "account", accounts: "accounts", Account: "Account", Accounts: "Accounts", records: "records" },
  first: "2024-10-15T00:00:00Z",
  last: "2024-11-20T06:00:00Z",
  origins: new Map(),
};

/** The Markdown outside its fenced code blocks, where only HTML blocks and headings may be. */
const outsideCode = (markdown: string) => markdown.replace(/```js\n[\s\S]*?\n```/g, "");

describe("escapeHtml", () => {
  it("leaves no tag, entity, Framework expression or line break of the text", () => {
    const escaped = escapeHtml(HOSTILE);
    expect(escaped).not.toMatch(/[<>"'$\n\r]/);
    expect(escaped).toBe("&#60;/script&#62;&#60;img src=x onerror=alert(1)&#62;&#36;{alert(2)}&#10;&#10;# heading");
  });
});

describe("formatChange", () => {
  it("says the change in percent, new from nothing, — where a number is unknown", () => {
    expect(formatChange(110, 100)).toBe("+10%");
    expect(formatChange(87.5, 100)).toBe("-12.5%");
    expect(formatChange(0, 0)).toBe("0%");
    expect(formatChange(5, 0)).toBe("new");
    expect(formatChange(null, 4)).toBe("—");
    expect(formatChange(4, null)).toBe("—");
  });
});

describe("periodPageMarkdown", () => {
  const markdown = periodPageMarkdown(NOVEMBER, REPORTS, SOURCES);

  it("holds a cell per account and metric and for the total, each with /accounting's attributes", () => {
    const cells = [...markdown.matchAll(/<td class="number" data-namespace="([^"]*)" data-metric="(\w+)" data-value="([^"]*)">([^<]*)<\/td>/g)];
    expect(cells).toHaveLength(3 * METRICS.length);
    const physics = cells.filter(([, account]) => account === "physics");
    expect(physics.map(([, , metric, value]) => [metric, value])).toEqual(METRICS.map((metric) => [metric, String(november.namespaces.physics?.[metric])]));
    // null reads —
    expect(physics.find(([, , metric]) => metric === "disk_MB_hours")?.[4]).toBe("—");
    expect(cells.filter(([, account]) => account === escapeHtml(HOSTILE))).toHaveLength(METRICS.length);
    expect(cells.filter(([, account]) => account === "")).toHaveLength(METRICS.length);
  });

  it("keeps the archive's text out of the HTML and of the script, and every HTML block on unbroken lines", () => {
    const html = outsideCode(markdown);
    expect(html).not.toContain("<img");
    expect(html).not.toContain("${alert");
    expect(html).not.toContain("</script>");
    // A blank line inside an HTML block would hand the rest to Markdown: every block opens and closes between blank lines.
    for (const block of html.split(/\n\n+/)) {
      const opened = (block.match(/<(div|table|nav|p)\b/g) ?? []).length;
      const closed = (block.match(/<\/(div|table|nav|p)>/g) ?? []).length;
      expect(opened, block.slice(0, 80)).toBe(closed);
    }
    const script = /```js\nconst daily = (.*);\nconst view = (.*);\n/.exec(markdown);
    expect(script?.[1]).not.toContain("</");
    expect(JSON.parse(script?.[1] as string)).toEqual([REPORTS.daily[0]]);
    expect(JSON.parse(script?.[2] as string)).toMatchObject({ firstDay: "2024-11-01", lastDay: "2024-11-30", namespaces: [HOSTILE] });
  });

  it("marks a provisional period, and compares with what the records cover of the periods before", () => {
    expect(markdown).toContain('data-provisional="true"');
    expect(markdown).toContain('<p class="provisional-mark">');
    expect(markdown).toContain("October 2024<br><small>records cover 17 days of 31 days</small>");
    expect(markdown).toContain("November 2023<br><small>no records</small>");
    const hour = periodPageMarkdown({ ...NOVEMBER, previous: { ...NOVEMBER.previous, covered_days: 1 / 24 } }, REPORTS, SOURCES);
    expect(hour).toContain("October 2024<br><small>records cover 1 h of 31 days</small>");
    // CPU core-hours of the total: 150 against 130, then nothing a year before.
    expect(markdown).toMatch(
      /<th scope="row">CPU core-hours<\/th><td class="number" data-value="150">150<\/td><td class="number" data-value="130">130<\/td><td class="number change">\+15\.4%<\/td><td class="number">—<\/td><td class="number">—<\/td><\/tr>/,
    );
    expect(periodPageMarkdown(REPORTS.periods[1] as PeriodReport, REPORTS, SOURCES)).not.toContain("provisional-mark");
  });

  it("shows the same period a year before, where records cover it: its value and the change to it, for the total and each account", () => {
    const yearBefore: Report = {
      from: period("2023-11").from,
      to: period("2023-11").to,
      mode: "exact",
      // The hostile account had no usage then; an account gone since is not a row of this period.
      namespaces: { physics: usage(60, 5, 2, 1), gone: usage(25, 0, 1, 1) },
      total: usage(85, 5, 3, 2),
    };
    const page = periodPageMarkdown(
      { ...NOVEMBER, yearBefore: { period: period("2023-11"), covered_days: 12, days: 30, report: yearBefore } },
      REPORTS,
      SOURCES,
    );
    expect(page).toContain("November 2023<br><small>records cover 12 days of 30 days</small>");
    expect(page).not.toContain("no records");
    /** A change table's rows: label -> its cells, each [class, data-value or null, text]. */
    const table = (compare: string) => {
      const html = new RegExp(`<table class="period-change" data-compare="${compare}">([\\s\\S]*?)</table>`).exec(page)?.[1] ?? "";
      return new Map(
        [...html.matchAll(/<tr><th scope="row">([^<]*)<\/th>(.*?)<\/tr>/g)].map(([, label, cells]) => [
          label,
          [...cells!.matchAll(/<td class="([^"]*)"(?: data-value="([^"]*)")?>([^<]*)<\/td>/g)].map(([, className, value, text]) => [
            className,
            value ?? null,
            text,
          ]),
        ]),
      );
    };
    // The total: this period, the previous, its change, the year before, its change.
    const totals = table("total");
    expect([...totals.keys()]).toHaveLength(METRICS.length);
    for (const metric of METRICS) {
      const [now, before] = [november.total[metric], yearBefore.total[metric]];
      const cells = totals.get(METRIC_LABELS[metric]);
      expect(cells?.slice(3), metric).toEqual([
        ["number", String(before), formatMetric(metric, before)],
        ["number change", null, formatChange(now, before)],
      ]);
    }
    expect(totals.get("CPU core-hours")).toEqual([
      ["number", "150", "150"],
      ["number", "130", "130"],
      ["number change", null, "+15.4%"],
      ["number", "85", "85"],
      ["number change", null, "+76.5%"],
    ]);
    expect(totals.get("Memory-hours")?.slice(3)).toEqual([
      ["number", String(85 * 1024), "87.04 GB-hours"],
      ["number change", null, "+76.5%"],
    ]);
    expect(totals.get("Jobs")?.slice(3)).toEqual([
      ["number", "3", "3"],
      ["number change", null, "+33.3%"],
    ]);
    // Per account: physics then and now; the hostile account, which used nothing then, compares with nothing.
    const cpu = table("cpu_num_hours");
    expect([...cpu.keys()]).toEqual(["physics", escapeHtml(HOSTILE)]);
    expect(cpu.get("physics")).toEqual([
      ["number", "100", "100"],
      ["number", "80", "80"],
      ["number change", null, "+25%"],
      ["number", "60", "60"],
      ["number change", null, "+66.7%"],
    ]);
    expect(cpu.get(escapeHtml(HOSTILE))?.slice(3)).toEqual([
      ["number", null, "—"],
      ["number", null, "—"],
    ]);
    expect(table("gpu_num_hours").get("physics")?.slice(3)).toEqual([
      ["number", "5", "5"],
      ["number change", null, "+100%"],
    ]);
  });

  it("ranks accounts and users, the share of CPU core-hours of each", () => {
    expect(markdown).toContain('<div class="scroll-x top-groups" data-by="account">');
    expect(markdown).toMatch(
      /<th scope="row">physics<\/th><td class="number" data-value="100">100<\/td><td class="number" data-value="10">10<\/td><td class="number">66\.7%<\/td>/,
    );
    expect(markdown).toContain('<th scope="row">user-0123456789ab</th>');
    // Names only where the build has them: a private one.
    expect(markdown).not.toContain("<th>Name</th>");
    const named = periodPageMarkdown(NOVEMBER, { ...REPORTS, names: { "user-0123456789ab": HOSTILE } }, SOURCES);
    expect(named).toContain("<th>Name</th>");
    expect(named).toContain(`<th scope="row">user-0123456789ab</th><td>${escapeHtml(HOSTILE)}</td>`);
  });
});

describe("periodIndexMarkdown", () => {
  it("lists the periods in the order given, each linking to its page, the provisional ones said", () => {
    const markdown = periodIndexMarkdown(REPORTS, SOURCES);
    expect([...markdown.matchAll(/<tr data-period="([^"]+)"><th scope="row"><a href="\.\/([^"]+)">/g)].map(([, name, href]) => `${name} ${href}`)).toEqual([
      "2024-11 2024-11",
      "2024-10 2024-10",
    ]);
    expect(markdown).toMatch(/data-period="2024-11".*provisional<\/td><\/tr>/);
    expect(markdown).toMatch(/data-period="2024-10".*partial: 17 days<\/td><\/tr>/);
  });
});
