import { describe, expect, it } from "vitest";
import { formatAge, formatMetric, mega } from "../../src/components/format.js";

describe("formatMetric", () => {
  it("shows core- and GPU-hours to the hour with thousands separators, small values to the hundredth", () => {
    expect(formatMetric("cpu_num_hours", 115516.46244374)).toBe("115,516");
    expect(formatMetric("gpu_num_hours", 3.14159)).toBe("3.14");
    expect(formatMetric("gpu_num_hours", 0)).toBe("0");
  });
  it("scales memory and disk MB-hours to byte-hours with an SI prefix, and MHz-hours to hertz-hours", () => {
    expect(formatMetric("memory_MB_hours", 446449019.3640178)).toBe("446.4 TB-hours");
    expect(formatMetric("disk_MB_hours", 1536)).toBe("1.536 GB-hours");
    expect(formatMetric("disk_MB_hours", 2.5e9)).toBe("2.5 PB-hours");
    expect(formatMetric("memory_MB_hours", 0.5)).toBe("500 kB-hours");
    expect(formatMetric("memory_MB_hours", 0)).toBe("0");
    expect(formatMetric("cpu_MHz_hours", 12_345_678)).toBe("12.35 THz-hours");
  });
  it("shows jobs and users as whole numbers", () => {
    expect(formatMetric("jobs", 1234)).toBe("1,234");
    expect(formatMetric("users", 7)).toBe("7");
  });
});

describe("axis ticks", () => {
  it("scale MB to bytes in at most a few characters", () => {
    const bytes = mega("B");
    expect([0, 500, 2_000_000, 40_000_000_000].map(bytes)).toEqual(["0", "500 MB", "2 TB", "40 PB"]);
  });
});

describe("formatAge", () => {
  it("says minutes, hours or days", () => {
    expect([0.5, 5.25, 47, 74].map(formatAge)).toEqual(["30 min", "5.3 h", "47.0 h", "3.1 days"]);
  });
});
