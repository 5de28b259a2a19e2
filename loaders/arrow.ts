import { table } from "arquero/src/table/index.js";
import { toArrowIPC } from "arquero/src/format/to-arrow-ipc.js";
import { parquetMetadata, parquetRead } from "hyparquet";
import { compressors } from "hyparquet-compressors";

/** A Parquet table as Arrow IPC, its timestamp columns carried as int64 microseconds. */
export interface ArrowTable {
  ipc: Uint8Array;
  timestamps: string[];
  rows: number;
}

interface SchemaElement {
  name: string;
  converted_type?: string;
  logical_type?: { type: string };
}

function isTimestamp(element: SchemaElement): boolean {
  return element.logical_type?.type === "TIMESTAMP" || element.converted_type === "TIMESTAMP_MICROS";
}

/**
 * Decodes Parquet (zstd included) without DuckDB's parquet extension, which DuckDB-WASM would download.
 * Timestamps stay exact: hyparquet would turn them into millisecond Dates.
 */
export async function parquetToArrow(file: ArrayBuffer): Promise<ArrowTable> {
  const metadata = parquetMetadata(file);
  const columns: Record<string, unknown[]> = {};
  for (const element of metadata.schema.slice(1) as SchemaElement[]) columns[element.name] = [];
  await parquetRead({
    file,
    metadata,
    compressors,
    parsers: { timestampFromMicroseconds: (micros: bigint) => micros },
    onChunk: ({ columnName, columnData, rowStart }) => {
      const column = columns[columnName] as unknown[];
      for (let i = 0; i < columnData.length; i++) column[rowStart + i] = columnData[i];
    },
  });
  const data = table(columns);
  return {
    ipc: toArrowIPC(data),
    timestamps: (metadata.schema.slice(1) as SchemaElement[]).filter(isTimestamp).map((element) => element.name),
    rows: data.numRows(),
  };
}

/** SQL turning the raw table DuckDB-WASM made of the IPC back into the Parquet table, timestamps included. */
export function restoreTableSql(name: string, raw: string, timestamps: string[]): string {
  const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
  const replace = timestamps.length ? ` REPLACE (${timestamps.map((c) => `make_timestamp(${quote(c)}) AS ${quote(c)}`).join(", ")})` : "";
  return `CREATE OR REPLACE TABLE ${quote(name)} AS SELECT *${replace} FROM ${quote(raw)}`;
}
