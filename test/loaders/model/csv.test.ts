import { describe, expect, it } from "vitest";
import { reportCsv, rowsCsv } from "../../../loaders/model/csv.js";
import { METRICS, type Usage } from "../../../loaders/queries/report.js";

describe("rowsCsv", () => {
  it("quotes cells with commas or quotes, and keeps numbers whole", () => {
    const rows = [
      { a: "a,b", b: 'say "hi"' },
      { a: "plain", b: 12.5 },
      { a: null, b: 0.1 + 0.2 },
    ];
    expect(rowsCsv(rows, ["a", "b"])).toBe('a,b\n"a,b","say ""hi"""\nplain,12.5\n,0.30000000000000004\n');
  });

  it("defuses text a spreadsheet would run as a formula, not negative numbers", () => {
    const rows = ['=HYPERLINK("x")', "+1", "-rm", "@SUM(A1)", "\tx", "\rx", -3].map((value) => ({ value }));
    expect(rowsCsv(rows, ["value"]).split("\n")).toEqual(["value", `"'=HYPERLINK(""x"")"`, "'+1", "'-rm", "'@SUM(A1)", "'\\x09x", "'\\x0dx", "-3", ""]);
  });

  it("escapes control characters in cells as the command's tables do: one line per row, inert in a terminal", () => {
    const rows = [
      { a: "two\nlines", b: "\u001b]0;owned\u0007\u001b[2J" },
      { a: "\u202eevil", b: "a\u009bb" },
    ];
    const csv = rowsCsv(rows, ["a", "b"]);
    expect(csv).toBe("a,b\ntwo\\x0alines,\\x1b]0;owned\\x07\\x1b[2J\n\\u202eevil,a\\x9bb\n");
    expect(csv).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  });

  it("defuses, escapes and quotes column names too: they may be namespaces", () => {
    expect(rowsCsv([{ "=x": 1, "a,b": 2, "c\u001bd": 3 }], ["=x", "a,b", "c\u001bd"])).toBe(`'=x,"a,b",c\\x1bd\n1,2,3\n`);
  });

  it("writes only the columns named, in their order, and a header alone for no rows", () => {
    expect(rowsCsv([{ a: 1, b: 2, c: 3 }], ["c", "a"])).toBe("c,a\n3,1\n");
    expect(rowsCsv([], ["c", "a"])).toBe("c,a\n");
  });
});

describe("reportCsv", () => {
  const usage = (cpu: number): Usage => ({ cpu_num_hours: cpu, cpu_MHz_hours: 0, gpu_num_hours: 0, memory_MB_hours: 0, disk_MB_hours: 0, jobs: 1, users: 1 });

  it("has a row per namespace, then the total, told apart by the first column", () => {
    const csv = reportCsv({ from: "2024-03-01", to: "2024-03-01", mode: "exact", namespaces: { "=vo": usage(1.5) }, total: usage(1.5) });
    expect(csv).toBe(`row,namespace,${METRICS.join(",")}\nnamespace,'=vo,1.5,0,0,0,0,1,1\ntotal,,1.5,0,0,0,0,1,1\n`);
  });

  it("tells the total from namespaces named total or nothing", () => {
    const csv = reportCsv({ from: "2024-03-01", to: "2024-03-01", mode: "exact", namespaces: { total: usage(1), "": usage(2) }, total: usage(3) });
    const rows = csv
      .trimEnd()
      .split("\n")
      .slice(1)
      .map((line) => line.split(",").slice(0, 3));
    expect(rows).toEqual([
      ["namespace", "total", "1"],
      ["namespace", "", "2"],
      ["total", "", "3"],
    ]);
  });
});
