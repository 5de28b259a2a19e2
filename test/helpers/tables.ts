import { loadArchive } from "../../loaders/ingest/load.js";
import type { AccountingDatabase } from "../../loaders/ingest/database.js";
import { TABLES } from "../../loaders/model/schema.js";
import type { Problem } from "../../loaders/model/records.js";
import { sqlIdentifier } from "../../loaders/queries/sql.js";
import { type STATUS_COUNTS } from "../../loaders/sources/nomad/statuses.js";

export type Row = Record<string, unknown>;

/** The documented tables as rows; the ones tests look into, typed. */
export interface Tables {
  intervals: Row[];
  snapshots: ({ time: number; file: string; account: string } & Record<(typeof STATUS_COUNTS)[number], number>)[];
  problems: Problem[];
  jobs: Row[];
  accounts: Row[];
  spans: Row[];
  users: { owner: string; pseudonym: string; name: string | null; email: string | null }[];
}

/** What `ingest --out DIR` writes at the top of DIR, in the order `readdirSync(DIR).sort()` gives. */
export const INGEST_OUTPUT = [".partitions.json", "accounts.parquet", "intervals", "jobs", "problems.parquet", "snapshots", "spans.parquet", "users.parquet"];

export interface LoadChoices {
  /** The pseudonym key; "k" by default. */
  pseudonymKey?: string;
  private?: boolean;
}

/** An archive's tables in native DuckDB, as the CLI and the site load them (the production route, no cache). */
export function loadedDatabase(archive: string, choices: LoadChoices = {}): Promise<AccountingDatabase> {
  return loadArchive(archive, { users: { pseudonymKey: choices.pseudonymKey ?? "k", private: choices.private ?? false } });
}

/** Every documented table's rows, in their order, times as µs since the epoch (numbers), as the loaders build them. */
export async function tablesOf(database: AccountingDatabase): Promise<Tables> {
  const tables: Record<string, Row[]> = {};
  for (const table of TABLES) {
    const columns = table.columns.map(({ name, type }) =>
      type === "TIMESTAMPTZ" ? `epoch_us(${sqlIdentifier(name)})::DOUBLE AS ${sqlIdentifier(name)}` : sqlIdentifier(name),
    );
    tables[table.name] = await database.query<Row>(`SELECT ${columns.join(", ")} FROM ${table.name} ORDER BY rowid`);
  }
  return tables as unknown as Tables;
}

/** An archive's tables as rows, loaded through the production route. */
export async function archiveTables(archive: string, choices: LoadChoices = {}): Promise<Tables> {
  const database = await loadedDatabase(archive, choices);
  try {
    return await tablesOf(database);
  } finally {
    database.close();
  }
}
