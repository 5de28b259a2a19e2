import { mkdirSync, readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AccountingDatabase } from "../../../../loaders/ingest/database.js";
import { HOUR_METRICS, runReport, type Mode, type Report, type Usage } from "../../../../loaders/queries/report.js";
import { formatDay, MICROS_PER_DAY, parseDay } from "../../../../loaders/model/time.js";
import { generateArchive } from "../../../../scripts/archive-generator.js";
import { copyArchive, temporaryFolder } from "../../../helpers/archive.js";
import { loadedDatabase, tablesOf, type Tables } from "../../../helpers/tables.js";
import { known } from "../../../helpers/hours.js";

/*
 * Properties of the accounting rule over archives the generator makes from a random seed, quirks included
 * (restarts, legacy records, malformed jobs, gaps, off-schedule snapshots), and over random periods of them.
 */

const START = "2024-01-01";
const DAYS = 12;
const RUNS = 25;

interface Archive {
  folder: string;
  /** Loaded once, as the CLI loads it, and kept for every property. */
  database: AccountingDatabase;
  tables: Tables;
}

const archives = new Map<number, Promise<Archive>>();

/** The archive of a seed, generated and ingested once for all the properties. */
function archiveOf(seed: number): Promise<Archive> {
  let archive = archives.get(seed);
  if (!archive) {
    archive = (async () => {
      const folder = temporaryFolder();
      await generateArchive(folder, { seed, start: START, days: DAYS, jobsPerNamespace: 6, users: 8, quirks: true, layout: "mixed", gaps: [] });
      const database = await loadedDatabase(folder, { pseudonymKey: "test" });
      return { folder, database, tables: await tablesOf(database) };
    })();
    archives.set(seed, archive);
  }
  return archive;
}

const seeds = fc.integer({ min: 1, max: 6 });
/** Days from two days before the archive to two days after it. */
const day = fc.integer({ min: -2, max: DAYS + 2 }).map((offset) => formatDay(parseDay(START)! + offset * MICROS_PER_DAY));
const period = fc.tuple(day, day).map(([a, b]) => (a <= b ? { from: a, to: b } : { from: b, to: a }));
const nextDay = (day: string) => formatDay(parseDay(day)! + MICROS_PER_DAY);

function reportsOf(database: AccountingDatabase, requests: { mode: Mode; from?: string; to?: string }[]): Promise<Report[]> {
  return Promise.all(requests.map((request) => runReport(database, request)));
}

const usages = (report: Report): Usage[] => [report.total, ...Object.values(report.namespaces)];
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

describe("the accounting rule, on random archives and periods", { timeout: 120_000 }, () => {
  it("never counts negative usage: no interval ends before it starts, no report holds a negative number", async () => {
    await fc.assert(
      fc.asyncProperty(seeds, period, fc.constantFrom<Mode>("exact", "compat"), async (seed, { from, to }, mode) => {
        const { tables, database } = await archiveOf(seed);
        for (const interval of tables.intervals) expect(interval.end_time as number).toBeGreaterThanOrEqual(interval.start_time as number);
        const [report] = await reportsOf(database, [{ mode, from, to }]);
        for (const usage of usages(report!)) for (const value of Object.values(usage)) expect(value).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: RUNS },
    );
  });

  it("adds up in exact mode: a period's hours are the sum of its two parts', however it is split", async () => {
    await fc.assert(
      fc.asyncProperty(seeds, period, fc.double({ min: 0, max: 1, noNaN: true }), async (seed, { from, to }, where) => {
        fc.pre(from < to);
        const days = Math.round((parseDay(to)! - parseDay(from)!) / MICROS_PER_DAY);
        const split = formatDay(parseDay(from)! + Math.floor(where * days) * MICROS_PER_DAY);
        const { database } = await archiveOf(seed);
        const [whole, first, second] = await reportsOf(database, [
          { mode: "exact", from, to },
          { mode: "exact", from, to: split },
          { mode: "exact", from: nextDay(split), to },
        ]);
        for (const metric of HOUR_METRICS) {
          expect(close(known(whole!.total[metric]), known(first!.total[metric]) + known(second!.total[metric])), `${metric} ${from}..${split}..${to}`).toBe(
            true,
          );
          for (const [namespace, usage] of Object.entries(whole!.namespaces)) {
            const parts = (first!.namespaces[namespace]?.[metric] ?? 0) + (second!.namespaces[namespace]?.[metric] ?? 0);
            expect(close(known(usage[metric]), parts), `${namespace} ${metric}`).toBe(true);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("never counts more in compat mode than in exact mode for the same period", async () => {
    await fc.assert(
      fc.asyncProperty(seeds, period, async (seed, { from, to }) => {
        const { database } = await archiveOf(seed);
        const [exact, compat] = await reportsOf(database, [
          { mode: "exact", from, to },
          { mode: "compat", from, to },
        ]);
        for (const [namespace, usage] of Object.entries(compat!.namespaces)) {
          for (const metric of HOUR_METRICS) {
            const bound = exact!.namespaces[namespace]?.[metric] ?? 0;
            expect(known(usage[metric]) <= bound || close(known(usage[metric]), bound), `${namespace} ${metric}: ${usage[metric]} > ${bound}`).toBe(true);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("does not depend on the folders snapshot files are in, nor on their names", async () => {
    const folderName = fc
      .stringMatching(/^[a-zA-Z0-9 ._ü☃-]{1,12}$/)
      .filter((name) => name.trim() === name && !name.startsWith(".") && !name.endsWith(".json"));
    await fc.assert(
      fc.asyncProperty(seeds, fc.array(fc.array(folderName, { maxLength: 3 }), { minLength: 1, maxLength: 4 }), fc.nat(), async (seed, folders, shuffle) => {
        const original = await archiveOf(seed);
        const moved = copyArchive(original.folder);
        const snapshots = join(moved, "snapshots");
        const files = (readdirSync(snapshots, { recursive: true }) as string[]).filter((path) => path.endsWith(".json"));
        files.forEach((path, index) => {
          const folder = join(snapshots, "moved", ...folders[(index * 7 + shuffle) % folders.length]!);
          mkdirSync(folder, { recursive: true });
          renameSync(join(snapshots, path), join(folder, path.split("/").pop()!));
        });
        const database = await loadedDatabase(moved, { pseudonymKey: "test" });
        try {
          const tables = await tablesOf(database);
          expect(tables.intervals).toEqual(original.tables.intervals);
          expect(tables.jobs).toEqual(original.tables.jobs);
          const requests = [{ mode: "exact" as const }, { mode: "compat" as const }];
          expect(await reportsOf(database, requests)).toEqual(await reportsOf(original.database, requests));
        } finally {
          database.close();
        }
      }),
      { numRuns: 10 },
    );
  });
});
