import { describe, expect, it } from "vitest";
import { PRESETS, presetOf, presetPeriod, searchFromState, stateFromSearch } from "../../src/components/period.js";

describe("presetPeriod", () => {
  it.each([
    ["this-month", "2024-03-15", "2024-03-01", "2024-03-31"],
    ["this-month", "2024-02-10", "2024-02-01", "2024-02-29"],
    ["last-month", "2024-03-15", "2024-02-01", "2024-02-29"],
    ["last-month", "2024-01-31", "2023-12-01", "2023-12-31"],
    ["this-quarter", "2024-05-20", "2024-04-01", "2024-06-30"],
    ["this-quarter", "2024-12-31", "2024-10-01", "2024-12-31"],
    ["last-quarter", "2024-02-29", "2023-10-01", "2023-12-31"],
    ["last-quarter", "2024-08-01", "2024-04-01", "2024-06-30"],
    ["this-year", "2024-03-15", "2024-01-01", "2024-12-31"],
    ["last-year", "2024-03-15", "2023-01-01", "2023-12-31"],
  ] as const)("%s of %s is %s to %s", (preset, today, from, to) => {
    expect(presetPeriod(preset, today)).toEqual({ from, to });
  });
});

describe("presetOf", () => {
  it("names the preset a period is, the whole archive, or custom dates", () => {
    expect(presetOf({ mode: "exact" }, "2024-03-15")).toBe("whole");
    for (const preset of PRESETS) expect(presetOf({ ...presetPeriod(preset, "2024-03-15"), mode: "compat" }, "2024-03-15")).toBe(preset);
    expect(presetOf({ from: "2024-03-02", to: "2024-03-31", mode: "exact" }, "2024-03-15")).toBe("custom");
    expect(presetOf({ from: "2024-03-01", mode: "exact" }, "2024-03-15")).toBe("custom");
  });
});

describe("URL state", () => {
  it("reads from, to and mode, and writes them back", () => {
    const state = stateFromSearch("?from=2024-03-01&to=2024-03-31&mode=compat");
    expect(state).toEqual({ from: "2024-03-01", to: "2024-03-31", mode: "compat" });
    expect(searchFromState(state)).toBe("?from=2024-03-01&to=2024-03-31&mode=compat");
  });
  it("defaults to the whole archive in exact mode, as the CLI", () => {
    expect(stateFromSearch("")).toEqual({ from: undefined, to: undefined, mode: "exact" });
    expect(searchFromState({ mode: "exact" })).toBe("?mode=exact");
    // The page's other parameters (a breakdown's dimension, an account) stay as they are.
    expect(searchFromState({ from: "2024-03-01", mode: "exact" }, "?by=queue&from=2023-01-01&to=2023-12-31&bin=month")).toBe(
      "?by=queue&bin=month&from=2024-03-01&mode=exact",
    );
  });
  it("names what is not a real day or a mode, never dropping it silently", () => {
    expect(stateFromSearch("?from=2024-02-30&to=tomorrow&mode=fast").problem).toBe(
      'from "2024-02-30" is not a day (YYYY-MM-DD); to "tomorrow" is not a day (YYYY-MM-DD); mode "fast" is not exact or compat',
    );
    expect(stateFromSearch("?to=2024-03-31&from=%3Cscript%3E").problem).toBe('from "<script>" is not a day (YYYY-MM-DD)');
    expect(stateFromSearch(`?from=${"9".repeat(100)}`).problem).toBe(`from "${"9".repeat(40)}…" is not a day (YYYY-MM-DD)`);
    expect(stateFromSearch("?from=&to=").problem).toBeUndefined();
  });

  it("keeps swapped days as they are: the archive's bounds tell an empty period (loaders/coverage.ts)", () => {
    expect(stateFromSearch("?from=2024-03-31&to=2024-03-01")).toEqual({ from: "2024-03-31", to: "2024-03-01", mode: "exact" });
  });
});
