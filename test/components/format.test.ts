import { describe, expect, it } from "vitest";
import { formatMetric } from "../../src/components/format.js";

describe("formatMetric", () => {
  it("shows hours to the hour with thousands separators, small values to the hundredth", () => {
    expect(formatMetric("cpu_num_hours", 115516.46244374)).toBe("115,516");
    expect(formatMetric("memory_MB_hours", 446449019.3640178)).toBe("446,449,019");
    expect(formatMetric("gpu_num_hours", 3.14159)).toBe("3.14");
    expect(formatMetric("gpu_num_hours", 0)).toBe("0");
  });
  it("shows jobs and users as whole numbers", () => {
    expect(formatMetric("jobs", 1234)).toBe("1,234");
    expect(formatMetric("users", 7)).toBe("7");
  });
});
