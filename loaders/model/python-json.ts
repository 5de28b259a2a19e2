/**
 * JSON as Python's `json.dump` writes it with its defaults, the bytes upstream's scripts wrote: `ensure_ascii` (every
 * character outside U+0020–U+007E escaped as `\uXXXX`, lowercase, astral characters as surrogate pairs), `", "` and
 * `": "` between items and after keys (`","` at line ends with an indent), empty containers `{}` and `[]`, keys in
 * insertion order, no newline at the end. Browser-safe.
 *
 * Values are strings, numbers, bigints, booleans, null, arrays, plain objects and `Map`s of strings (objects whose
 * keys keep their order even when they look like numbers). A number is written as JavaScript writes it, which is
 * Python's writing of every integer (the only numbers snapshots and user databases hold); a float that JSON spelled
 * `1.0` has become 1 by then.
 */

/** Python's `ESCAPE_ASCII`: a quote, a backslash, or anything but printable ASCII. */
const ESCAPED = /["\\]|[^ -~]/g;
const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };

/** A string as Python's `json.dumps(text)` writes it (`ensure_ascii`). */
function pythonJsonString(text: string): string {
  const escaped = text.replace(ESCAPED, (char) => SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return `"${escaped}"`;
}

/** `value` as Python's `json.dumps(value)` writes it, or with `indent` spaces per level as `json.dumps(value, indent=…)`. */
export function pythonJson(value: unknown, indent?: number): string {
  const write = (item: unknown, depth: number): string => {
    if (item === null) return "null";
    if (typeof item === "string") return pythonJsonString(item);
    if (typeof item === "boolean") return item ? "true" : "false";
    if (typeof item === "bigint") return String(item);
    if (typeof item === "number") {
      if (!Number.isFinite(item)) throw new TypeError(`${item} has no JSON form`);
      return String(item);
    }
    if (typeof item !== "object") throw new TypeError(`a ${typeof item} has no JSON form`);
    const entries: [string | undefined, unknown][] = Array.isArray(item)
      ? item.map((element: unknown) => [undefined, element])
      : item instanceof Map
        ? [...(item as Map<string, unknown>)]
        : Object.entries(item as Record<string, unknown>);
    const [open, close] = Array.isArray(item) ? ["[", "]"] : ["{", "}"];
    if (entries.length === 0) return open + close;
    const inner = entries.map(([key, element]) => (key === undefined ? "" : `${pythonJsonString(key)}: `) + write(element, depth + 1));
    if (indent === undefined) return open + inner.join(", ") + close;
    const margin = "\n" + " ".repeat(indent * (depth + 1));
    return open + margin + inner.join("," + margin) + "\n" + " ".repeat(indent * depth) + close;
  };
  return write(value, 0);
}

/** Text that is not JSON: where and why. */
export class JsonSyntaxError extends Error {}

const WHITESPACE = /[ \t\n\r]*/y;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const STRING_RUN = /[^"\\\u0000-\u001f]*/y;
const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/**
 * JSON read as Python's `json.loads` reads it: every integer exact (a `bigint` beyond 2^53, where `JSON.parse` would
 * round it: Nomad's nanosecond times are), `NaN` and `±Infinity` accepted, a key given twice keeping its first place
 * and its last value. Objects become `Map`s with `maps` (their keys in the file's order, even keys that look like
 * numbers, which a JavaScript object would put first), plain objects otherwise.
 */
export function parseJsonExact(text: string, { maps = false }: { maps?: boolean } = {}): unknown {
  let at = 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at character ${at}`);
  };
  const skip = () => {
    WHITESPACE.lastIndex = at;
    WHITESPACE.exec(text);
    at = WHITESPACE.lastIndex;
  };
  const string = (): string => {
    let result = "";
    at++;
    for (;;) {
      STRING_RUN.lastIndex = at;
      result += (STRING_RUN.exec(text) as RegExpExecArray)[0];
      at = STRING_RUN.lastIndex;
      const char = text[at];
      if (char === '"') return (at++, result);
      if (char !== "\\") fail(char === undefined ? "unterminated string" : "control character in a string");
      const escape = text[at + 1] as string;
      if (escape === "u") {
        const hex = text.slice(at + 2, at + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("bad \\u escape");
        result += String.fromCharCode(parseInt(hex, 16));
        at += 6;
      } else {
        const decoded = ESCAPES[escape];
        if (decoded === undefined) fail("bad escape");
        result += decoded;
        at += 2;
      }
    }
  };
  const value = (): unknown => {
    skip();
    const char = text[at];
    if (char === "{") {
      at++;
      const entries = new Map<string, unknown>();
      skip();
      if (text[at] === "}") at++;
      else
        for (;;) {
          skip();
          if (text[at] !== '"') fail("expected a key");
          const key = string();
          skip();
          if (text[at] !== ":") fail("expected ':'");
          at++;
          entries.set(key, value());
          skip();
          if (text[at] === ",") at++;
          else if (text[at] === "}") {
            at++;
            break;
          } else fail("expected ',' or '}'");
        }
      if (maps) return entries;
      const record: Record<string, unknown> = {};
      for (const [key, item] of entries) Object.defineProperty(record, key, { value: item, enumerable: true, writable: true, configurable: true });
      return record;
    }
    if (char === "[") {
      at++;
      const items: unknown[] = [];
      skip();
      if (text[at] === "]") return (at++, items);
      for (;;) {
        items.push(value());
        skip();
        if (text[at] === ",") at++;
        else if (text[at] === "]") return (at++, items);
        else fail("expected ',' or ']'");
      }
    }
    if (char === '"') return string();
    for (const [word, meaning] of [
      ["true", true],
      ["false", false],
      ["null", null],
      ["NaN", NaN],
      ["Infinity", Infinity],
      ["-Infinity", -Infinity],
    ] as const)
      if (text.startsWith(word, at)) return ((at += word.length), meaning);
    NUMBER.lastIndex = at;
    const number = NUMBER.exec(text);
    if (!number) return fail("expected a value");
    at = NUMBER.lastIndex;
    const float = number[1] !== undefined || number[2] !== undefined;
    const parsed = Number(number[0]);
    return float || Number.isSafeInteger(parsed) ? parsed : BigInt(number[0]);
  };
  const result = value();
  skip();
  if (at < text.length) fail("extra data");
  return result;
}
