import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountingDatabase } from "../../../loaders/ingest/database.js";
import { runBreakdown } from "../../../loaders/queries/breakdown.js";
import { dailyPeaksSql, groupTimesSql, jobMeasuresSql, measureSummariesSql } from "../../../loaders/queries/distributions.js";
import { jobUsageSql, ownerUsageSql, runReport, type Mode } from "../../../loaders/queries/report.js";
import type { Connector } from "../../../loaders/queries/sql.js";
import { monthsBetween } from "../../../loaders/site/site-tables.js";
import { plainRows, rows, wasmCopyOf, type WasmDatabase } from "../../helpers/engines.js";
import { ROOT } from "../../helpers/project.js";
import { loadedDatabase } from "../../helpers/tables.js";

describe("monthsBetween", () => {
  it("lists the months of a period, across years, and none for an inverted one", () => {
    expect(monthsBetween("2024-04-01", "2024-03-31")).toEqual([]);
    expect(monthsBetween("2024-03-05", "2024-03-05")).toEqual(["2024-03"]);
    expect(monthsBetween("2023-11-30", "2024-02-01")).toEqual(["2023-11", "2023-12", "2024-01", "2024-02"]);
    expect(() => monthsBetween("2024-02-30", "2024-03-01")).toThrow(RangeError);
  });
});

/**
 * The browser fetches the months a period needs only (loaders/site/site-tables.ts): with only those months in
 * DuckDB-WASM, every query of the pages gives, to the last bit, what the whole site's tables give (the report: what the
 * CLI's tables give; the site's owners and jobs are numbers, not the CLI's ids), on the sample archive
 * (Nomad, 2024-01-01 to 2024-03-13) and on the mixed one (Slurm, Grid Engine, Flux, Nomad).
 */
const ARCHIVES = [
  {
    name: "sample",
    path: join(ROOT, "data/sample"),
    modes: ["exact", "compat"] as Mode[],
    periods: [
      { from: "2024-02-01", to: "2024-02-29" },
      { from: "2024-01-20", to: "2024-02-10" },
      { from: "2024-03-01", to: "2024-03-13" },
      { from: "2023-12-15", to: "2024-01-05" },
    ],
  },
  {
    name: "mixed",
    path: join(ROOT, "test/fixtures/archives/mixed"),
    modes: ["exact"] as Mode[],
    periods: [
      { from: "2024-02-01", to: "2024-02-29" },
      { from: "2024-03-01", to: "2024-03-31" },
      { from: "2024-02-15", to: "2024-03-10" },
    ],
  },
];

/** The days from `day` to the last of its month. */
function monthEnd(day: string): number {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month, 0)).getUTCDate() - date;
}

describe.each(ARCHIVES)("the monthly tables of the $name archive", ({ path, modes, periods }) => {
  let native: AccountingDatabase;
  let whole: WasmDatabase;
  beforeAll(async () => {
    native = await loadedDatabase(path);
    whole = await wasmCopyOf(native);
  }, 60_000);
  afterAll(() => {
    whole?.close();
    native?.close();
  });
  const nativeConnector = (): Connector => ({ query: async <T>(sql: string) => plainRows(await rows(native, sql)) as T[] });
  const wasmConnector = (wasm: WasmDatabase): Connector => ({ query: async <T>(sql: string) => wasm.query(sql) as T[] });

  it.each(periods)("hold what a period from $from to $to needs, and only its months' jobs", async (period) => {
    const wasm = await wasmCopyOf(native, period);
    try {
      // Every job active in the period's months, with all its runs, and no other.
      const months = `SELECT DISTINCT job_id FROM intervals
WHERE least(start_time, first_snapshot) < '${period.to}'::DATE + INTERVAL 1 DAY + INTERVAL (${monthEnd(period.to)}) DAY
  AND greatest(end_time, last_snapshot) >= date_trunc('month', '${period.from}'::DATE) ORDER BY job_id`;
      expect(wasm.query("SELECT DISTINCT job_id FROM intervals ORDER BY job_id")).toEqual(whole.query(months));
      expect(wasm.query("SELECT count(*) AS n FROM intervals")).toEqual(whole.query(`SELECT count(*) AS n FROM intervals WHERE job_id IN (${months})`));
      for (const mode of modes) {
        const request = { ...period, mode };
        const label = `${mode} ${period.from}..${period.to}`;
        expect(await runReport(wasmConnector(wasm), request), label).toEqual(await runReport(nativeConnector(), request));
        for (const sql of [ownerUsageSql(request), jobUsageSql(request, 50)]) expect(wasm.query(sql), label).toEqual(whole.query(sql));
        for (const by of ["user", "kind", "queue", "cores"] as const) {
          const breakdown = { ...request, by, top: 3, bin: mode === "exact" ? ("week" as const) : undefined };
          expect(await runBreakdown(wasmConnector(wasm), breakdown), `${label} ${by}`).toEqual(await runBreakdown(wasmConnector(whole), breakdown));
        }
      }
      for (const sql of [
        measureSummariesSql(period),
        jobMeasuresSql(period),
        dailyPeaksSql(period),
        groupTimesSql(period, "user"),
        groupTimesSql(period, "queue"),
      ])
        expect(wasm.query(sql)).toEqual(whole.query(sql));
    } finally {
      wasm.close();
    }
  });

  it("keeps each run once, in the CLI's order, however the months were fetched", async () => {
    const wasm = await wasmCopyOf(native, periods[0]);
    const runs = (db: WasmDatabase) => db.query("SELECT job_id, run FROM intervals").map((row) => `${String(row.job_id)}:${String(row.run)}`);
    const order = runs(whole);
    try {
      for (const period of [...periods.slice(1), {}]) {
        await wasm.cover(period);
        const held = runs(wasm);
        expect(new Set(held).size).toBe(held.length);
        const holds = new Set(held);
        expect(held).toEqual(order.filter((run) => holds.has(run)));
      }
      expect(runs(wasm)).toEqual(order);
      const jobs = (db: WasmDatabase) => db.query("SELECT job_id FROM jobs").map((row) => row.job_id);
      expect(jobs(wasm)).toEqual(jobs(whole));
    } finally {
      wasm.close();
    }
    // The whole site's runs in the order of the CLI's table (their job's key, then their start and first snapshot).
    const scanned =
      "SELECT source, cluster, account, epoch_us(start_time)::VARCHAR AS s, epoch_us(first_snapshot)::VARCHAR AS f, cpu_num, memory_MB FROM intervals";
    expect(whole.query(scanned)).toEqual(plainRows(await rows(native, scanned)));
    const [{ count }] = whole.query("SELECT count(*) AS count FROM intervals") as [{ count: number }];
    expect(count).toBe((await rows<{ count: number }>(native, "SELECT count(*)::INTEGER AS count FROM intervals"))[0]!.count);
  });
});
