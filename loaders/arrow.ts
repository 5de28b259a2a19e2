import { table } from "arquero/src/table/index.js";
import { toArrowIPC } from "arquero/src/format/to-arrow-ipc.js";
import { bool, float32, float64, int32, int64, utf8, type DataType } from "@uwdata/flechette";
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
  type?: string;
  converted_type?: string;
  logical_type?: { type: string };
}

/** Arrow types from Parquet's physical ones: inferred from values, whole doubles would become int32. */
const ARROW_TYPES: Record<string, () => DataType> = { BOOLEAN: bool, INT32: int32, INT64: int64, FLOAT: float32, DOUBLE: float64, BYTE_ARRAY: utf8 };

function arrowType(element: SchemaElement): DataType {
  const type = ARROW_TYPES[element.type ?? ""];
  if (!type) throw new Error(`column ${element.name}: Parquet type ${element.type} is not supported`);
  return type();
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
  const schema = metadata.schema.slice(1) as SchemaElement[];
  const columns: Record<string, unknown[]> = {};
  for (const element of schema) columns[element.name] = [];
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
    ipc: toArrowIPC(data, { types: Object.fromEntries(schema.map((element) => [element.name, arrowType(element)])) }),
    timestamps: schema.filter(isTimestamp).map((element) => element.name),
    rows: data.numRows(),
  };
}

/** SQL turning the raw table DuckDB-WASM made of the IPC back into the Parquet table, timestamps included. */
export function restoreTableSql(name: string, raw: string, timestamps: string[]): string {
  const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
  const replace = timestamps.length ? ` REPLACE (${timestamps.map((c) => `make_timestamp(${quote(c)}) AS ${quote(c)}`).join(", ")})` : "";
  return `CREATE OR REPLACE TABLE ${quote(name)} AS SELECT *${replace} FROM ${quote(raw)}`;
}
