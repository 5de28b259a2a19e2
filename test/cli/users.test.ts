import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { temporaryFolder } from "../helpers/archive.js";
import { runCli } from "../helpers/cli.js";
import { usersScenario } from "../helpers/nomad-scenario.js";
import { startStandIn, type StandIn, type Switches } from "../helpers/nomad-stand-in.js";

/** `accounting users update` against the Nomad API stand-in: upstream update-user-db.py's bytes, layout, mode, failures. */

const FIXTURES = new URL("../fixtures/nomad-api/users/", import.meta.url).pathname;
const fixture = (name: string) => readFileSync(join(FIXTURES, name), "latin1");

let standIns: StandIn[] = [];
async function standIn(switches: Switches = {}): Promise<StandIn> {
  const started = await startStandIn(usersScenario(), switches);
  standIns.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(standIns.map((item) => item.close()));
  standIns = [];
});

/** An archive whose user database holds `content` (none when undefined), with this mode. */
function archiveWith(content?: string, mode = 0o644): { archive: string; path: string } {
  const archive = temporaryFolder();
  const path = join(archive, "users", "user-db.json");
  if (content !== undefined) {
    mkdirSync(join(archive, "users"));
    writeFileSync(path, content);
    chmodSync(path, mode);
  }
  return { archive, path };
}

const update = (address: string, archive: string, args: string[] = []) => runCli(["users", "update", "--nomad", address, "--archive", archive, ...args]);

describe("accounting users update", () => {
  it("writes what upstream's update-user-db.py wrote from the same jobs and database, readable by its owner only", async () => {
    const nomad = await standIn();
    const { archive, path } = archiveWith(fixture("user-db.before.json"));
    const { code, stdout, stderr } = await update(nomad.address, archive);
    expect(code).toBe(0);
    expect(readFileSync(path, "latin1")).toBe(fixture("user-db.after.json"));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(archive, "users"))).toEqual(["user-db.json"]);
    expect(stdout).toBe(`Wrote 5 users (2 new, 1 changed) to ${path}\n`);
    expect(stderr).toContain('accounting: warning: job "b2" of namespace "imagine" left out: no Meta.owner\n');
    expect(nomad.requests).toEqual([
      "GET /v1/namespaces",
      "GET /v1/jobs?namespace=ai4eosc",
      "GET /v1/job/a1?namespace=ai4eosc",
      "GET /v1/job/a2?namespace=ai4eosc",
      "GET /v1/job/a3?namespace=ai4eosc",
      "GET /v1/jobs?namespace=imagine",
      "GET /v1/job/b1?namespace=imagine",
      "GET /v1/job/b2?namespace=imagine",
    ]);
  });

  it("keeps a one-line database on one line, and writes a new one indented as upstream now does", async () => {
    const nomad = await standIn();
    const oneLine = archiveWith(
      JSON.stringify(JSON.parse(fixture("user-db.before.json")))
        .replace(/,"/g, ', "')
        .replace(/":/g, '": '),
    );
    expect((await update(nomad.address, oneLine.archive, ["--quiet"])).code).toBe(0);
    expect(readFileSync(oneLine.path, "latin1")).toBe(fixture("user-db.after.one-line.json"));
    const fresh = archiveWith();
    expect((await update(nomad.address, fresh.archive, ["--quiet"])).code).toBe(0);
    expect(readFileSync(fresh.path, "utf8")).toBe(
      '{\n  "known@egi.eu": {\n    "name": "Zo\\u00eb Nov\\u00e1k",\n    "email": "zoe@example.org"\n  },\n  "12345": {},\n' +
        '  "new@egi.eu": {\n    "email": "zhang@example.org",\n    "name": "\\u5f20\\u4f1f"\n  }\n}',
    );
    expect(statSync(join(fresh.archive, "users")).mode & 0o777).toBe(0o700);
  });

  it("leaves a database that is not one as it is: exit status 1, before asking Nomad", async () => {
    const nomad = await standIn();
    for (const broken of ['{"a": {"name": "x"', '["a"]', '{"a": "x"}']) {
      const { archive, path } = archiveWith(broken);
      const { code, stdout, stderr } = await update(nomad.address, archive);
      expect([code, stdout]).toEqual([1, ""]);
      expect(stderr).toMatch(new RegExp(`^accounting: ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is left as it is: `));
      expect(readFileSync(path, "utf8")).toBe(broken);
      expect(statSync(path).mode & 0o777).toBe(0o644);
    }
    expect(nomad.requests).toEqual([]);
  });

  it("leaves the database as it was when Nomad cannot be read", async () => {
    const nomad = await standIn({ failing: { path: /^\/v1\/job\/b1/ }, token: "right" });
    const { archive, path } = archiveWith(fixture("user-db.before.json"));
    const refused = await update(nomad.address, archive, ["--quiet"]);
    expect(refused.code).toBe(1);
    const failing = await runCli(["users", "update", "--nomad", nomad.address, "--archive", archive, "--quiet"], { NOMAD_TOKEN: "right" });
    expect([failing.code, failing.stderr]).toEqual([
      1,
      `accounting: Nomad answered 500 (rpc error: No cluster leader) to ${nomad.address}/v1/job/b1?namespace=imagine (tried 4 times)\n`,
    ]);
    expect(readFileSync(path, "latin1")).toBe(fixture("user-db.before.json"));
    expect(existsSync(join(archive, "snapshots"))).toBe(false);
  }, 20_000);

  it("takes one action, update", async () => {
    expect(await runCli(["users"])).toEqual({ code: 2, stdout: "", stderr: "accounting: users takes an action, update\n" });
    expect((await runCli(["users", "list"])).stderr).toBe('accounting: users takes an action, update, not "list"\n');
  });
});
