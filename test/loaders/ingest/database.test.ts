import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { writeParquet } from "../../../loaders/ingest/database.js";
import { TABLES } from "../../../loaders/model/schema.js";
import { temporaryFolder } from "../../helpers/archive.js";
import { REFERENCE_ARCHIVE } from "../../helpers/reference.js";
import { archiveTables, loadedDatabase } from "../../helpers/tables.js";

describe("writeParquet", () => {
  it("writes every table as zstd Parquet with the documented columns, UTC microsecond times and stable bytes", async () => {
    const tables = await archiveTables(REFERENCE_ARCHIVE);
    const write = async () => {
      const database = await loadedDatabase(REFERENCE_ARCHIVE);
      const folder = temporaryFolder();
      const paths = await writeParquet(database, folder);
      database.close();
      return paths;
    };
    const [paths, again] = [await write(), await write()];
    const reader = await (await DuckDBInstance.create(":memory:")).connect();
    const { readFileSync } = await import("node:fs");
    for (const [i, table] of TABLES.entries()) {
      const path = paths[i]!;
      expect(path.endsWith(`${table.name}.parquet`)).toBe(true);
      expect(readFileSync(path).equals(readFileSync(again[i]!))).toBe(true);
      const columns = (await reader.runAndReadAll(`DESCRIBE SELECT * FROM '${path}'`)).getRowObjectsJS();
      expect(columns.map((c) => [c.column_name, c.column_type])).toEqual(
        table.columns.map((c) => [c.name, c.type === "TIMESTAMPTZ" ? "TIMESTAMP WITH TIME ZONE" : c.type]),
      );
      const count = (await reader.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM '${path}'`)).getRowObjectsJS()[0]!.n;
      expect(count).toBe(tables[table.name].length);
      const codecs = (await reader.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${path}')`)).getRowObjectsJS();
      if (count) expect(codecs.map((c) => c.compression)).toEqual(["ZSTD"]);
    }
    const first = (await reader.runAndReadAll(`SELECT epoch_us(min(time))::BIGINT AS t FROM '${paths[1]}'`)).getRowObjectsJS()[0]!.t;
    expect(Number(first)).toBe(Date.UTC(2024, 2, 1, 0, 0, 10) * 1000);
    const logical = (await reader.runAndReadAll(`SELECT logical_type FROM parquet_schema('${paths[0]}') WHERE name = 'start_time'`)).getRowObjectsJS()[0]!
      .logical_type;
    expect(String(logical)).toContain("isAdjustedToUTC=1");
    expect(String(logical)).toContain("MICROS=MicroSeconds()");
  });
});
