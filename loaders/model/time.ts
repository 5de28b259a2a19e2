/** Microseconds since 1970-01-01T00:00:00Z: the unit of every instant in the pipeline. */
export type Micros = number;

const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_HOUR = 3_600 * MICROS_PER_SECOND;
export const MICROS_PER_DAY = 24 * MICROS_PER_HOUR;

/** 2000-01-01T00:00:00Z: no snapshot, job or allocation of a cluster this tool accounts for is older. */
export const EARLIEST_TIME: Micros = 946_684_800 * MICROS_PER_SECOND;

/** Go's zero `time.Time`, which Nomad reports for a task that has not finished. */
export const GO_ZERO_TIME = "0001-01-01T00:00:00Z";

const TIME_NAME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.([^.]+)$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

type Fields = [year: string, month: string, day: string, hour?: string, minute?: string, second?: string];

function daysInMonth(year: number, month: number): number {
  return month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Hinnant's days_from_civil), without Date objects. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** The instant of a calendar date and time of day in UTC; undefined when there is no such day or time. */
function civilMicros(y: number, mo: number, d: number, h: number, mi: number, s: number): Micros | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  return (((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi) * 60 + s) * MICROS_PER_SECOND;
}

function utcMicros([year, month, day, hour = "0", minute = "0", second = "0"]: Fields): Micros | undefined {
  return civilMicros(Number(year), Number(month), Number(day), Number(hour), Number(minute), Number(second));
}

/** The `length` ASCII digits of `text` from `at` as a number; NaN when any is not a digit. */
function digitsAt(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

const code = (char: string) => char.charCodeAt(0);
const [HYPHEN, COLON, DOT, PLUS, Z, T, SPACE] = [code("-"), code(":"), code("."), code("+"), code("Z"), code("T"), code(" ")];

/**
 * `YYYY-MM-DD<separator>HH:MM:SS`, then 1 to 9 fraction digits after a dot or none (truncated to whole microseconds,
 * as upstream does), then, when `zoned`, `Z` or an offset `+HH:MM`/`-HH:MM`; undefined when the text is anything else
 * or names no real day and time. Read character by character: a job's times come in every snapshot that lists it,
 * millions of them in a large archive.
 */
function parseDateTime(text: string, separator: number, zoned: boolean): Micros | undefined {
  const end = text.length;
  if (end < 19 || text.charCodeAt(4) !== HYPHEN || text.charCodeAt(7) !== HYPHEN || text.charCodeAt(10) !== separator) return undefined;
  if (text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) return undefined;
  const base = civilMicros(
    digitsAt(text, 0, 4),
    digitsAt(text, 5, 2),
    digitsAt(text, 8, 2),
    digitsAt(text, 11, 2),
    digitsAt(text, 14, 2),
    digitsAt(text, 17, 2),
  );
  // A field that is not digits is NaN: every comparison of civilMicros is false for it, and base is NaN.
  if (base === undefined || Number.isNaN(base)) return undefined;
  let at = 19;
  let fraction = 0;
  if (text.charCodeAt(at) === DOT) {
    let count = 0;
    for (at++; at < end; at++, count++) {
      const digit = text.charCodeAt(at) - 48;
      if (!(digit >= 0 && digit <= 9)) break;
      if (count < 6) fraction = fraction * 10 + digit;
    }
    if (count === 0 || count > 9) return undefined;
    for (; count < 6; count++) fraction *= 10;
  }
  if (!zoned) return at === end ? base + fraction : undefined;
  const zone = text.charCodeAt(at);
  if (zone === Z && at + 1 === end) return base + fraction;
  if ((zone !== PLUS && zone !== HYPHEN) || at + 6 !== end || text.charCodeAt(at + 3) !== COLON) return undefined;
  const minutes = digitsAt(text, at + 1, 2) * 60 + digitsAt(text, at + 4, 2);
  if (Number.isNaN(minutes)) return undefined;
  return base + fraction - (zone === HYPHEN ? -1 : 1) * minutes * 60 * MICROS_PER_SECOND;
}

/** An RFC 3339 instant with 0 to 9 fraction digits, `Z` or a numeric offset; undefined when malformed. */
export function parseRfc3339(text: string): Micros | undefined {
  return parseDateTime(text, T, true);
}

/**
 * The UTC instant a file is named after, `YYYY-MM-DDTHH:MM:SS.<extension>` (a Nomad snapshot, a Slurm dump, a Flux
 * record file: when it was taken); undefined when it is not such a name, or has another extension than `extension`.
 */
export function parseTimeName(fileName: string, extension: string): Micros | undefined {
  const m = TIME_NAME.exec(fileName);
  return m && m[7] === extension ? utcMicros(m.slice(1, 7) as Fields) : undefined;
}

/** A job's `submit_time`, `YYYY-MM-DD HH:MM:SS` in UTC. */
export function parseSubmitTime(text: string): Micros | undefined {
  return parseDateTime(text, SPACE, false);
}

/** Midnight UTC starting the calendar day `YYYY-MM-DD`; undefined when it is not a real day. */
export function parseDay(text: string): Micros | undefined {
  const m = DAY.exec(text);
  return m ? utcMicros(m.slice(1, 4) as Fields) : undefined;
}

export function formatDay(time: Micros): string {
  return new Date(Math.floor(time / 1000)).toISOString().slice(0, 10);
}

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ`, at full microsecond precision. */
export function formatInstant(time: Micros): string {
  const millis = Math.floor(time / 1000);
  const micros = String(time - millis * 1000).padStart(3, "0");
  return new Date(millis).toISOString().replace("Z", `${micros}Z`);
}
