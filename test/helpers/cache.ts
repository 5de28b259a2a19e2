import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { CACHE_FILE } from "../../loaders/ingest/ingest-cache.js";

/** Runs `statements` on the ingest cache of `folder`, as another process would: to alter it behind the pipeline's back. */
export async function alterCache(folder: string, ...statements: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(join(folder, CACHE_FILE));
  const connection = await instance.connect();
  try {
    for (const statement of statements) await connection.run(statement);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
