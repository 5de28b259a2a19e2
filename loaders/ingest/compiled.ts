/**
 * The command runs bundled into `lib/` (scripts/build-cli.ts) with plain Node; the tests and the site's data loaders
 * run the TypeScript sources, through vitest or tsx. True when the module at `moduleUrl` (its `import.meta.url`) is
 * compiled.
 */
export function isCompiled(moduleUrl: string): boolean {
  return !moduleUrl.endsWith(".ts");
}
