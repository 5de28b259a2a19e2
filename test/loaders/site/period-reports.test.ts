import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectorOf, type AccountingDatabase } from "../../../loaders/ingest/database.js";
import { readKnownIssues } from "../../../loaders/ingest/known-issues.js";
import { connectorPool, type Connector } from "../../../loaders/queries/sql.js";
import { periodReports } from "../../../loaders/site/period-reports.js";
import { loadedDatabase } from "../../helpers/tables.js";

const SAMPLE = "data/sample";

let database: AccountingDatabase;
beforeAll(async () => {
  database = await loadedDatabase(SAMPLE);
});
afterAll(() => database.close());

describe("periodReports", () => {
  it("gives the same numbers, to the last bit, through a pool of connections running its queries side by side", async () => {
    const knownIssues = await readKnownIssues(`${SAMPLE}/known-issues.json`);
    const alone = await periodReports(database, knownIssues);
    const connections = await Promise.all([database.connect(), database.connect()]);
    const running = { now: 0, most: 0 };
    const counted = (connector: Connector): Connector => ({
      async query<T>(sql: string) {
        running.most = Math.max(running.most, ++running.now);
        try {
          return await connector.query<T>(sql);
        } finally {
          running.now--;
        }
      },
    });
    const pool = connectorPool(connections.map((connection) => counted(connectorOf(connection))));
    try {
      const pooled = await periodReports(pool, knownIssues);
      expect(running.most).toBe(2);
      expect(pooled.periods.map((report) => report.period.name)).toEqual(["2024-03", "2024-02", "2024-01", "2024-Q1", "2024"]);
      expect(pooled).toEqual(alone);
      expect(pooled.periods[0]?.report.total.jobs).toBeGreaterThan(0);
    } finally {
      await pool.close();
      for (const connection of connections) connection.closeSync();
    }
  });
});
