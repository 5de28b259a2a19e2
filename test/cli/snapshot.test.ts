import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { temporaryFolder } from "../helpers/archive.js";
import { runCli } from "../helpers/cli.js";
import { quirksScenario, usageScenario, USAGE_SNAPSHOTS } from "../helpers/nomad-scenario.js";
import { startStandIn, type StandIn, type Switches } from "../helpers/nomad-stand-in.js";
import { nomadCertificates } from "../helpers/nomad-tls.js";
import { upstreamView } from "../helpers/reference.js";
import { missingPrograms } from "../helpers/tools.js";

/**
 * `accounting snapshot` against the Nomad API stand-in: upstream's bytes, the calls, what a failure leaves (nothing),
 * TLS, the token, and the usage a report finds in the snapshots it took.
 */

const FIXTURES = new URL("../fixtures/nomad-api/", import.meta.url).pathname;
const NOW = Date.UTC(2024, 2, 1, 6, 0, 0, 999);
const NAME = "2024-03-01T06:00:00.json";
const TOKEN = "s3cr3t-7f1e9a0c-token-d41d8cd9";

let standIns: StandIn[] = [];
async function standIn(switches: Switches = {}, scenario = quirksScenario()): Promise<StandIn> {
  const started = await startStandIn(scenario, switches);
  standIns.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(standIns.map((item) => item.close()));
  standIns = [];
});

const timeZone = process.env.TZ;
beforeAll(() => {
  // Upstream wrote the golden file's submit_time in this zone: the process's local time, as Python's fromtimestamp.
  process.env.TZ = "Europe/Madrid";
});
afterAll(() => {
  if (timeZone === undefined) delete process.env.TZ;
  else process.env.TZ = timeZone;
});

async function snapshot(address: string, args: string[] = [], env: Record<string, string | undefined> = {}, archive = temporaryFolder()) {
  const run = await runCli(["snapshot", "--nomad", address, "--archive", archive, ...args], env, { now: () => NOW });
  return { ...run, archive };
}

const files = (archive: string) => (existsSync(join(archive, "snapshots")) ? readdirSync(join(archive, "snapshots")) : []);

