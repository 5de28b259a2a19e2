import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { temporaryFolder } from "./helpers/archive.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SRC = join(ROOT, "src");

/** What a module imports at run time: `import … from`, `import "…"`, `export … from` and `import("…")`; not `import type`. */
function importsOf(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|[\s;])(?:import|export)\s+(?!type\s)(?:[^"';]*?\sfrom\s*)?["']([^"']+)["']/g)) found.push(match[1]!);
  for (const match of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) found.push(match[1]!);
  return found;
}

/** The file a relative import names, links resolved (`src/loaders` is `loaders/`): TypeScript sources are imported as `.js`. */
function resolveImport(from: string, specifier: string): string {
  const path = resolve(dirname(from), specifier);
  const file = [path.replace(/\.js$/, ".ts"), path].find((candidate) => existsSync(candidate));
  return file === undefined ? path : realpathSync(file);
}

const isNodeModule = (specifier: string) => specifier.startsWith("node:") || builtinModules.includes(specifier.split("/")[0]!);

/**
 * The modules reachable from `entries` through relative imports, and every Node built-in module among their imports, as
 * `file: module` (paths from `root`).
 */
function nodeImportsReached(entries: string[], root: string): { reached: string[]; found: string[] } {
  const seen = new Set<string>();
  const found: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    for (const specifier of importsOf(readFileSync(file, "utf8"))) {
      if (isNodeModule(specifier)) found.push(`${relative(root, file)}: ${specifier}`);
      else if (specifier.startsWith(".")) visit(resolveImport(file, specifier));
    }
  };
  entries.forEach(visit);
  return { reached: [...seen].map((file) => relative(root, file)), found };
}

/** What the pages' code runs in the browser: the components, and what the pages' Markdown imports. */
function browserEntries(): string[] {
  const components = readdirSync(join(SRC, "components"))
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(SRC, "components", name));
  const pages = readdirSync(SRC).filter((name) => name.endsWith(".md"));
  const imported = pages.flatMap((page) =>
    importsOf(readFileSync(join(SRC, page), "utf8"))
      .filter((specifier) => specifier.startsWith("./"))
      .map((specifier) => resolveImport(join(SRC, page), specifier)),
  );
  return [...components, ...imported];
}

describe("the site's browser code", () => {
  it("reaches no Node built-in module through any import, however indirect (the lint rule sees direct imports only)", () => {
    const { reached, found } = nodeImportsReached(browserEntries(), ROOT);
    // The DuckDB-WASM connector, the monthly tables and the queries the pages run, among others.
    expect(reached).toEqual(
      expect.arrayContaining(["src/components/database.ts", "loaders/site/site-tables.ts", "loaders/queries/usage.ts", "loaders/model/csv.ts"]),
    );
    expect(found).toEqual([]);
  });

  it("would be caught reaching one through a module that imports another", () => {
    const folder = temporaryFolder("browser-imports-");
    writeFileSync(join(folder, "page.ts"), 'import { table } from "./table.js";\nimport type { Stats } from "node:fs";\nexport const x = table;\n');
    writeFileSync(join(folder, "table.ts"), 'export { read as table } from "./read.js";\n');
    writeFileSync(join(folder, "read.ts"), 'export const read = () => import("fs");\n');
    expect(nodeImportsReached([join(folder, "page.ts")], folder)).toEqual({ reached: ["page.ts", "table.ts", "read.ts"], found: ["read.ts: fs"] });
  });
});
