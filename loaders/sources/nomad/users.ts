import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { formatMiB, USER_DB_FILE } from "./archive.js";
import { pathologicalJson, type ShapeReason } from "../../model/json-shape.js";
import { pseudonym } from "../../ingest/pseudonym.js";
import { fileProblem, type Problem } from "../../model/records.js";

interface Person {
  name: string | null;
  email: string | null;
}

/** An owner of jobs: a pseudonym always, who they are only in a private build. */
export interface User extends Person {
  owner: string;
  pseudonym: string;
}

type UserDatabase = Map<string, Person>;

/**
 * A user database of 100,000 people with long names takes 12–13 MB. A larger file is not read: parsing 16 MiB of
 * the worst JSON takes 0.5 GB of memory.
 */
const MAX_USER_DATABASE_BYTES = 16 * 1024 * 1024;

/** Why the user database cannot be read. */
export type UserDatabaseReason =
  ShapeReason | "not a file" | "more than a user database can take" | "unreadable file" | "not valid JSON" | "wrong shape: not an object of owner ids";

function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** The archive's optional `users/user-db.json`; a missing file is an empty database, a broken one a problem. */
async function readUserDatabase(archive: string): Promise<{ users: UserDatabase; problems: Problem[] }> {
  const users: UserDatabase = new Map();
  const fail = (reason: UserDatabaseReason, detail: string | null = null) => ({ users, problems: [fileProblem(USER_DB_FILE, reason, detail)] });
  let content: string;
  try {
    const path = join(archive, USER_DB_FILE);
    const info = await stat(path);
    if (!info.isFile()) return fail("not a file");
    if (info.size > MAX_USER_DATABASE_BYTES) return fail("more than a user database can take", `file of ${formatMiB(info.size)}`);
    const bytes = await readFile(path);
    const pathological = pathologicalJson(bytes);
    if (pathological) return fail(pathological);
    content = bytes.toString("utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? { users, problems: [] } : fail("unreadable file", String(code ?? error));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (error) {
    return fail("not valid JSON", (error as Error).message);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return fail("wrong shape: not an object of owner ids");
  for (const [owner, person] of Object.entries(parsed)) {
    const record = typeof person === "object" && person !== null ? (person as Record<string, unknown>) : {};
    users.set(owner, { name: text(record.name), email: text(record.email) });
  }
  return { users, problems: [] };
}

/** One row per owner, sorted; names and emails only when a user database is given. */
function usersOf(owners: Iterable<string>, key: string, database?: UserDatabase): User[] {
  return [...new Set(owners)].sort().map((owner) => ({
    owner,
    pseudonym: pseudonym(key, owner),
    name: database?.get(owner)?.name ?? null,
    email: database?.get(owner)?.email ?? null,
  }));
}

/** The users table of `owners`; in a private build, with the user database's names, and its problems if broken. */
export async function readUsers(
  archive: string,
  owners: Iterable<string>,
  key: string,
  privateBuild: boolean,
): Promise<{ users: User[]; problems: Problem[] }> {
  const database = privateBuild ? await readUserDatabase(archive) : undefined;
  return { users: usersOf(owners, key, database?.users), problems: database?.problems ?? [] };
}
