import { describe, expect, it } from "vitest";
import { formatDay, formatInstant, parseDay, parseRfc3339, parseTimeName, parseSubmitTime } from "../../../loaders/model/time.js";

const base = Date.UTC(2024, 2, 1, 10, 11, 12) * 1000;

describe("parseRfc3339", () => {
  it("reads 0 to 9 fraction digits, truncating below the microsecond as upstream does", () => {
    expect(parseRfc3339("2024-03-01T10:11:12Z")).toBe(base);
    expect(parseRfc3339("2024-03-01T10:11:12.1Z")).toBe(base + 100_000);
    expect(parseRfc3339("2024-03-01T10:11:12.123456Z")).toBe(base + 123_456);
    expect(parseRfc3339("2024-03-01T10:11:12.12345678Z")).toBe(base + 123_456);
    expect(parseRfc3339("2024-03-01T10:11:12.123456789Z")).toBe(base + 123_456);
    expect(parseRfc3339("2024-03-01T10:11:12.000000999Z")).toBe(base);
  });

  it("applies numeric offsets", () => {
    expect(parseRfc3339("2024-03-01T12:11:12.5+02:00")).toBe(base + 500_000);
    expect(parseRfc3339("2024-03-01T09:41:12-00:30")).toBe(base);
  });

  it("reads Go's zero time as year 1, far before any snapshot", () => {
    expect(parseRfc3339("0001-01-01T00:00:00Z")).toBe(-62135596800000000);
  });

  it("rejects malformed and impossible instants", () => {
    for (const text of [
      "",
      "2024-03-01",
      "2024-03-01 10:11:12Z",
      "2024-03-01T10:11:12",
      "2024-03-01T10:11:12.Z",
      "2024-03-01T10:11:12.1234567891Z",
      "2024-02-30T00:00:00Z",
      "2024-13-01T00:00:00Z",
      "2024-03-01T24:00:00Z",
      "2024-03-01T10:60:00Z",
      " 2024-03-01T10:11:12Z",
    ]) {
      expect(parseRfc3339(text), text).toBeUndefined();
    }
  });
});

describe("parseTimeName", () => {
  it("reads the UTC time of a snapshot file name", () => {
    expect(parseTimeName("2024-03-01T10:11:12.json", "json")).toBe(base);
    expect(parseTimeName("2024-02-29T00:00:00.json", "json")).toBe(Date.UTC(2024, 1, 29) * 1000);
  });
  it("reads it whatever the extension asked for: a Slurm dump, a Flux record file", () => {
    expect(parseTimeName("2024-03-01T10:11:12.txt", "txt")).toBe(base);
    expect(parseTimeName("2024-03-01T10:11:12.txt", "json")).toBeUndefined();
    expect(parseTimeName("2024-03-01T10:11:12.tar.gz", "gz")).toBeUndefined();
  });
  it("rejects other names", () => {
    for (const name of [
      "2024-03-01T10:11:12.JSON",
      "2024-03-01T10:11:12Z.json",
      "2023-02-29T00:00:00.json",
      "notes.json",
      "2024-03-01T10:11.json",
      "x2024-03-01T10:11:12.json",
    ]) {
      expect(parseTimeName(name, "json"), name).toBeUndefined();
    }
  });
});

describe("days and submit times", () => {
  it("parses real days only", () => {
    expect(parseDay("2024-03-01")).toBe(Date.UTC(2024, 2, 1) * 1000);
    expect(parseDay("2024-02-30")).toBeUndefined();
    expect(parseDay("2024-3-1")).toBeUndefined();
  });
  it("parses submit times in UTC", () => {
    expect(parseSubmitTime("2024-03-01 10:11:12")).toBe(base);
    expect(parseSubmitTime("2024-03-01T10:11:12")).toBeUndefined();
  });
  it("formats at microsecond precision", () => {
    expect(formatInstant(base + 123_456)).toBe("2024-03-01T10:11:12.123456Z");
    expect(formatInstant(base + 7)).toBe("2024-03-01T10:11:12.000007Z");
    expect(formatDay(base)).toBe("2024-03-01");
  });
});
