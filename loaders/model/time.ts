/** Microseconds since 1970-01-01T00:00:00Z: the unit of every instant in the pipeline. */
export type Micros = number;

const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_HOUR = 3_600 * MICROS_PER_SECOND;
export const MICROS_PER_DAY = 24 * MICROS_PER_HOUR;

/** 2000-01-01T00:00:00Z: no snapshot, job or allocation of a cluster this tool accounts for is older. */
export const EARLIEST_TIME: Micros = 946_684_800 * MICROS_PER_SECOND;

/** Go's zero `time.Time`, which Nomad reports for a task that has not finished. */
export const GO_ZERO_TIME = "0001-01-01T00:00:00Z";

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;
const TIME_NAME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.([^.]+)$/;
const SUBMIT_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
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

function utcMicros([year, month, day, hour = "0", minute = "0", second = "0"]: Fields): Micros | undefined {
  const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  return (((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi) * 60 + s) * MICROS_PER_SECOND;
}

/** Fraction digits to whole microseconds, truncating what is finer (as upstream does). */
function fractionMicros(digits: string | undefined): Micros {
  return digits ? Number(digits.slice(0, 6).padEnd(6, "0")) : 0;
}

/** An RFC 3339 instant with 0 to 9 fraction digits, `Z` or a numeric offset; undefined when malformed. */
export function parseRfc3339(text: string): Micros | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const base = utcMicros(m.slice(1, 7) as Fields);
  if (base === undefined) return undefined;
  const offset = m[8] ? 0 : (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) * 60 * MICROS_PER_SECOND;
  return base + fractionMicros(m[7]) - offset;
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
  const m = SUBMIT_TIME.exec(text);
  if (!m) return undefined;
  const base = utcMicros(m.slice(1, 7) as Fields);
  return base === undefined ? undefined : base + fractionMicros(m[7]);
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
