import { describe, expect, it } from "vitest";
import { csvCell } from "../../loaders/csv.js";

describe("csvCell", () => {
  it("quotes cells with commas, quotes or line breaks", () => {
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell(12.5)).toBe("12.5");
  });
  it("defuses text a spreadsheet would run as a formula, not negative numbers", () => {
    expect(csvCell("=HYPERLINK(\"x\")")).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-rm")).toBe("'-rm");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell(-3)).toBe("-3");
  });
});
