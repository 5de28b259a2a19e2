import { describe, expect, it } from "vitest";
import { labelLanes } from "../../src/components/timeline.js";
import { dailyCsv, integerTicks } from "../../src/components/usage.js";

describe("labelLanes", () => {
  it("puts labels in one row while they do not overlap, and in the next free row where they would", () => {
    // On 600 px: labels 60 px wide at 0, 100, 150 (over the one at 100), 300, 310 (over 300 and 150's row).
    expect(labelLanes([0, 100 / 600, 150 / 600, 300 / 600, 310 / 600], [60, 60, 60, 60, 60], 600)).toEqual([0, 0, 1, 0, 1]);
    expect(labelLanes([0, 0, 0], [10, 10, 10], 600)).toEqual([0, 1, 2]);
    expect(labelLanes([], [], 600)).toEqual([]);
  });
});

describe("integerTicks", () => {
  it("are whole numbers from 0 reaching the maximum, about five of them", () => {
    expect(integerTicks(4)).toEqual([0, 1, 2, 3, 4]);
    expect(integerTicks(2)).toEqual([0, 1, 2]);
    expect(integerTicks(0)).toEqual([0, 1]);
    expect(integerTicks(33)).toEqual([0, 10, 20, 30, 40]);
    expect(integerTicks(180)).toEqual([0, 50, 100, 150, 200]);
    for (const max of [1, 3, 7, 19, 250, 999]) {
      const ticks = integerTicks(max);
      expect(ticks.every(Number.isInteger), String(max)).toBe(true);
      expect(ticks.at(-1)).toBeGreaterThanOrEqual(max);
      expect(ticks.length).toBeLessThanOrEqual(11);
    }
  });
});

describe("dailyCsv", () => {
  it("is a row per day and a column per namespace, namespaces with no row included", () => {
    const day = (d: string, account: string, cpu_num: number) => ({ day: d, account, cpu_num, gpu_num: 0, memory_MB: 0, disk_MB: 0, cpu_MHz: 0 });
    const rows = [day("2024-03-02", "b", 2), day("2024-03-01", "a", 1.5), day("2024-03-01", "b", 0), day("2024-03-02", "a", 3)];
    expect(dailyCsv(rows, "cpu_num", ["a", "b", "=c,d"])).toBe(`day,a,b,"'=c,d"\n2024-03-01,1.5,0,\n2024-03-02,3,2,\n`);
  });
});
