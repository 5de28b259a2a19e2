import { describe, expect, it } from "vitest";
import { connectorPool, PoolClosed, type Connector } from "../../../loaders/queries/sql.js";

/** A connector answering each query with its name and the query, when `finish` says so; it records how many ran at once. */
function slowConnectors(count: number) {
  const running = { now: 0, most: 0 };
  const pending: { sql: string; finish(error?: Error): void }[] = [];
  const connectors: Connector[] = Array.from({ length: count }, (_, index) => ({
    query: <T>(sql: string) =>
      new Promise<T[]>((resolve, reject) => {
        running.now++;
        running.most = Math.max(running.most, running.now);
        pending.push({
          sql,
          finish(error) {
            running.now--;
            if (error) reject(error);
            else resolve([{ connector: index, sql } as T]);
          },
        });
      }),
  }));
  /** Lets the queries asked so far run their course, and those they lead to. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { connectors, running, pending, settle };
}

describe("connectorPool", () => {
  it("runs as many queries at once as it has connectors, each once, and answers each with its own rows", async () => {
    const { connectors, running, pending, settle } = slowConnectors(2);
    const pool = connectorPool(connectors);
    const answers = Promise.all(["a", "b", "c", "d", "e"].map((sql) => pool.query<{ sql: string; connector: number }>(sql)));
    await settle();
    expect(pending.map((query) => query.sql)).toEqual(["a", "b"]);
    while (pending.length) {
      pending.shift()?.finish();
      await settle();
    }
    expect(running.most).toBe(2);
    const rows = (await answers).map(([row]) => row);
    expect(rows.map((row) => row?.sql)).toEqual(["a", "b", "c", "d", "e"]);
    expect(new Set(rows.map((row) => row?.connector))).toEqual(new Set([0, 1]));
  });

  it("gives a failing query's error to its caller and its connector to the next query", async () => {
    const { connectors, pending, settle } = slowConnectors(1);
    const pool = connectorPool(connectors);
    const failing = pool.query("bad");
    const next = pool.query("good");
    await settle();
    pending.shift()?.finish(new Error("syntax error"));
    await expect(failing).rejects.toThrow("syntax error");
    await settle();
    pending.shift()?.finish();
    expect(await next).toEqual([{ connector: 0, sql: "good" }]);
  });

  it("closes once the queries running end, refusing those waiting and those asked later", async () => {
    const { connectors, pending, settle } = slowConnectors(1);
    const pool = connectorPool(connectors);
    const running = pool.query("running");
    const waiting = pool.query("waiting");
    await settle();
    let closed = false;
    const closing = pool.close().then(() => (closed = true));
    await expect(waiting).rejects.toThrow(PoolClosed);
    await settle();
    expect(closed).toBe(false);
    pending.shift()?.finish();
    await closing;
    expect(await running).toEqual([{ connector: 0, sql: "running" }]);
    await expect(pool.query("later")).rejects.toThrow(PoolClosed);
    expect(pending).toEqual([]);
  });

  it("closes at once when idle, and needs a connector", async () => {
    await connectorPool(slowConnectors(2).connectors).close();
    expect(() => connectorPool([])).toThrow(RangeError);
  });
});
