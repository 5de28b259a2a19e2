import { describe, expect, it } from "vitest";
import { VARIABLES } from "../../loaders/ingest/environment.js";
import { type Job, evaluate, expressionOf, pinnedActions, readWorkflow } from "../helpers/workflow.js";

/*
 * The deploy workflow, least privilege: actions pinned by commit, no token left on disk, no write permission but the
 * deploy job's, the ingest cache (owner ids, job titles) never within reach of a pull request's code, and the build
 * telling corrected snapshots apart by content.
 */

const { text, workflow, jobs, steps, using } = readWorkflow("deploy.yml");

/** Whether a step or job with this condition runs, in a run with this `github` context and job environment. */
function runs(condition: string | undefined, github: Record<string, string>, env: Record<string, string> = {}): boolean {
  return condition === undefined || evaluate(expressionOf(condition), { github, env, steps: {}, vars: {} }) === true;
}

describe("the deploy workflow", () => {
  it("pins every action by full commit SHA, its release in a comment, one commit per action", () => {
    const pins = pinnedActions(text);
    expect([...pins.values()].reduce((count, shas) => count + shas.size, 0)).toBe(pins.size);
    expect(text.split("\n").filter((line) => /^\s*(-\s+)?uses:/.test(line))).toHaveLength(steps.filter(({ step }) => step.uses).length);
    expect([...pins.keys()].sort()).toEqual([
      "actions/cache",
      "actions/checkout",
      "actions/deploy-pages",
      "actions/setup-node",
      "actions/upload-pages-artifact",
    ]);
  });

  it("can be called by the snapshot workflow, after each snapshot", () => {
    expect(Object.keys(workflow.on)).toContain("workflow_call");
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
    const build = (workflow.jobs.build as Job).steps ?? [];
    const buildStep = build.find((step) => step.run === "npm run build");
    expect(buildStep?.env?.[VARIABLES.verifyContent]).toBe("1");
    const dating = build.findIndex((step) => step.run?.includes("os.utime(path, (stamp, stamp))") && step.run.includes('"%Y-%m-%dT%H:%M:%S"'));
    const restore = build.findIndex((step) => step.uses?.startsWith("actions/cache/restore@") && step.with?.path === ".accounting-cache");
    expect(dating).toBeGreaterThan(-1);
    expect(dating).toBeLessThan(restore);
  });
});
