import { none } from "stream-chain/defs.js";
import { jsonParser, type Token } from "stream-json/core/parser.js";
import { BYTES_PER_CONTAINER, CHECKED_FROM_BYTES, MAX_DEPTH, type ShapeReason } from "../../model/json-shape.js";
import type { Problem } from "../../model/records.js";
import type { BatchFile, LineResult, LineStream } from "../batch/records.js";
import { fluxJob } from "./job.js";
import { isInexactInteger, isRecord, shown } from "./json-text.js";
import type { FluxReason } from "./reasons.js";

/**
 * A long line of a Flux file read as it streams, job by job: the `{"jobs": […]}` document `flux jobs -a --json`
 * prints on one line, which may be larger than memory (or than the longest string JavaScript holds). It gives the
 * results the whole line would (fluxLineResults), with these differences, which only files no Flux command writes
 * show: the shape limits are checked as the line streams (a line whose first MiB or more holds more than one array
 * or object per 16 bytes is refused there, as a whole line would be), and a top-level value that is not an object
 * is shown from its first characters as written.
 */

const MAX_SHOWN = 200;
/** A number's text as parseJson gives it: a double, or the string of its digits for an integer a double cannot hold. */
const numberOf = (text: string): number | string => (isInexactInteger(text) ? text : Number(text));

/** Builds a value from its tokens (stream-json's, keys, strings and numbers packed). */
class Assembly {
  private readonly stack: (unknown[] | Record<string, unknown>)[] = [];
  private key: string | undefined;
  private readonly keys: (string | undefined)[] = [];
  done = false;
  value: unknown;

  private put(value: unknown): void {
    const parent = this.stack.at(-1);
    if (parent === undefined) {
      this.value = value;
      this.done = true;
    } else if (Array.isArray(parent)) parent.push(value);
    else parent[this.key as string] = value;
  }

  token(token: Token): void {
    switch (token.name) {
      case "startObject":
      case "startArray": {
        const container = token.name === "startArray" ? [] : {};
        this.put(container);
        this.done = false;
        this.stack.push(container);
        this.keys.push(this.key);
        break;
      }
      case "endObject":
      case "endArray": {
        const container = this.stack.pop();
        this.key = this.keys.pop();
        if (this.stack.length === 0) {
          this.value = container;
          this.done = true;
        }
        break;
      }
      case "keyValue":
        this.key = token.value;
        break;
      case "numberValue":
        this.put(numberOf(token.value));
        break;
      case "stringValue":
      case "nullValue":
      case "trueValue":
      case "falseValue":
        this.put(token.value);
        break;
      default:
    }
  }
}

/** Why the line as a whole is refused, as fluxLineResults names it. */
class Refusal {
  constructor(
    readonly reason: FluxReason | ShapeReason,
    readonly detail: string | null,
  ) {}
}

/**
 * The stream of line `number` of a Flux file: each job of a `{"jobs": […]}` document as its record completes; a
 * single job record (a top-level object with an `id` or `jobid`, or without a `jobs` array) at the line's end.
 */
