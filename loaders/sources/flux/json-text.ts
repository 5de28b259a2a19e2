import { CHECKED_FROM_BYTES, pathologicalJson, type ShapeReason } from "../../model/json-shape.js";

/**
 * JSON as Flux writes it (a job-list record, a `flux jobs --json` document, an R or a jobspec), parsed. Flux job ids
 * are 64-bit integers, past what a double holds exactly once an instance has run for a week: Node 20's JSON.parse
 * gives no number's source text, so such integers are turned into strings of their digits before parsing.
 */

export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

const isDigit = (code: number) => code >= 0x30 && code <= 0x39;
/** Characters of a JSON number after its first: digits, `.`, `e`, `E`, `+`, `-`. */
const isNumberPart = (code: number) => isDigit(code) || code === 0x2e || code === 0x65 || code === 0x45 || code === 0x2b || code === 0x2d;
/** 2^53 has 16 digits: shorter integers are exact doubles. */
const EXACT_DIGITS = 15;

/** Whether a JSON number's text is an integer a double cannot hold exactly: kept as the string of its digits. */
export function isInexactInteger(token: string): boolean {
  return token.length > EXACT_DIGITS && /^-?\d+$/.test(token) && !Number.isSafeInteger(Number(token));
}

/** The text with each integer that a double cannot hold exactly written as a string of its digits; strings left as they are. */
function quoteInexactIntegers(text: string): string {
  let quoted = "";
  let copied = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) {
      // A string: skip to its closing quote, past escaped characters.
      for (i++; i < text.length; i++) {
        const inside = text.charCodeAt(i);
        if (inside === 0x5c) i++;
        else if (inside === 0x22) break;
      }
    } else if (code === 0x2d || isDigit(code)) {
      let end = i + 1;
      while (end < text.length && isNumberPart(text.charCodeAt(end))) end++;
      const token = text.slice(i, end);
      if (isInexactInteger(token)) {
        quoted += `${text.slice(copied, i)}"${token}"`;
        copied = end;
      }
      i = end - 1;
    }
  }
  return copied === 0 ? text : quoted + text.slice(copied);
}

const encoder = new TextEncoder();

/**
 * JSON text parsed, integers beyond a double's exact range as strings of their digits; or why it cannot be: its shape
 * (nested too deep, too many arrays and objects: checked before parsing) or the parser's message.
 */
export function parseJson(text: string): { value: unknown } | { shape: ShapeReason } | { error: string } {
  // Fewer than CHECKED_FROM_BYTES / 3 UTF-16 units are fewer than CHECKED_FROM_BYTES bytes, which are not checked.
  const shape = text.length * 3 < CHECKED_FROM_BYTES ? undefined : pathologicalJson(encoder.encode(text));
  if (shape) return { shape };
  try {
    return { value: JSON.parse(quoteInexactIntegers(text)) as unknown };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const MAX_SHOWN = 200;

/** A value found in a record, as a problem's detail shows it: JSON, cut after 200 characters. */
export function shown(value: unknown): string {
  const json = value === undefined ? "absent" : JSON.stringify(value);
  return json.length > MAX_SHOWN ? `${json.slice(0, MAX_SHOWN)}…` : json;
}
