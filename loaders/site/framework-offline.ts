import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * Framework's client (`main.js`, its stdlib) imports libraries as `npm:<name>`. Building it, Framework asks the npm
 * registry for each name's latest version unless a folder `<root>/.observablehq/cache/_npm/<name>@<version>` says
 * which version it has: it needs only the version, to write the import's path (`../_npm/react-dom@…/client`); no
 * page of this site loads those modules, so nothing is downloaded. A first build behind a firewall therefore stops
 * at `npm:react-dom@latest`.
 *
 * This names a version for every `npm:` import of Framework's client, before Framework builds: the version installed
 * in node_modules, else `NOT_INSTALLED` (a library the site never uses, such as React: its path then says so).
 */
export const NOT_INSTALLED = "0.0.0-not-installed";

/** `require` as Framework's own modules resolve packages. */
function frameworkRequire(): NodeJS.Require {
  return createRequire(createRequire(import.meta.url).resolve("@observablehq/framework/package.json"));
}

/** Every package name Framework's client imports as `npm:…`, sorted. */
export function frameworkClientPackages(): string[] {
  const client = join(dirname(frameworkRequire().resolve("./package.json")), "dist", "client");
  const names = new Set<string>();
  for (const entry of readdirSync(client, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".js")) continue;
    const code = readFileSync(join(entry.parentPath, entry.name), "utf8");
    for (const [, name] of code.matchAll(/["'`]npm:((?:@[\w.-]+\/)?[\w.-]+)/g)) names.add(name as string);
  }
  return [...names].sort();
}

/** The version of `name` installed beside Framework, if any. */
function installedVersion(name: string): string | undefined {
  for (const require of [frameworkRequire(), createRequire(import.meta.url)]) {
    for (const folder of require.resolve.paths(name) ?? []) {
      try {
        return (JSON.parse(readFileSync(join(folder, name, "package.json"), "utf8")) as { version: string }).version;
      } catch {
        // not in this node_modules
      }
    }
  }
  return undefined;
}

/**
 * Makes Framework's npm version cache under `root` (the site's source folder) name a version for every package its
 * client imports, unless it already names one. Returns the `name@version` folders it made.
 */
export function pinFrameworkClientImports(root: string): string[] {
  const cache = join(root, ".observablehq", "cache", "_npm");
  const made: string[] = [];
  for (const name of frameworkClientPackages()) {
    const scope = name.startsWith("@") ? join(cache, name.slice(0, name.indexOf("/"))) : cache;
    const base = name.startsWith("@") ? name.slice(name.indexOf("/") + 1) : name;
    const known = statSync(scope, { throwIfNoEntry: false })?.isDirectory() && readdirSync(scope).some((entry) => entry.startsWith(`${base}@`));
    if (known) continue;
    const folder = `${name}@${installedVersion(name) ?? NOT_INSTALLED}`;
    mkdirSync(join(cache, folder), { recursive: true });
    made.push(folder);
  }
  return made;
}