export function fluxLineStream(file: BatchFile, number: number): LineStream {
  // stream-json's tokenizer, keys, strings and numbers packed (numbers as their text); called with `none` at the end.
  const parse = jsonParser({ packValues: true, streamValues: false }) as (text: string | typeof none) => { values: Token[] } | typeof none;
  const problem = (reason: FluxReason | ShapeReason, detail: string | null): Problem => ({
    file: file.path,
    line: number,
    account: null,
    job: null,
    reason,
    detail,
  });
  let refusal: Refusal | undefined;
  let bytes = 0;
  let depth = 0;
  let containers = 0;
  /** The line's first characters, to show a top-level value that is not an object. */
  let head = "";
  let started = false;
  /** The top-level object's fields but its `jobs` array, which a single job record is read from. */
  const fields: Record<string, unknown> = {};
  let topKey: string | undefined;
  /** Where the top-level object is: before a value of a field (`field`), in the value of a field, in its `jobs` array. */
  let field: Assembly | undefined;
  let inJobs = false;
  let jobsSeen = false;
  let element: Assembly | undefined;
  let index = 0;
  /** Whether the line is a single job record rather than a document, as far as its fields tell. */
  const single = () => "id" in fields || "jobid" in fields || !jobsSeen;

  const checkShape = () => {
    if (depth > MAX_DEPTH) throw new Refusal(`arrays and objects nested more than ${MAX_DEPTH} levels deep`, null);
    if (bytes >= CHECKED_FROM_BYTES && containers > Math.floor(bytes / BYTES_PER_CONTAINER))
      throw new Refusal(`more than one array or object per ${BYTES_PER_CONTAINER} bytes`, null);
  };

  const element_ = (value: unknown): LineResult =>
    isRecord(value) ? fluxJob(value, file, number) : problem("a line that is not a JSON object", `jobs[${index}]: ${shown(value)}`);

  /** A token at depth 1 and below, inside the top-level object. */
  const inside = (token: Token, results: LineResult[]) => {
    if (inJobs) {
      if (depth === 2 && token.name === "endArray") {
        inJobs = false;
        return;
      }
      element ??= new Assembly();
      element.token(token);
      if (element.done) {
        // The jobs a single job record nests (`flux jobs --recursive`) are not read: they ran inside its allocation.
        if (!single()) results.push(element_(element.value));
        index++;
        element = undefined;
      }
      return;
    }
    if (field !== undefined) {
      field.token(token);
      if (field.done) {
        fields[topKey as string] = field.value;
        field = undefined;
      }
      return;
    }
    if (token.name === "keyValue") topKey = token.value;
    else if (token.name === "startArray" && topKey === "jobs") {
      inJobs = true;
      jobsSeen = true;
      index = 0;
      delete fields.jobs;
    } else {
      if (topKey === "jobs") jobsSeen = false;
      field = new Assembly();
      field.token(token);
      if (field.done) {
        fields[topKey as string] = field.value;
        field = undefined;
      }
    }
  };

  const read = (text: string | typeof none): LineResult[] => {
    const results: LineResult[] = [];
    const tokens = parse(text);
    if (tokens === none) return results;
    for (const token of tokens.values) {
      if (token.name === "startObject" || token.name === "startArray") {
        depth++;
        containers++;
        checkShape();
      }
      if (!started) {
        started = true;
        if (token.name !== "startObject")
          throw new Refusal("a line that is not a JSON object", head.length > MAX_SHOWN ? `${head.slice(0, MAX_SHOWN)}…` : head);
      } else if (!(depth === 1 && token.name === "endObject")) inside(token, results);
      if (token.name === "endObject" || token.name === "endArray") depth--;
    }
    return results;
  };

  const guarded = (text: string | typeof none): LineResult[] => {
    if (refusal) return [];
    try {
      return read(text);
    } catch (error) {
      refusal = error instanceof Refusal ? error : new Refusal("a line that is not valid JSON", (error as Error).message);
      return [];
    }
  };

  return {
    write(text) {
      if (head.length <= MAX_SHOWN) head += text.slice(0, MAX_SHOWN + 1 - head.length);
      bytes += Buffer.byteLength(text);
      return guarded(text);
    },
    end() {
      // A line of blanks holds no job.
      if (!started && !refusal && head.trim() === "") return { results: [], retract: false };
      const results = guarded(none);
      if (!refusal) {
        try {
          checkShape();
        } catch (error) {
          refusal = error as Refusal;
        }
      }
      if (refusal?.reason === "a line that is not a JSON object") {
        const shownHead = head.trim();
        return { results: [problem(refusal.reason, shownHead.length > MAX_SHOWN ? `${shownHead.slice(0, MAX_SHOWN)}…` : shownHead)], retract: true };
      }
      if (refusal) return { results: [problem(refusal.reason, refusal.detail)], retract: true };
      // A single job record: whatever its `jobs` array gave before its id came is not a job of its own.
      if (single()) return { results: [fluxJob(fields, file, number)], retract: true };
      return { results, retract: false };
    },
  };
}
