import { execFileSync } from "node:child_process";
import { mkdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ProblemReason } from "../../../../loaders/model/records.js";
import { readUsers } from "../../../../loaders/sources/nomad/users.js";
import { temporaryFolder } from "../../../helpers/archive.js";

function archiveWithUsers(plant: (path: string) => void): string {
  const archive = temporaryFolder();
  mkdirSync(join(archive, "users"));
  plant(join(archive, "users", "user-db.json"));
  return archive;
}

describe("the user database of a private build", () => {
  it("gives names and emails that are strings, and nothing for the rest", async () => {
    const archive = archiveWithUsers((path) =>
      writeFileSync(
        path,
        JSON.stringify({ "a@egi.eu": { name: "<b>Ann</b>", email: "ann@example.org" }, "b@egi.eu": { name: 42, email: ["x"] }, "c@egi.eu": "Carl" }),
      ),
    );
    const { users, problems } = await readUsers(archive, ["b@egi.eu", "a@egi.eu", "c@egi.eu", "d@egi.eu"], "k", true);
    expect(users.map(({ owner, name, email }) => [owner, name, email])).toEqual([
      ["a@egi.eu", "<b>Ann</b>", "ann@example.org"],
      ["b@egi.eu", null, null],
      ["c@egi.eu", null, null],
      ["d@egi.eu", null, null],
    ]);
    expect(problems).toEqual([]);
  });

  /** What is planted, the reason of the problem it makes, and its detail: what was found (null when the reason says it all). */
  const broken: [kind: string, plant: (path: string) => void, reason: ProblemReason, detail: RegExp | null][] = [
    ["not JSON", (path) => writeFileSync(path, "{"), "not valid JSON", /JSON/],
    ["an array", (path) => writeFileSync(path, "[]"), "wrong shape: not an object of owner ids", null],
    ["a named pipe", (path) => execFileSync("mkfifo", [path]), "not a file", null],
    ["a folder", (path) => mkdirSync(path), "not a file", null],
    [
      "a file of 100 MB",
      (path) => {
        writeFileSync(path, "{");
        truncateSync(path, 100 * 1024 * 1024);
      },
      "more than a user database can take",
      /^file of 100 MiB$/,
    ],
    [
      "15 MiB of nested objects",
      (path) => writeFileSync(path, `${'{"a":'.repeat(2_500_000)}0${"}".repeat(2_500_000)}`),
      "arrays and objects nested more than 64 levels deep",
      null,
    ],
  ];

  it.each(broken)("%s: a problem, pseudonyms for everyone, no hang", async (_, plant, reason, detail) => {
    const { users, problems } = await readUsers(archiveWithUsers(plant), ["a@egi.eu"], "k", true);
    expect(users).toEqual([{ owner: "a@egi.eu", pseudonym: expect.stringMatching(/^user-/), name: null, email: null }]);
    expect(problems).toEqual([{ file: "users/user-db.json", line: null, account: null, job: null, reason, detail: detail && expect.stringMatching(detail) }]);
  });

  it("is not read at all by a public build", async () => {
    const { users, problems } = await readUsers(
      archiveWithUsers((path) => writeFileSync(path, "{")),
      ["a@egi.eu"],
      "k",
      false,
    );
    expect(problems).toEqual([]);
    expect(users[0]).toMatchObject({ name: null, email: null });
  });
});
