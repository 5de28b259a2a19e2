import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { temporaryFolder } from "../helpers/archive.js";
import { usageScenario } from "../helpers/nomad-scenario.js";
import { startStandIn, type Scenario, type StandIn } from "../helpers/nomad-stand-in.js";
import { nomadCertificates } from "../helpers/nomad-tls.js";
import { copyProject, ROOT, run } from "../helpers/project.js";
import { missingPrograms } from "../helpers/tools.js";

/*
 * SLOW (a site build per snapshot line, about a minute in all): the README's crontab, run as cron runs it (`/bin/sh
 * -c`, cron's bare environment and the crontab's variables) in a copy of the repository compiled as `npm install`
 * compiles it, against a Nomad stand-in over TLS with an ACL token: a snapshot, the user database, the site built and
 * published, the check; silent when all is well (cron mails any output), one line and nothing changed when Nomad is
 * down.
 */

const README = readFileSync(join(ROOT, "README.md"), "utf8");
const block = /```crontab\n([\s\S]*?)```/.exec(README)?.[1] ?? "";
const lines = block.split("\n").filter((line) => line.trim() && !line.startsWith("#"));
const variables = Object.fromEntries(lines.filter((line) => /^[A-Z_]+=/.test(line)).map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
const jobs = lines
  .filter((line) => !/^[A-Z_]+=/.test(line))
  .map((line) => ({ schedule: line.split(/\s+/).slice(0, 5).join(" "), command: line.split(/\s+/).slice(5).join(" ") }));

/** The usage scenario moved to yesterday: jobs that ran hours before the snapshots, as on a live cluster. */
function recent(step: number): Scenario {
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const move = (value: unknown): unknown =>
    typeof value === "string"
      ? value.replaceAll("2024-03-01", yesterday)
      : Array.isArray(value)
        ? value.map(move)
        : value !== null && typeof value === "object"
          ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, move(item)]))
          : value;
  return move(usageScenario(step)) as Scenario;
}

// The crontab publishes with rsync; the stand-in's certificates are made with openssl.
describe.skipIf(missingPrograms("the README's crontab test", ["rsync", "/usr/bin/openssl"]))("the README's crontab", { timeout: 300_000 }, () => {
  const folder = temporaryFolder("accounting-cron-");
  const paths = {
    "/srv/accounting-tool": join(folder, "tool"),
    "/srv/accounting": join(folder, "archive"),
    "/var/www/accounting": join(folder, "www"),
    "/etc/accounting/nomad-token": join(folder, "nomad-token"),
    "/etc/nomad.d/tls/nomad-ca.pem": join(folder, "tls", "ca.pem"),
  };
  const TOKEN = "cron-7c4e0d2b-token";
  const scenario = recent(0);
  let nomad: StandIn;
  let environment: NodeJS.ProcessEnv;

  /** Replaces the README's example paths, address and key with this test's. */
  const localize = (text: string) =>
    Object.entries(paths)
      .reduce((result, [example, local]) => result.replaceAll(example, local), text)
      .replaceAll("https://nomad.example.org:4646", nomad.address)
      .replace("the-key-that-npx-accounting-key-printed", "0123456789abcdef0123456789abcdef");
  const cron = (command: string) => run("/bin/sh", ["-c", localize(command)], folder, environment);
  const snapshots = () => readdirSync(join(paths["/srv/accounting"], "snapshots")).sort();

  beforeAll(async () => {
    copyProject(paths["/srv/accounting-tool"]);
    // What `npm install` does in a clone: compile the command.
    execFileSync("npm", ["run", "--silent", "prepare"], { cwd: paths["/srv/accounting-tool"], stdio: "pipe" });
    const { key, cert, ca } = nomadCertificates(join(folder, "tls"));
    nomad = await startStandIn(scenario, { tls: { key, cert }, token: TOKEN });
    writeFileSync(paths["/etc/accounting/nomad-token"], `${TOKEN}\n`, { mode: 0o600 });
    expect(ca).toBe(paths["/etc/nomad.d/tls/nomad-ca.pem"]);
    mkdirSync(paths["/srv/accounting"]);
    mkdirSync(paths["/var/www/accounting"]);
    const home = join(folder, "home");
    mkdirSync(home);
    // Cron's environment: HOME, LOGNAME, SHELL and PATH, and the crontab's own variables (MAILTO is cron's).
    environment = {
      HOME: home,
      LOGNAME: "accounting",
      SHELL: "/bin/sh",
      PATH: "/usr/bin:/bin",
      ...Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, localize(value)])),
    };
  }, 120_000);
  afterAll(async () => nomad?.close());

  it("has a line every 4 hours for the loop and a daily check", () => {
    expect(jobs.map((job) => job.schedule)).toEqual(["0 */4 * * *", "0 7 * * *"]);
    expect(jobs[0]?.command).toMatch(/npx accounting snapshot .*&& npx accounting users update .*&& .*npm run --silent build.*&& rsync /);
    expect(jobs[1]?.command).toMatch(/npx accounting check --quiet/);
  });

  it("takes snapshots, updates the user database, builds and publishes the site, and says nothing", async () => {
    const first = await cron(jobs[0]!.command);
    expect([first.code, first.output]).toEqual([0, ""]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    Object.assign(scenario, recent(2));
    const second = await cron(jobs[0]!.command);
    expect([second.code, second.output]).toEqual([0, ""]);

    expect(snapshots()).toHaveLength(2);
    const [, newest] = snapshots().map(
      (name) => JSON.parse(readFileSync(join(paths["/srv/accounting"], "snapshots", name), "utf8")) as Record<string, { job_ID: string; status: string }[]>,
    );
    expect(Object.keys(newest!)).toEqual(["ai4eosc", "imagine"]);
    expect(newest!.ai4eosc!.map((job) => [job.job_ID, job.status])).toEqual([
      ["a", "running"],
      ["b", "dead"],
    ]);
    const users = join(paths["/srv/accounting"], "users", "user-db.json");
    expect(statSync(users).mode & 0o777).toBe(0o600);
    expect(Object.keys(JSON.parse(readFileSync(users, "utf8")) as object).length).toBeGreaterThan(0);

    const www = paths["/var/www/accounting"];
    const month = new Date(Date.now() - 86_400_000).toISOString().slice(0, 7);
    for (const page of ["index.html", "accounting.html", join("reports", `${month}.html`)]) expect([page, existsSync(join(www, page))]).toEqual([page, true]);
    // Nomad's token reached no file of the archive or the site.
    const grep = await run("grep", ["-rl", TOKEN, paths["/srv/accounting"], www], folder, environment);
    expect([grep.code, grep.output]).toEqual([1, ""]);
  });

  it("checks that snapshots still arrive, silently while they do", async () => {
    const check = await cron(jobs[1]!.command);
    expect([check.code, check.output]).toEqual([0, ""]);
  });

  it("says in one line that Nomad cannot be read, and leaves the archive and the site as they were", async () => {
    const before = snapshots();
    const site = statSync(join(paths["/var/www/accounting"], "index.html")).mtimeMs;
    chmodSync(paths["/etc/accounting/nomad-token"], 0o600);
    writeFileSync(paths["/etc/accounting/nomad-token"], "a-wrong-token\n");
    const failed = await cron(jobs[0]!.command);
    expect(failed.code).not.toBe(0);
    expect(failed.output).toMatch(/^accounting: [^\n]*403[^\n]*\n$/);
    expect(snapshots()).toEqual(before);
    expect(statSync(join(paths["/var/www/accounting"], "index.html")).mtimeMs).toBe(site);
  });
});
