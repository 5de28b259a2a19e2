import { describe, expect, it } from "vitest";
import { periodsCovering, previousPeriod, reportPeriod, yearBefore, type ReportPeriod } from "../../../loaders/site/periods.js";

const period = (name: string) => reportPeriod(name) as ReportPeriod;
const bounds = (found: ReportPeriod | undefined) => found && `${found.name} ${found.from} ${found.to} ${found.label}`;

describe("reportPeriod", () => {
  it("names months, quarters and years by their first and last day, February of a leap year included", () => {
    expect(bounds(reportPeriod("2024-11"))).toBe("2024-11 2024-11-01 2024-11-30 November 2024");
    expect(bounds(reportPeriod("2024-02"))).toBe("2024-02 2024-02-01 2024-02-29 February 2024");
    expect(bounds(reportPeriod("2023-02"))).toBe("2023-02 2023-02-01 2023-02-28 February 2023");
    expect(bounds(reportPeriod("2024-12"))).toBe("2024-12 2024-12-01 2024-12-31 December 2024");
    expect(bounds(reportPeriod("2024-Q1"))).toBe("2024-Q1 2024-01-01 2024-03-31 Q1 2024");
    expect(bounds(reportPeriod("2024-Q4"))).toBe("2024-Q4 2024-10-01 2024-12-31 Q4 2024");
    expect(bounds(reportPeriod("2024"))).toBe("2024 2024-01-01 2024-12-31 2024");
    expect(reportPeriod("2024-11")?.kind).toBe("month");
    expect(reportPeriod("2024-Q4")?.kind).toBe("quarter");
    expect(reportPeriod("2024")?.kind).toBe("year");
  });

  it("names no period for anything else", () => {
    for (const name of ["2024-13", "2024-00", "2024-Q5", "2024-Q0", "2024-1", "24", "2024-11-01", "index", "", "../2024", "1969"])
      expect(reportPeriod(name), name).toBeUndefined();
  });
});

describe("previousPeriod and yearBefore", () => {
  it("step back across the turn of a year", () => {
    expect(previousPeriod(period("2024-01")).name).toBe("2023-12");
    expect(previousPeriod(period("2024-03")).name).toBe("2024-02");
    expect(previousPeriod(period("2024-Q1")).name).toBe("2023-Q4");
    expect(previousPeriod(period("2024-Q3")).name).toBe("2024-Q2");
    expect(previousPeriod(period("2024")).name).toBe("2023");
    expect(yearBefore(period("2024-02"))).toEqual(period("2023-02"));
    expect(yearBefore(period("2024-Q1"))).toEqual(period("2023-Q1"));
    expect(yearBefore(period("2024"))).toEqual(period("2023"));
  });
});

describe("periodsCovering", () => {
  it("lists every month, quarter and year holding a day of the archive, each kind newest first", () => {
    const names = periodsCovering("2023-11-15", "2024-02-03").map((found) => found.name);
    expect(names).toEqual(["2024-02", "2024-01", "2023-12", "2023-11", "2024-Q1", "2023-Q4", "2024", "2023"]);
  });

  it("lists a month, its quarter and its year for an archive of one day", () => {
    expect(periodsCovering("2024-05-31", "2024-05-31").map((found) => found.name)).toEqual(["2024-05", "2024-Q2", "2024"]);
  });

  it("covers every day from the first to the last, with no day twice, for each kind", () => {
    const found = periodsCovering("2022-12-31", "2024-03-01");
    for (const kind of ["month", "quarter", "year"] as const) {
      const oldestFirst = found.filter((p) => p.kind === kind).reverse();
      expect((oldestFirst[0]?.from as string) <= "2022-12-31" && (oldestFirst.at(-1)?.to as string) >= "2024-03-01", kind).toBe(true);
      for (const [i, p] of oldestFirst.entries()) {
        const next = oldestFirst[i + 1];
        if (next) expect(previousPeriod(next), `${kind} after ${p.name}`).toEqual(p);
      }
    }
    expect(found.filter((p) => p.kind === "month")).toHaveLength(16);
    expect(found.filter((p) => p.kind === "quarter")).toHaveLength(6);
    expect(found.filter((p) => p.kind === "year").map((p) => p.name)).toEqual(["2024", "2023", "2022"]);
  });
});