describe("accounting snapshot", () => {
  it("writes the bytes upstream's take_snapshot.py wrote from the same cluster, named by the second (UTC)", async () => {
    const nomad = await standIn();
    const { code, stdout, stderr, archive } = await snapshot(nomad.address);
    expect(code).toBe(0);
    expect(files(archive)).toEqual([NAME]);
    const written = readFileSync(join(archive, "snapshots", NAME));
    expect(written.toString("latin1")).toBe(readFileSync(join(FIXTURES, "quirks/take_snapshot.json"), "latin1"));
    expect(statSync(join(archive, "snapshots", NAME)).mode & 0o777).toBe(0o600);
    expect(stdout).toBe(`Wrote a snapshot of 6 in ai4eosc, 0 in ai4life, 5 in imagine; 3 left out (see the warnings) to ${join(archive, "snapshots", NAME)}\n`);
    expect(stderr.split("\n").filter((line) => line.includes("warning"))).toEqual([
      'accounting: warning: job "1f-just-placed" of namespace "imagine" left out: the allocation has no task states yet',
      'accounting: warning: job "1g-no-owner" of namespace "imagine" left out: no Meta.owner',
      'accounting: warning: job "1h-no-main" of namespace "imagine" left out: no task "main" in the first task group',
    ]);
  });

  it("asks what upstream asks: namespaces, then each namespace's jobs, each deployment, its allocations, the chosen one, its node", async () => {
    const nomad = await standIn(
      {},
      { ...quirksScenario(), jobs: quirksScenario().jobs.filter((job) => ["0d-lost", "0e-dead-unstarted", "1i-traefik"].includes(job.ID)) },
    );
    const { code } = await snapshot(nomad.address);
    expect(code).toBe(0);
    expect(nomad.requests).toEqual([
      "GET /v1/namespaces",
      "GET /v1/jobs?namespace=ai4eosc",
      "GET /v1/job/0d-lost?namespace=ai4eosc",
      "GET /v1/job/0d-lost/allocations?namespace=ai4eosc",
      "GET /v1/allocation/alloc-0d-orig",
      "GET /v1/node/node-2",
      "GET /v1/job/0e-dead-unstarted?namespace=ai4eosc",
      "GET /v1/job/0e-dead-unstarted/allocations?namespace=ai4eosc",
      "GET /v1/jobs?namespace=ai4life",
      "GET /v1/jobs?namespace=imagine",
    ]);
  });

  it("reads the namespaces given, in their order, and Nomad's without default and tutorials even when they are absent", async () => {
    const nomad = await standIn();
    const { archive } = await snapshot(nomad.address, ["--namespaces", "imagine,ai4life", "--quiet"]);
    const written = JSON.parse(readFileSync(join(archive, "snapshots", NAME), "utf8"));
    expect(Object.keys(written)).toEqual(["imagine", "ai4life"]);
    expect(nomad.requests.filter((request) => request.includes("namespaces"))).toEqual([]);
    const bare = await standIn({}, { ...quirksScenario(), namespaces: ["ai4eosc"] });
    const { code, archive: second } = await snapshot(bare.address, ["--quiet"]);
    expect(code).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(join(second, "snapshots", NAME), "utf8")))).toEqual(["ai4eosc"]);
  });

  it("takes its address from $NOMAD_ADDR and its token from $NOMAD_TOKEN; without an address it is a usage error", async () => {
    const nomad = await standIn({ token: TOKEN });
    const archive = temporaryFolder();
    const run = await runCli(["snapshot", "--archive", archive, "--quiet"], { NOMAD_ADDR: nomad.address, NOMAD_TOKEN: TOKEN }, { now: () => NOW });
    expect([run.code, run.stdout, run.stderr]).toEqual([0, "", ""]);
    expect(files(archive)).toEqual([NAME]);
    expect(nomad.headers.every((headers) => headers["x-nomad-token"] === TOKEN)).toBe(true);
    const none = await runCli(["snapshot", "--archive", archive], {});
    expect([none.code, none.stderr]).toEqual([2, "accounting: give Nomad's address: --nomad ADDR, or $NOMAD_ADDR\n"]);
  });

  it("never shows the token: not on success, a refusal, a failure or a cut, nor in the snapshot", async () => {
    const tokenFile = join(temporaryFolder(), "token");
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const outputs: string[] = [];
    const ok = await standIn({ token: TOKEN });
    const good = await snapshot(ok.address, ["--token-file", tokenFile]);
    expect(good.code).toBe(0);
    outputs.push(good.stdout, good.stderr, readFileSync(join(good.archive, "snapshots", NAME), "utf8"));
    const refusing = await standIn({ token: "another" });
    const refused = await snapshot(refusing.address, ["--token-file", tokenFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`accounting: Nomad answered 403 (Permission denied) to ${refusing.address}/v1/namespaces: is the ACL token right?\n`);
    const cutting = await standIn({ token: TOKEN, cutJobsListing: "imagine", failing: { path: /jobs/, times: 1 } });
    const cut = await snapshot(cutting.address, ["--token-file", tokenFile], { NOMAD_TOKEN: TOKEN });
    expect(cut.code).toBe(1);
    outputs.push(refused.stdout, refused.stderr, cut.stdout, cut.stderr);
    for (const output of outputs) expect(output).not.toContain(TOKEN);
    expect(outputs.join("")).not.toContain("s3cr3t");
  });

  it("tries again after a server error, and succeeds", async () => {
    const nomad = await standIn({ failing: { path: /^\/v1\/allocation\//, times: 2 } });
    const { code, stderr, archive } = await snapshot(nomad.address);
    expect(code).toBe(0);
    expect(stderr).toContain(
      `accounting: warning: Nomad answered 500 (rpc error: No cluster leader) to ${nomad.address}/v1/allocation/alloc-0a; trying again in 1 s\n`,
    );
    expect(readFileSync(join(archive, "snapshots", NAME), "latin1")).toBe(readFileSync(join(FIXTURES, "quirks/take_snapshot.json"), "latin1"));
  }, 20_000);

  it("writes nothing when a job cannot be read after the tries: the archive is as it was", async () => {
    const nomad = await standIn({ failing: { path: /^\/v1\/node\// } });
    const archive = temporaryFolder();
    mkdirSync(join(archive, "snapshots"));
    writeFileSync(join(archive, "snapshots", "2024-02-29T18:00:00.json"), "{}");
    const { code, stdout, stderr } = await snapshot(nomad.address, ["--quiet"], {}, archive);
    expect([code, stdout]).toEqual([1, ""]);
    expect(stderr).toBe(`accounting: Nomad answered 500 (rpc error: No cluster leader) to ${nomad.address}/v1/node/node-1 (tried 4 times)\n`);
    expect(files(archive)).toEqual(["2024-02-29T18:00:00.json"]);
  }, 20_000);

  it("writes nothing when the connection is cut in the middle of a job listing", async () => {
    const nomad = await standIn({ cutJobsListing: "imagine" });
    const { code, stderr, archive } = await snapshot(nomad.address, ["--quiet"]);
    expect(code).toBe(1);
    expect(stderr).toBe(`accounting: the connection was cut while reading ${nomad.address}/v1/jobs?namespace=imagine (tried 4 times)\n`);
    expect(files(archive)).toEqual([]);
  }, 20_000);

  it("waits for slow answers", async () => {
    const nomad = await standIn({ delayMs: 150 }, { ...quirksScenario(), jobs: quirksScenario().jobs.slice(0, 2) });
    const { code, archive } = await snapshot(nomad.address, ["--quiet"]);
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(join(archive, "snapshots", NAME), "utf8")).ai4eosc).toHaveLength(2);
  });

  it("says so when Nomad is unreachable, and writes nothing", async () => {
    const nomad = await standIn();
    const address = nomad.address;
    await nomad.close();
    const { code, stderr, archive } = await snapshot(address, ["--quiet"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^accounting: cannot read ${address}/v1/namespaces: ECONNREFUSED, .* \\(tried 4 times\\)\\n$`));
    expect(files(archive)).toEqual([]);
  }, 20_000);

  it("exits 3 when the snapshot cannot be written, leaving no file behind", async () => {
    const nomad = await standIn();
    const archive = temporaryFolder();
    writeFileSync(join(archive, "snapshots"), "a file where the folder should be");
    const { code, stderr } = await snapshot(nomad.address, ["--quiet"], {}, archive);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^accounting: cannot write .*snapshots\/2024-03-01T06:00:00\.json: /);
  });

  it("refuses bad arguments with exit status 2", async () => {
    expect((await runCli(["snapshot", "--nomad", "nomad:4646"])).stderr).toBe('accounting: Nomad\'s address "nomad:4646" is not an http:// or https:// URL\n');
    expect((await runCli(["snapshot", "--nomad", "http://x", "--token-file", "/nonexistent/token"])).code).toBe(2);
    expect((await runCli(["snapshot", "--nomad", "http://x", "--bogus"])).code).toBe(2);
  });
});

describe.skipIf(missingPrograms("accounting snapshot over TLS", ["/usr/bin/openssl"]))("accounting snapshot over TLS", () => {
  it("verifies the server against $NOMAD_CACERT under $NOMAD_TLS_SERVER_NAME, and refuses it otherwise", async () => {
    const { key, cert, ca } = nomadCertificates(temporaryFolder("nomad-tls-"));
    const nomad = await standIn({ tls: { key, cert } }, { ...quirksScenario(), jobs: [] });
    const good = await snapshot(nomad.address, ["--quiet"], { NOMAD_CACERT: ca, NOMAD_TLS_SERVER_NAME: "server.global.nomad" });
    expect([good.code, good.stderr]).toEqual([0, ""]);
    expect(files(good.archive)).toEqual([NAME]);
    const untrusted = await snapshot(nomad.address, ["--quiet"], { NOMAD_TLS_SERVER_NAME: "server.global.nomad" });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/^accounting: cannot read https:\/\/127\.0\.0\.1:\d+\/v1\/namespaces: UNABLE_TO_VERIFY_LEAF_SIGNATURE, [^\n]*\n$/);
    expect(untrusted.stderr).not.toContain("tried");
    const wrongName = await snapshot(nomad.address, ["--quiet"], { NOMAD_CACERT: ca });
    expect(wrongName.code).toBe(1);
    expect(wrongName.stderr).toContain("ERR_TLS_CERT_ALTNAME_INVALID");
    expect(files(untrusted.archive).concat(files(wrongName.archive))).toEqual([]);
  }, 60_000);
});

/** Upstream usage_stats.py's tables, as it printed them: table title → metric → integer. */
function upstreamTables(text: string): Record<string, Record<string, number>> {
  const tables: Record<string, Record<string, number>> = {};
  let table: Record<string, number> = {};
  const metric: Record<string, string> = { "Nº jobs": "jobs", "Nº active users": "users" };
  for (const line of text.split("\n")) {
    const title = /^(\S+) accounting for the period/.exec(line)?.[1];
    if (title) tables[title] = table = {};
    const row = /^│\s+(.+?) │\s+(\d+) │$/.exec(line);
    if (row) table[metric[row[1] as string] ?? (row[1] as string).replace(" hours", "_hours")] = Number(row[2]);
  }
  return tables;
}

describe("snapshots taken from the stand-in, then read", () => {
  it("give the usage its allocations imply, as upstream's usage_stats.py found in the same snapshots", async () => {
    const nomad = await standIn({}, usageScenario(0));
    const archive = temporaryFolder();
    for (const [step, time] of USAGE_SNAPSHOTS.entries()) {
      Object.assign(nomad.scenario, usageScenario(step));
      const run = await runCli(["snapshot", "--nomad", nomad.address, "--archive", archive, "--quiet"], {}, { now: () => Date.parse(time) });
      expect([run.code, run.stderr]).toEqual([0, ""]);
    }
    // By hand, from the scenario: A 4 cores × 17 h (01:00–18:00), B 2 cores × 7.5 h (03:00–10:30), C 1 core × (4 h
    // before its restart + 7 h after: the snapshot at 12:00 sees it from 11:00), D 2 cores × 11 h (07:00–18:00).
    const expected = {
      ai4eosc: { cpu_num_hours: 4 * 17 + 2 * 7.5, gpu_num_hours: 17, memory_MB_hours: 8000 * 17 + 4000 * 7.5, jobs: 2, users: 2 },
      imagine: { cpu_num_hours: 1 * 11 + 2 * 11, gpu_num_hours: 0, memory_MB_hours: 2000 * 11 + 4000 * 11, jobs: 2, users: 2 },
    };
    const upstream = upstreamTables(readFileSync(join(FIXTURES, "usage/usage_stats.txt"), "utf8"));
    for (const mode of ["compat", "exact"]) {
      const { code, stdout } = await runCli([
        "report",
        "--archive",
        archive,
        "--no-cache",
        "--format",
        "json",
        "--mode",
        mode,
        "--from",
        "2024-03-01",
        "--to",
        "2024-03-01",
      ]);
      expect(code).toBe(0);
      const report = JSON.parse(stdout);
      for (const [namespace, usage] of Object.entries(expected))
        for (const [metric, value] of Object.entries(usage)) expect(report.namespaces[namespace][metric]).toBeCloseTo(value, 6);
      expect(upstreamView(report)).toEqual(upstream);
    }
  });
});
