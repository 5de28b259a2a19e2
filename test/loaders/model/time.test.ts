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

/**
 * What both parsers accepted and gave when they were regular expressions, as an independent reference: the parsers now
 * read character by character, and must agree with it on every text, well-formed or one edit away from it.
 */
const REFERENCE = {
  rfc3339: /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/,
  submit: /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/,
};

function referenceParse(text: string, zoned: boolean): number | undefined {
  const m = (zoned ? REFERENCE.rfc3339 : REFERENCE.submit).exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s));
  date.setUTCFullYear(y);
  // Date.UTC rolls an impossible day or time over into the next: the fields read back tell it.
  if (mo < 1 || mo > 12 || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  const fraction = m[7] ? Number(m[7].slice(0, 6).padEnd(6, "0")) : 0;
  const offset = !zoned || m[8] ? 0 : (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) * 60_000_000;
  return date.getTime() * 1000 + fraction - offset;
}

/** Each text, and every text one character away from it: deleted, replaced or inserted, from characters that matter. */
function withEdits(texts: string[]): string[] {
  const chars = ["0", "1", "2", "9", "-", ":", ".", "T", " ", "Z", "+", "a", "٣", "\n"];
  const edited = new Set(texts);
  for (const text of texts) {
    for (let at = 0; at <= text.length; at++) {
      if (at < text.length) edited.add(text.slice(0, at) + text.slice(at + 1));
      for (const char of chars) {
        if (at < text.length) edited.add(text.slice(0, at) + char + text.slice(at + 1));
        edited.add(text.slice(0, at) + char + text.slice(at));
      }
    }
  }
  return [...edited];
}

describe("parseRfc3339 and parseSubmitTime against the regular expressions they replace", () => {
  it("agree on every text one edit away from well-formed instants, leap days, offsets and fractions", () => {
    const instants = withEdits([
      "2024-03-01T10:11:12Z",
      "2024-02-29T23:59:59.123456789+14:00",
      "2023-02-28T00:00:00.5-09:30",
      "0001-01-01T00:00:00Z",
      "1999-12-31T23:59:60Z",
    ]);
    const submits = withEdits(["2024-02-13 21:41:55", "2024-02-29 00:00:00.1234567", "2100-02-28 12:00:00"]);
    expect(instants.length + submits.length).toBeGreaterThan(5_000);
    for (const text of instants) expect(parseRfc3339(text), text).toBe(referenceParse(text, true));
    for (const text of submits) expect(parseSubmitTime(text), text).toBe(referenceParse(text, false));
    // Some of each kind were read, not only refused.
    expect(instants.filter((text) => parseRfc3339(text) !== undefined).length).toBeGreaterThan(100);
    expect(submits.filter((text) => parseSubmitTime(text) !== undefined).length).toBeGreaterThan(50);
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
