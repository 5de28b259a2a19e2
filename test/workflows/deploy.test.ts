import { readFileSync } from "node:fs";
import { join } from "node:path";
import { safeLoad } from "js-yaml";
import { describe, expect, it } from "vitest";
import { VARIABLES } from "../../loaders/ingest/environment.js";
import { ROOT } from "../helpers/project.js";

/*
 * The deploy workflow, least privilege: actions pinned by commit, no token left on disk, no write permission but the
 * deploy job's, the ingest cache (owner ids, job titles) never within reach of a pull request's code, and the build
 * telling corrected snapshots apart by content.
 */

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  if?: string;
  needs?: string;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: { push?: { branches: string[] } } & Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const text = readFileSync(join(ROOT, ".github/workflows/deploy.yml"), "utf8");
const workflow = safeLoad(text) as Workflow;
const jobs = Object.entries(workflow.jobs);
const steps = jobs.flatMap(([job, { steps }]) => steps.map((step) => ({ job, step })));
const using = (action: string) => steps.filter(({ step }) => step.uses?.split("@")[0]?.startsWith(action)).map(({ step }) => step);

/**
 * A GitHub Actions expression, as far as this workflow's conditions go: `==`, `!=`, `&&`, `||`, `!`, parentheses,
 * 'strings', true and false, and context properties. Anything else throws: a condition the test cannot read fails it.
 */
function evaluate(expression: string, context: Record<string, unknown>): unknown {
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
  const comparison = (): unknown => {
    let left = primary();
    while (tokens[position] === "==" || tokens[position] === "!=") {
      const equal = tokens[position++] === "==";
      const right = primary();
      left = (left === right) === equal;
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
const expressionOf = (value: string) => /^\$\{\{(.*)\}\}$/s.exec(value.trim())?.[1] ?? value;

/** Whether a step or job with this condition runs, in a run with this `github` context and job environment. */
function runs(condition: string | undefined, github: Record<string, string>, env: Record<string, string> = {}): boolean {
  return condition === undefined || evaluate(expressionOf(condition), { github, env, steps: {}, vars: {} }) === true;
}

describe("the deploy workflow", () => {
  it("pins every action by full commit SHA, its release in a comment", () => {
    const lines = text.split("\n").filter((line) => /^\s*(-\s+)?uses:/.test(line));
    expect(lines).toHaveLength(steps.filter(({ step }) => step.uses).length);
    for (const line of lines) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+(\/[\w.-]+)*@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    const pins = new Map<string, Set<string>>();
    for (const { step } of steps) {
      if (!step.uses) continue;
      const [action, sha] = step.uses.split("@") as [string, string];
      const repository = action.split("/").slice(0, 2).join("/");
      pins.set(repository, (pins.get(repository) ?? new Set()).add(sha));
    }
    expect([...pins.keys()].sort()).toEqual([
      "actions/cache",
      "actions/checkout",
      "actions/deploy-pages",
      "actions/setup-node",
      "actions/upload-pages-artifact",
    ]);
    for (const [repository, shas] of pins) expect([repository, shas.size]).toEqual([repository, 1]);
  });

  it("grants nothing by default, contents: read to the build, and pages and id-token write to the deploy job only", () => {
    expect([{}, { contents: "read" }]).toContainEqual(workflow.permissions);
    expect(workflow.jobs.build?.permissions).toEqual({ contents: "read" });
    expect(workflow.jobs.deploy?.permissions).toEqual({ pages: "write", "id-token": "write" });
    for (const [name, job] of jobs)
      if (name !== "deploy") expect([name, JSON.stringify(job.permissions ?? {})]).toEqual([name, expect.not.stringMatching(/write/)]);
  });

  it("leaves no credentials in any checkout", () => {
    const checkouts = using("actions/checkout");
    expect(checkouts).toHaveLength(2);
    for (const checkout of checkouts) expect(checkout.with?.["persist-credentials"]).toBe(false);
  });

  describe.each([
    ["a push to main", { event_name: "push", ref: "refs/heads/main" }, true],
    ["the schedule", { event_name: "schedule", ref: "refs/heads/main" }, true],
    ["a dispatch on main", { event_name: "workflow_dispatch", ref: "refs/heads/main" }, true],
    ["a dispatch on another branch", { event_name: "workflow_dispatch", ref: "refs/heads/experiment" }, false],
    ["a push to another branch", { event_name: "push", ref: "refs/heads/experiment" }, false],
    ["a pull request", { event_name: "pull_request", ref: "refs/pull/7/merge" }, false],
    ["a pull_request_target run, on main's ref", { event_name: "pull_request_target", ref: "refs/heads/main" }, false],
  ])("in %s", (_, github, trusted) => {
    const build = workflow.jobs.build as Job;
    const env = Object.fromEntries(Object.entries(build.env ?? {}).map(([name, value]) => [name, String(evaluate(expressionOf(value), { github }))]));

    it(`${trusted ? "restores and saves" : "never restores nor saves"} the caches`, () => {
      const caches = using("actions/cache");
      expect(caches.filter((step) => step.with?.path === ".accounting-cache")).toHaveLength(2);
      expect(caches).toHaveLength(4);
      // A save step also waits for its restore's miss: the cache missed, it runs when trusted.
      for (const step of caches) expect([step.name, runs(step.if, github, env)]).toEqual([step.name, trusted]);
    });

    it(`${trusted ? "deploys" : "does not deploy"}`, () => {
      expect(runs(workflow.jobs.deploy?.if, github)).toBe(trusted);
    });
  });

  it("runs on main, the branch the conditions name", () => {
    expect(workflow.on.push?.branches).toEqual(["main"]);
  });

  it("builds telling snapshots apart by content, and dates them by name before the ingest cache is restored", () => {
    const build = (workflow.jobs.build as Job).steps;
    const buildStep = build.find((step) => step.run === "npm run build");
    expect(buildStep?.env?.[VARIABLES.verifyContent]).toBe("1");
    const dating = build.findIndex((step) => step.run?.includes("os.utime(path, (stamp, stamp))") && step.run.includes('"%Y-%m-%dT%H:%M:%S"'));
    const restore = build.findIndex((step) => step.uses?.startsWith("actions/cache/restore@") && step.with?.path === ".accounting-cache");
    expect(dating).toBeGreaterThan(-1);
    expect(dating).toBeLessThan(restore);
  });
});
