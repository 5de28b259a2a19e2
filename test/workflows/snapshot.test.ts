import { describe, expect, it } from "vitest";
import { parseOptions } from "../../cli/options.js";
import { type Job, evaluate, expressionOf, pinnedActions, readWorkflow } from "../helpers/workflow.js";

/*
 * The snapshot workflow, GitHub Actions' recipe for the whole loop (README, "Taking the snapshots"): off until the
 * installation names its Nomad and its archive, least privilege, no token on disk or in a command line, the user
 * database pushed to a private repository only, the commands it runs ones the CLI takes, and the site deployed after.
 */

const { text, workflow, jobs, steps, using } = readWorkflow("snapshot.yml");
const job = (name: string) => workflow.jobs[name] as Job;
const runs = (condition: string | undefined, context: Record<string, unknown>) =>
  condition === undefined || evaluate(expressionOf(condition), { steps: {}, env: {}, ...context }) === true;

describe("the snapshot workflow", () => {
  it("pins every action by the same commits as the deploy workflow", () => {
    const deploy = pinnedActions(readWorkflow("deploy.yml").text);
    for (const [repository, shas] of pinnedActions(text)) expect([repository, shas]).toEqual([repository, deploy.get(repository)]);
  });

  it("grants nothing by default, and write access to Pages to the deploy job only", () => {
    expect(workflow.permissions).toEqual({});
    expect(job("snapshot").permissions).toEqual({ contents: "read" });
    expect(job("check").permissions).toEqual({ contents: "read" });
    expect(job("deploy").permissions).toEqual({ contents: "read", pages: "write", "id-token": "write" });
  });

  it("leaves no credentials in any checkout, and hands secrets to steps through the environment only", () => {
    const checkouts = using("actions/checkout");
    expect(checkouts).toHaveLength(4);
    for (const checkout of checkouts) expect(checkout.with?.["persist-credentials"]).toBe(false);
    // An expression inside a script is pasted into it before the shell reads it: a variable's value could run.
    for (const { step } of steps) expect([step.name, step.run ?? ""]).toEqual([step.name, expect.not.stringContaining("${{")]);
    for (const { step } of steps)
      for (const [name, value] of Object.entries(step.env ?? {}))
        if (String(value).includes("secrets.")) expect([step.name, name]).toEqual([step.name, expect.stringMatching(/^(TOKEN|NOMAD_TOKEN)$/)]);
  });

  it("refuses to push the user database to a repository that is not private", () => {
    const snapshot = job("snapshot").steps ?? [];
    const refuse = snapshot.findIndex((step) => step.run?.includes(".private === true") && step.run.includes("exit 1"));
    const update = snapshot.findIndex((step) => step.run?.includes("users update"));
    expect(refuse).toBeGreaterThan(-1);
    expect(refuse).toBeLessThan(update);
  });

  it("runs commands the CLI takes: a snapshot, the user database, the check", () => {
    const commands = steps
      .flatMap(({ step }) => (step.run ?? "").split("\n"))
      .map((line) => line.trim())
      .filter((line) => line.startsWith("npx accounting "));
    expect(commands.map((line) => line.split(" ").slice(2, 4).join(" "))).toEqual(["snapshot --nomad", "users update", "check --archive"]);
    for (const line of commands) {
      const argv = line
        .slice("npx accounting ".length)
        .split(" ")
        .map((word) => word.replaceAll('"', "").replace(/^\$NOMAD_ADDR$/, "https://nomad.example.org:4646"));
      expect(() => parseOptions(argv), line).not.toThrow();
    }
  });

  it("deploys the site after each snapshot, through the deploy workflow", () => {
    expect(job("deploy")).toMatchObject({ needs: "snapshot", uses: "./.github/workflows/deploy.yml", secrets: "inherit" });
    expect(Object.keys(readWorkflow("deploy.yml").workflow.on)).toContain("workflow_call");
  });

  describe.each([
    ["unconfigured, on main", {}, { ref: "refs/heads/main" }, { snapshot: false, check: false }],
    ["with Nomad only", { NOMAD_ADDR: "https://nomad:4646" }, { ref: "refs/heads/main" }, { snapshot: false, check: false }],
    [
      "configured, on main",
      { NOMAD_ADDR: "https://nomad:4646", ACCOUNTING_ARCHIVE_REPOSITORY: "o/a" },
      { ref: "refs/heads/main" },
      { snapshot: true, check: true },
    ],
    [
      "configured, on another branch",
      { NOMAD_ADDR: "https://nomad:4646", ACCOUNTING_ARCHIVE_REPOSITORY: "o/a" },
      { ref: "refs/heads/x" },
      { snapshot: false, check: false },
    ],
  ])("%s", (_, vars, github, expected) => {
    it(`${expected.snapshot ? "takes" : "takes no"} snapshot and ${expected.check ? "checks" : "checks nothing"}`, () => {
      expect(runs(job("snapshot").if, { vars, github })).toBe(expected.snapshot);
      expect(runs(job("check").if, { vars, github })).toBe(expected.check);
    });
  });

  it("takes snapshots on a self-hosted runner unless told another label, and checks them from GitHub's", () => {
    expect(evaluate(expressionOf(job("snapshot")["runs-on"] as string), { vars: {} })).toBe("self-hosted");
    expect(evaluate(expressionOf(job("snapshot")["runs-on"] as string), { vars: { ACCOUNTING_RUNNER: "nomad" } })).toBe("nomad");
    expect(job("check")["runs-on"]).toBe("ubuntu-latest");
    expect(jobs.map(([name]) => name).sort()).toEqual(["check", "deploy", "snapshot"]);
  });
});
