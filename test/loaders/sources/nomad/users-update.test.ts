import { describe, expect, it } from "vitest";
import { formatUserDatabase, parseUserDatabase, takeOwner, UserDatabaseError } from "../../../../loaders/sources/nomad/users-update.js";
import { MalformedJob } from "../../../../loaders/sources/nomad/deployment.js";

/** update-user-db.py's rule and the file's layouts; against upstream's bytes: test/cli/users.test.ts. */
describe("the user database", () => {
  it("overwrites what a job carries, keeps the rest and the order, appends new owners, {} for an owner with neither", () => {
    const database = parseUserDatabase('{"9": {"email": "old", "x": 1}, "a": {}}');
    expect(database.indent).toBeUndefined();
    takeOwner(database.users, { owner: "9", owner_name: "N\u00e9", owner_email: "new" });
    takeOwner(database.users, { owner: "b", title: "t" });
    takeOwner(database.users, { owner: "a", owner_email: "e" });
    expect(formatUserDatabase(database)).toBe('{"9": {"email": "new", "x": 1, "name": "N\\u00e9"}, "a": {"email": "e"}, "b": {}}');
    expect(() => takeOwner(database.users, { title: "t" })).toThrow(MalformedJob);
    expect(() => takeOwner(database.users, null)).toThrow(MalformedJob);
  });

  it("keeps the file's indent; an empty database is indented as upstream's current one", () => {
    expect(parseUserDatabase('{\n    "a": {}\n}').indent).toBe(4);
    expect(parseUserDatabase("{}").indent).toBe(2);
    expect(formatUserDatabase(parseUserDatabase('{\n  "a": {\n    "name": "x"\n  }\n}'))).toBe('{\n  "a": {\n    "name": "x"\n  }\n}');
  });

  it("refuses what is not a database of owners", () => {
    for (const text of ["", "[]", '{"a": []}', '{"a": 1}', "{"]) expect(() => parseUserDatabase(text), text).toThrow(UserDatabaseError);
  });
});
