import { readFileSync } from "node:fs";
import { join } from "node:path";
import { safeLoad } from "js-yaml";
import { ROOT } from "./project.js";

/** A GitHub Actions workflow, as far as the tests read it. */
export interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  "working-directory"?: string;
}
export interface Job {
  if?: string;
  needs?: string;
  "runs-on"?: string;
  uses?: string;
  secrets?: string;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  steps?: Step[];
}
interface Workflow {
  on: { push?: { branches: string[] } } & Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

/** A workflow of .github/workflows/: its text, its parsed form, its steps with their job, and the steps using an action. */
export function readWorkflow(file: string) {
  const text = readFileSync(join(ROOT, ".github/workflows", file), "utf8");
  const workflow = safeLoad(text) as Workflow;
  const jobs = Object.entries(workflow.jobs);
  const steps = jobs.flatMap(([job, { steps = [] }]) => steps.map((step) => ({ job, step })));
  const using = (action: string) => steps.filter(({ step }) => step.uses?.split("@")[0]?.startsWith(action)).map(({ step }) => step);
  return { text, workflow, jobs, steps, using };
}

/** The actions a workflow uses, by repository: each must be pinned by a 40-hex commit SHA with its release in a comment. */
export function pinnedActions(text: string): Map<string, Set<string>> {
  const pins = new Map<string, Set<string>>();
  for (const line of text.split("\n").filter((line) => /^\s*(-\s+)?uses: (?!\.\/)/.test(line))) {
    const match = /uses: ([\w.-]+\/[\w.-]+)(?:\/[\w.-]+)*@([0-9a-f]{40}) # v\d+\.\d+\.\d+$/.exec(line);
    if (!match) throw new Error(`an action not pinned by commit with its release: ${line.trim()}`);
    const [, repository, sha] = match as unknown as [string, string, string];
    pins.set(repository, (pins.get(repository) ?? new Set()).add(sha));
  }
  return pins;
}

/**
 * A GitHub Actions expression, as far as this workflow's conditions go: `==`, `!=`, `&&`, `||`, `!`, parentheses,
 * 'strings', true and false, and context properties. Anything else throws: a condition the test cannot read fails it.
 */
export function evaluate(expression: string, context: Record<string, unknown>): unknown {
  const tokens = expression.match(/'(?:[^']|'')*'|==|!=|&&|\|\||!|\(|\)|[A-Za-z_][\w.-]*|\S/g) ?? [];
  let position = 0;
  const truthy = (value: unknown) => value !== null && value !== false && value !== "" && value !== 0;
  const fail = (): never => {
    throw new Error(`cannot read ${JSON.stringify(expression)} at ${JSON.stringify(tokens[position - 1])}`);
  };
  const primary = (): unknown => {
    const token = tokens[position++] ?? fail();
    if (token === "(") {
      const value = or();
      return tokens[position++] === ")" ? value : fail();
    }
    if (token === "!") return !truthy(primary());
    if (token.startsWith("'")) return token.slice(1, -1).replaceAll("''", "'");
    if (token === "true" || token === "false") return token === "true";
    if (/^[A-Za-z_]/.test(token))
      return token.split(".").reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], context) ?? null;
    return fail();
  };
  // GitHub's equality: strings ignore case; values of different types compare as numbers (null and '' are 0).
  const number = (value: unknown) =>
    value === null ? 0 : typeof value === "boolean" ? Number(value) : typeof value === "string" ? Number(value.trim() || 0) : NaN;
  const same = (a: unknown, b: unknown) =>
    typeof a === typeof b && a !== null && b !== null
      ? typeof a === "string"
        ? a.toLowerCase() === (b as string).toLowerCase()
        : a === b
      : number(a) === number(b);
  const comparison = (): unknown => {
    let left = primary();
    while (tokens[position] === "==" || tokens[position] === "!=") {
      const equal = tokens[position++] === "==";
      const right = primary();
      left = same(left, right) === equal;
    }
    return left;
  };
  const and = (): unknown => {
    let left = comparison();
    while (tokens[position] === "&&") {
      position++;
      const right = comparison();
      left = truthy(left) ? right : left;
    }
    return left;
  };
  const or = (): unknown => {
    let left = and();
    while (tokens[position] === "||") {
      position++;
      const right = and();
      left = truthy(left) ? left : right;
    }
    return left;
  };
  const value = or();
  return position === tokens.length ? value : fail();
}

/** An env value or a condition: the expression inside `${{ }}`, or the whole text (conditions may omit them). */
export const expressionOf = (value: string) => /^\$\{\{(.*)\}\}$/s.exec(value.trim())?.[1] ?? value;
