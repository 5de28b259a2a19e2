/**
 * Rows of plain records as columns, to hand them to another thread: copying 100,000 objects between threads costs
 * more than making them, copying a few typed arrays and a table of distinct strings does not.
 */
export interface Columns {
  length: number;
  keys: string[];
  columns: Column[];
}

type Column =
  | { kind: "number"; values: Float64Array; nulls: Uint8Array | null }
  | { kind: "string"; distinct: string[]; indexes: Int32Array }
  | { kind: "record"; fields: Columns }
  | { kind: "other"; values: unknown[] };

type Row = Record<string, unknown>;

const isRecord = (value: unknown): value is Row => typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Map);

function kindOf(values: unknown[]): Column["kind"] {
  let kind: Column["kind"] | undefined;
  let nulls = false;
  for (const value of values) {
    const found = typeof value === "number" ? "number" : typeof value === "string" ? "string" : isRecord(value) ? "record" : value === null ? null : "other";
    if (found === null) nulls = true;
    else if (kind === undefined) kind = found;
    else if (kind !== found) return "other";
  }
  return kind === undefined || (kind === "record" && nulls) ? "other" : kind;
}

function encodeColumn(values: unknown[]): Column {
  const kind = kindOf(values);
  if (kind === "number") {
    const numbers = new Float64Array(values.length);
    let nulls: Uint8Array | null = null;
    values.forEach((value, row) => {
      if (value === null) (nulls ??= new Uint8Array(values.length))[row] = 1;
      else numbers[row] = value as number;
    });
    return { kind, values: numbers, nulls };
  }
  if (kind === "string") {
    const positions = new Map<string, number>();
    const indexes = new Int32Array(values.length);
    values.forEach((value, row) => {
      if (value === null) return void (indexes[row] = -1);
      let position = positions.get(value as string);
      if (position === undefined) positions.set(value as string, (position = positions.size));
      indexes[row] = position;
    });
    return { kind, distinct: [...positions.keys()], indexes };
  }
  if (kind === "record") return { kind, fields: encodeRows(values as Row[]) };
  return { kind, values };
}

/** `rows`, which all have the first row's keys, as columns. */
export function encodeRows(rows: readonly object[]): Columns {
  const keys = rows.length ? Object.keys(rows[0] as object) : [];
  return { length: rows.length, keys, columns: keys.map((key) => encodeColumn(rows.map((row) => (row as Row)[key]))) };
}

function columnValues(column: Column): unknown[] {
  switch (column.kind) {
    case "number":
      return Array.from(column.values, (value, row) => (column.nulls?.[row] ? null : value));
    case "string":
      return Array.from(column.indexes, (index) => (index < 0 ? null : column.distinct[index]));
    case "record":
      return decodeRows(column.fields);
    case "other":
      return column.values;
  }
}

/** The rows `encodeRows` was given, keys in the same order. */
export function decodeRows<T>(encoded: Columns): T[] {
  const values = encoded.columns.map(columnValues);
  const rows: T[] = new Array(encoded.length);
  for (let row = 0; row < encoded.length; row++) {
    const record: Row = {};
    encoded.keys.forEach((key, column) => (record[key] = (values[column] as unknown[])[row]));
    rows[row] = record as T;
  }
  return rows;
}

/** The buffers to move rather than copy to the other thread. */
export function transferablesOf(encoded: Columns): ArrayBuffer[] {
  return encoded.columns.flatMap((column) => {
    if (column.kind === "number") return column.nulls ? [column.values.buffer, column.nulls.buffer] : [column.values.buffer];
    if (column.kind === "string") return [column.indexes.buffer];
    return column.kind === "record" ? transferablesOf(column.fields) : [];
  }) as ArrayBuffer[];
}
