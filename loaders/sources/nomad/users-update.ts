import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { JsonSyntaxError, parseJsonExact, pythonJson } from "../../model/python-json.js";
import { USER_DB_FILE } from "./archive.js";
import { MalformedJob } from "./deployment.js";
import type { NomadApi } from "./nomad-api.js";
import { jobsOf, leaveOut, namespacesToRead, writeWhole, type NomadReading } from "./take-snapshot.js";

/**
 * `accounting users update`: the owners of Nomad's current modules and tools, with the names and emails their jobs
 * carry (`Meta.owner_name`, `Meta.owner_email`), added to `<archive>/users/user-db.json` as upstream's
 * `update-user-db.py` adds them: a name or email a job carries overwrites the database's, nothing is deleted, new
 * owners come last. The file keeps its layout (one line, or indented) and is its owner's only: it is personal data.
 */

/** The jobs whose owners are taken: modules and tools, with the hyphen (not batch jobs, unlike snapshots). */
const USER_JOB_NAME = /^(?:module|tool)-/;
/** What each owner may have, in this order, from the job's `Meta.owner_<field>`. */
const FIELDS = ["name", "email"] as const;
/** Upstream's layout since 2026-03 (`json.dump(users, f, indent=2)`), for a new database. */
const DEFAULT_INDENT = 2;
const USER_DB_MODE = 0o600;

/** The existing user database cannot be read as one: it is left as it is. */
export class UserDatabaseError extends Error {}

/** A user database: owner id → their fields, in the file's order; and how the file is laid out. */
interface UserDatabase {
  users: Map<string, Map<string, unknown>>;
  /** Spaces per level, or undefined for one line (upstream's layout before 2026-03). */
  indent: number | undefined;
}

/** A user database's text; `{}` when there is none. */
export function parseUserDatabase(text: string): UserDatabase {
  let parsed: unknown;
  try {
    parsed = parseJsonExact(text, { maps: true });
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new UserDatabaseError(`not JSON: ${error.message}`);
    throw error;
  }
  if (!(parsed instanceof Map) || [...parsed.values()].some((user) => !(user instanceof Map)))
    throw new UserDatabaseError("not an object of owner ids, each an object of their name and email");
  const indent = /^\{\n( +)"/.exec(text)?.[1]?.length ?? (text.startsWith("{\n") || parsed.size === 0 ? DEFAULT_INDENT : undefined);
  return { users: parsed as UserDatabase["users"], indent };
}

/** The database's text as Python's `json.dump` writes it in its layout: ASCII, no newline at the end. */
export function formatUserDatabase({ users, indent }: UserDatabase): string {
  return pythonJson(users, indent);
}

/** What one update did. */
interface UsersUpdate {
  /** Owners new to the database, and owners it had whose name or email changed. */
  added: number;
  changed: number;
  /** Owners in the database. */
  total: number;
  /** The file, `users/user-db.json`. */
  file: string;
}

/** Takes a job's owner, name and email into the database, as upstream: what the job carries overwrites, nothing goes. */
export function takeOwner(users: UserDatabase["users"], meta: unknown): void {
  if (typeof meta !== "object" || meta === null || Array.isArray(meta) || !Object.prototype.hasOwnProperty.call(meta, "owner"))
    throw new MalformedJob("no Meta.owner");
  const fields = meta as Record<string, unknown>;
  if (typeof fields.owner !== "string") throw new MalformedJob("Meta.owner is not a string");
  const user = users.get(fields.owner) ?? new Map<string, unknown>();
  for (const field of FIELDS) if (Object.prototype.hasOwnProperty.call(fields, `owner_${field}`)) user.set(field, fields[`owner_${field}`]);
  users.set(fields.owner, user);
}

async function readUserDatabase(path: string): Promise<UserDatabase> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { users: new Map(), indent: DEFAULT_INDENT };
    throw new UserDatabaseError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return parseUserDatabase(text);
  } catch (error) {
    if (error instanceof UserDatabaseError) throw new UserDatabaseError(`${path} is left as it is: ${error.message}`);
    throw error;
  }
}

/** Reads the owners of every module and tool of the namespaces, then writes the database; Nomad failing writes nothing. */
export async function updateUsers(archive: string, api: NomadApi, settings: NomadReading): Promise<UsersUpdate> {
  const path = join(archive, USER_DB_FILE);
  const database = await readUserDatabase(path);
  const warn = settings.onWarning ?? (() => undefined);
  const before = new Map([...database.users].map(([owner, user]) => [owner, pythonJson(user)]));
  for (const namespace of await namespacesToRead(api, settings.namespaces)) {
    const stubs = (await jobsOf(api, namespace)).filter((stub) => typeof stub.Name === "string" && USER_JOB_NAME.test(stub.Name));
    settings.onProgress?.(`namespace ${JSON.stringify(namespace)}: ${stubs.length} modules and tools`);
    for (const { ID: id } of stubs) {
      try {
        if (typeof id !== "string") throw new MalformedJob("no ID");
        const job = await api.get(`job/${encodeURIComponent(id)}`, { namespace });
        takeOwner(database.users, (job as Record<string, unknown> | null)?.Meta);
      } catch (error) {
        leaveOut(error, namespace, id, warn);
      }
    }
  }
  await writeWhole(dirname(path), basename(path), formatUserDatabase(database), USER_DB_MODE);
  const owners = [...database.users];
  const added = owners.filter(([owner]) => !before.has(owner)).length;
  const changed = owners.filter(([owner, user]) => before.has(owner) && before.get(owner) !== pythonJson(user)).length;
  return { added, changed, total: database.users.size, file: USER_DB_FILE };
}
