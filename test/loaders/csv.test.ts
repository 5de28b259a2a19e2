import { describe, expect, it } from "vitest";
import { reportCsv, rowsCsv } from "../../loaders/csv.js";

describe("rowsCsv", () => {
  it("quotes cells with commas, quotes or line breaks, and keeps numbers whole", () => {
    const rows = [{ a: "a,b", b: 'say "hi"' }, { a: "two\nlines", b: 12.5 }, { a: null, b: 0.1 + 0.2 }];
    expect(rowsCsv(rows, ["a", "b"])).toBe('a,b\n"a,b","say ""hi"""\n"two\nlines",12.5\n,0.30000000000000004\n');
  });

  it("defuses text a spreadsheet would run as a formula, not negative numbers", () => {
    const rows = ['=HYPERLINK("x")', "+1", "-rm", "@SUM(A1)", "\tx", -3].map((value) => ({ value }));
    expect(rowsCsv(rows, ["value"]).split("\n")).toEqual(["value", `"'=HYPERLINK(""x"")"`, "'+1", "'-rm", "'@SUM(A1)", "'\tx", "-3", ""]);
  });

  it("defuses and quotes column names too: they may be namespaces", () => {
    expect(rowsCsv([{ "=x": 1, "a,b": 2 }], ["=x", "a,b"])).toBe(`'=x,"a,b"\n1,2\n`);
  });

  it("writes only the columns named, in their order, and a header alone for no rows", () => {
    expect(rowsCsv([{ a: 1, b: 2, c: 3 }], ["c", "a"])).toBe("c,a\n3,1\n");
    expect(rowsCsv([], ["c", "a"])).toBe("c,a\n");
  });
});

describe("reportCsv", () => {
  it("has a row per namespace, then the total", () => {
    const usage = { cpu_num_hours: 1.5, cpu_MHz_hours: 0, gpu_num_hours: 0, memory_MB_hours: 0, disk_MB_hours: 0, jobs: 1, users: 1 };
    const csv = reportCsv({ from: "2024-03-01", to: "2024-03-01", mode: "exact", namespaces: { "=vo": usage }, total: usage });
    expect(csv).toBe(
      "namespace,cpu_num_hours,cpu_MHz_hours,gpu_num_hours,memory_MB_hours,disk_MB_hours,jobs,users\n'=vo,1.5,0,0,0,0,1,1\ntotal,1.5,0,0,0,0,1,1\n",
    );
  });
});
