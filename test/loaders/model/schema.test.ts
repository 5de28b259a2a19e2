import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TABLES } from "../../../loaders/model/schema.js";

describe("the Parquet schema", () => {
  it("is documented in the README, table by table and column by column", () => {
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    for (const table of TABLES) {
      const rows = table.columns.map((c) => `| \`${c.name}\` | ${c.type} | ${c.doc} |`).join("\n");
      expect(readme).toContain(`### \`${table.name}\`\n\n${table.doc}\n\n| column | type | meaning |\n|---|---|---|\n${rows}\n`);
    }
  });
});
