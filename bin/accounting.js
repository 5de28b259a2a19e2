#!/usr/bin/env node
// The command, bundled into lib/ by `npm install` (the prepare script): plain Node, nothing compiled at start.
import { existsSync } from "node:fs";

const compiled = new URL("../lib/accounting.js", import.meta.url);
if (existsSync(compiled)) {
  const { main } = await import(compiled.href);
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
} else {
  process.stderr.write("accounting: the command is not compiled: run npm install, or npm run prepare, in its folder\n");
  process.exitCode = 1;
}
