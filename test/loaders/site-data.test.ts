import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { extract } from "tar-stream";
import { describe, expect, it } from "vitest";
import { contentFingerprint, dropStaleLoaderOutputs } from "../../loaders/fingerprint.js";
import { siteBuildFrom, siteDataFingerprint, writeSiteData } from "../../loaders/site-data.js";
import { jobJson, temporaryFolder, writeArchive } from "../helpers/archive.js";

async function tarOf(archive: string, env: Record<string, string>): Promise<Buffer> {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on("data", (chunk: Buffer) => chunks.push(chunk));
  await writeSiteData(siteBuildFrom({ ACCOUNTING_ARCHIVE: archive, ...env }, () => {}), output);
  return Buffer.concat(chunks);
}

async function entries(tar: Buffer): Promise<string[]> {
  const names: string[] = [];
  const reader = extract();
  reader.on("entry", (header, stream, next) => {
    names.push(header.name);
    stream.resume();
    stream.on("end", next);
  });
  const done = new Promise<void>((resolve) => reader.on("finish", () => resolve()));
  reader.end(tar);
  await done;
  return names;
}

describe("writeSiteData", () => {
  const archive = writeArchive({ "2024-03-01T00:00:00.json": { vo: [jobJson()] }, "2024-03-01T06:00:00.json": { vo: [jobJson()] } });

  it("writes every Parquet table into one tar, byte for byte the same for the same archive and key", async () => {
    const tar = await tarOf(archive, { ACCOUNTING_PSEUDONYM_KEY: "k" });
    expect(await entries(tar)).toEqual(["intervals.parquet", "snapshots.parquet", "problems.parquet", "jobs.parquet", "users.parquet"]);
    expect(tar.equals(await tarOf(archive, { ACCOUNTING_PSEUDONYM_KEY: "k" }))).toBe(true);
    expect(tar.equals(await tarOf(archive, { ACCOUNTING_PSEUDONYM_KEY: "other" }))).toBe(false);
  });

  it("warns when pseudonyms are random, and builds privately only when asked", () => {
    const warnings: string[] = [];
    expect(siteBuildFrom({}, (message) => warnings.push(message))).toMatchObject({ archive: "data/sample", private: false });
    expect(warnings).toEqual(["ACCOUNTING_PSEUDONYM_KEY is not set: pseudonyms are random and change from one build to the next"]);
    expect(siteBuildFrom({ ACCOUNTING_PRIVATE: "1", ACCOUNTING_PSEUDONYM_KEY: "k" }, () => {}).private).toBe(true);
    expect(siteBuildFrom({ ACCOUNTING_PRIVATE: "yes", ACCOUNTING_PSEUDONYM_KEY: "k" }, () => {}).private).toBe(false);
  });
});

describe("the loader cache", () => {
  it("is fingerprinted on the content of folders and on settings", () => {
    const archive = writeArchive({ "2024-03-01T00:00:00.json": { vo: [jobJson()] } });
    const first = contentFingerprint([archive], ["k", "false"]);
    expect(contentFingerprint([archive], ["k", "false"])).toBe(first);
    expect(contentFingerprint([archive], ["k", "true"])).not.toBe(first);
    writeArchive({ "2024-03-01T06:00:00.json": { vo: [jobJson()] } }, archive);
    const second = contentFingerprint([archive], ["k", "false"]);
    expect(second).not.toBe(first);
    writeFileSync(join(archive, "snapshots", "2024-03-01T06:00:00.json"), JSON.stringify({ vo: [] }));
    expect(contentFingerprint([archive, temporaryFolder()], ["k", "false"])).not.toBe(contentFingerprint([archive], ["k", "false"]));
    expect(contentFingerprint([archive], ["k", "false"])).not.toBe(second);
  });

  it("covers the known issues too, whose loader Framework caches as well", () => {
    const archive = writeArchive({ "2024-03-01T00:00:00.json": { vo: [jobJson()] } });
    const issues = join(temporaryFolder(), "known-issues.json");
    const env = { ACCOUNTING_ARCHIVE: archive, ACCOUNTING_PSEUDONYM_KEY: "k", ACCOUNTING_KNOWN_ISSUES: issues };
    const missing = siteDataFingerprint(siteBuildFrom(env, () => {}));
    writeFileSync(issues, "[]");
    const empty = siteDataFingerprint(siteBuildFrom(env, () => {}));
    writeFileSync(issues, '[{"from":"2024-03-01","to":"2024-03-01","title":"t","description":"d"}]');
    expect(new Set([missing, empty, siteDataFingerprint(siteBuildFrom(env, () => {}))]).size).toBe(3);
  });

  it("drops Framework's cached loader outputs when the fingerprint changes, and only then", () => {
    const cache = temporaryFolder();
    const cached = () => ["data/accounting.tar", "data/accounting/intervals.parquet", "data/other.json"].filter((path) => existsSync(join(cache, path)));
    const fill = () => {
      mkdirSync(join(cache, "data/accounting"), { recursive: true });
      for (const path of ["data/accounting.tar", "data/accounting/intervals.parquet", "data/other.json"]) writeFileSync(join(cache, path), "x");
    };
    const outputs = ["data/accounting.tar", "data/accounting"];
    fill();
    expect(dropStaleLoaderOutputs(cache, outputs, "a")).toBe(true);
    expect(cached()).toEqual(["data/other.json"]);
    fill();
    expect(dropStaleLoaderOutputs(cache, outputs, "a")).toBe(false);
    expect(cached()).toHaveLength(3);
    expect(dropStaleLoaderOutputs(cache, outputs, "b")).toBe(true);
    expect(cached()).toEqual(["data/other.json"]);
    expect(readFileSync(join(cache, "archive.sha256"), "utf8")).toBe("b");
  });
});
