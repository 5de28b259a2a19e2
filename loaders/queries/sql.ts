/** SQL fragments shared by the queries of the CLI and of the site (DuckDB and DuckDB-WASM alike). */

export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A checksum of the rows of a group (or table): `<count>:<sum of the 64-bit hashes of expression>`, the expression a
 * table's alias (its row as a struct: every column), a struct or a list of columns. Rows added, lost or changed show;
 * their order does not.
 */
export function rowChecksumSql(expression: string): string {
  return hashesChecksumSql(`hash(${expression})`);
}

/** rowChecksumSql of rows whose 64-bit hashes were computed before, the column or expression `hashes`. */
export function hashesChecksumSql(hashes: string): string {
  return `count(*) || ':' || ${sumOfHashesSql(hashes)}`;
}

/** The sum of the 64-bit hashes of `expression` over a group's rows (0 for none): rowChecksumSql's second part. */
export function hashSumSql(expression: string): string {
  return sumOfHashesSql(`hash(${expression})`);
}

const sumOfHashesSql = (hashes: string) => `coalesce(sum(${hashes}::HUGEINT), 0)`;

/** A CTE `times(t)`: every snapshot time once, in µs since the epoch. */
export const SNAPSHOT_TIMES = "times AS (SELECT DISTINCT epoch_us(time) AS t FROM snapshots)";

/** A TIMESTAMPTZ expression as the TIMESTAMP of its UTC time, whatever the session's time zone (no ICU needed). */
export function utcSql(time: string): string {
  return `make_timestamp(epoch_us(${time}))`;
}

/** `YYYY-MM-DDTHH:MM:SSZ` of an expression in µs since the epoch (no ICU needed). */
export function isoInstantSql(micros: string): string {
  return `strftime(make_timestamp(${micros}), '%Y-%m-%dT%H:%M:%SZ')`;
}

/**
 * Any DuckDB holding an archive's tables, native or in the browser: rows as plain objects, BIGINTs as numbers. Every
 * query of `loaders/` runs through this one interface, in the CLI, the site's build and the browser alike.
 */
export interface Connector {
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /**
   * Where the database holds only part of the archive (the browser's: the months of the monthly tables fetched so
   * far), makes it hold whatever a period's queries read; absent where it holds everything.
   */
  cover?(period: Period): Promise<void>;
}

/** A connector over several, which ends their use before they close. */
interface ConnectorPool extends Connector {
  /**
   * Resolves once no query runs, and refuses those asked later: a query failing does not stop the others, which must
   * end before their connections close.
   */
  close(): Promise<void>;
}

/** A query asked of a pool after `close`. */
export class PoolClosed extends Error {}

/**
 * One connector over several (connections to one database, say): each query runs on one that is idle, or waits for
 * one, so up to `connectors.length` queries run at once. A query's rows do not depend on which connector ran it.
 * The connectors need no `cover`: they hold everything.
 */
export function connectorPool(connectors: readonly Connector[]): ConnectorPool {
  if (connectors.length === 0) throw new RangeError("a pool needs a connector");
  const free = [...connectors];
  const waiting: { resolve(connector: Connector): void; reject(error: Error): void }[] = [];
  const whenIdle: (() => void)[] = [];
  let closed = false;
  const release = (connector: Connector) => {
    const next = waiting.shift();
    if (next) return next.resolve(connector);
    free.push(connector);
    if (free.length === connectors.length) for (const resolve of whenIdle.splice(0)) resolve();
  };
  return {
    async query<T>(sql: string): Promise<T[]> {
      if (closed) throw new PoolClosed("the connections are closed");
      const connector = free.pop() ?? (await new Promise<Connector>((resolve, reject) => waiting.push({ resolve, reject })));
      try {
        return await connector.query<T>(sql);
      } finally {
        release(connector);
      }
    },
    async close() {
      closed = true;
      for (const { reject } of waiting.splice(0)) reject(new PoolClosed("the connections are closed"));
      if (free.length < connectors.length) await new Promise<void>((resolve) => whenIdle.push(resolve));
    },
  };
}

/** Days `YYYY-MM-DD`, the first and last included; the archive's first or last when absent. */
export interface Period {
  from?: string;
  to?: string;
}

/** A row with every BIGINT value as a number, as Connector.query returns it. */
export function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, typeof value === "bigint" ? Number(value) : value]));
}
