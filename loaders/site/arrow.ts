import {
  Batch,
  Column,
  TimeUnit,
  bool,
  columnFromArray,
  float32,
  float64,
  int32,
  int64,
  tableFromColumns,
  tableToIPC,
  timestamp,
  utf8,
  type DataType,
} from "@uwdata/flechette";
import { parquetMetadata, parquetRead } from "hyparquet";
import { compressors } from "hyparquet-compressors";

/** A Parquet table as Arrow IPC: timestamps as Arrow timestamps (µs, no time zone), every other column as its Parquet type. */
interface ArrowTable {
  ipc: Uint8Array;
  rows: number;
}

interface SchemaElement {
  name: string;
  type?: string;
  converted_type?: string;
  logical_type?: { type: string; unit?: string };
}

type Numbers = Float64Array | Float32Array | Int32Array | BigInt64Array;

/** Collects one column's values, chunk by chunk, into an Arrow column. */
interface ColumnBuilder {
  write(rowStart: number, values: ArrayLike<unknown>): void;
  column(): Column<unknown>;
}

/** Numbers straight into a typed array and a validity bitmap: no per-value builder, no intermediate JS array. */
function numbersBuilder(type: DataType, values: Numbers): ColumnBuilder {
  const length = values.length;
  const validity = new Uint8Array((length + 7) >> 3);
  let nullCount = 0;
  return {
    write(rowStart, chunk) {
      for (let i = 0; i < chunk.length; i++) {
        const value = chunk[i];
        const row = rowStart + i;
        if (value === null || value === undefined) {
          nullCount++;
        } else {
          values[row] = value as never;
          validity[row >> 3]! |= 1 << (row & 7);
        }
      }
    },
    column: () => new Column([new Batch({ length, nullCount, type, validity: nullCount ? validity : new Uint8Array(0), values })]),
  };
}

/** UTF-8 strings as hyparquet read them, bytes copied once: no decoding and re-encoding of every value. */
function utf8Builder(length: number): ColumnBuilder {
  const strings: (Uint8Array | null)[] = new Array(length).fill(null);
  return {
    write(rowStart, chunk) {
      for (let i = 0; i < chunk.length; i++) strings[rowStart + i] = (chunk[i] as Uint8Array | null | undefined) ?? null;
    },
    column() {
      const offsets = new Int32Array(length + 1);
      const validity = new Uint8Array((length + 7) >> 3);
      let bytes = 0;
      let nullCount = 0;
      for (let row = 0; row < length; row++) {
        const string = strings[row];
        if (string) {
          bytes += string.length;
          validity[row >> 3]! |= 1 << (row & 7);
        } else {
          nullCount++;
        }
        offsets[row + 1] = bytes;
      }
      const values = new Uint8Array(bytes);
      for (let row = 0; row < length; row++) {
        const string = strings[row];
        if (string?.length) values.set(string, offsets[row]);
      }
      return new Column([new Batch({ length, nullCount, type: utf8(), validity: nullCount ? validity : new Uint8Array(0), offsets, values })]);
    },
  };
}

/** Booleans through flechette's builder (one batch, like the others). */
function booleansBuilder(length: number): ColumnBuilder {
  const values: (boolean | null)[] = new Array(length).fill(null);
  return {
    write(rowStart, chunk) {
      for (let i = 0; i < chunk.length; i++) values[rowStart + i] = (chunk[i] as boolean | null | undefined) ?? null;
    },
    column: () => columnFromArray(values, bool()),
  };
}

function isTimestamp(element: SchemaElement): boolean {
  return element.logical_type?.type === "TIMESTAMP" || element.converted_type?.startsWith("TIMESTAMP") === true;
}

/** A Parquet column's builder: its Arrow type follows the Parquet type, not the values (whole doubles stay doubles). */
function builderOf(element: SchemaElement, rows: number): ColumnBuilder {
  const unsupported = () =>
    new Error(`column ${element.name}: Parquet type ${element.type} (${element.logical_type?.type ?? element.converted_type ?? "plain"}) is not supported`);
  const logical = element.logical_type?.type ?? element.converted_type;
  switch (element.type) {
    case "INT64":
      if (isTimestamp(element)) {
        if (element.logical_type?.unit !== "MICROS" && element.converted_type !== "TIMESTAMP_MICROS") throw unsupported();
        return numbersBuilder(timestamp(TimeUnit.MICROSECOND), new BigInt64Array(rows));
      }
      if (logical !== undefined && logical !== "INTEGER" && logical !== "INT_64") throw unsupported();
      return numbersBuilder(int64(), new BigInt64Array(rows));
    case "INT32":
      if (logical !== undefined && logical !== "INTEGER" && logical !== "INT_32") throw unsupported();
      return numbersBuilder(int32(), new Int32Array(rows));
    case "DOUBLE":
      return numbersBuilder(float64(), new Float64Array(rows));
    case "FLOAT":
      return numbersBuilder(float32(), new Float32Array(rows));
    case "BOOLEAN":
      return booleansBuilder(rows);
    case "BYTE_ARRAY":
      if (logical !== undefined && logical !== "STRING" && logical !== "UTF8") throw unsupported();
      return utf8Builder(rows);
    default:
      throw unsupported();
  }
}

/**
 * Decodes Parquet (zstd included) without DuckDB's parquet extension, which DuckDB-WASM would download, straight
 * into Arrow IPC. Timestamps stay exact microseconds: hyparquet would turn them into millisecond Dates.
 */
export async function parquetToArrow(file: ArrayBuffer): Promise<ArrowTable> {
  const metadata = parquetMetadata(file);
  const schema = metadata.schema.slice(1) as SchemaElement[];
  const rows = Number(metadata.num_rows);
  const builders = new Map(schema.map((element) => [element.name, builderOf(element, rows)]));
  await parquetRead({
    file,
    metadata,
    compressors,
    // Exact microseconds, and strings as their UTF-8 bytes: Arrow wants them so.
    parsers: { timestampFromMicroseconds: (micros: bigint) => micros, stringFromBytes: (bytes: Uint8Array) => bytes as unknown as string },
    onChunk: ({ columnName, columnData, rowStart }) => builders.get(columnName)!.write(rowStart, columnData as ArrayLike<unknown>),
  });
  // With no rows, every column has no batch: a typed column would have an empty one.
  const columns = schema.map((element) => {
    const column = builders.get(element.name)!.column();
    return [element.name, rows ? column : columnFromArray([], column.type)] as [string, Column<unknown>];
  });
  return { ipc: tableToIPC(tableFromColumns(columns), { format: "stream" })!, rows };
}
