import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { serveStatic } from "./static-server.js";

/** `npm run serve [-- --port N] [FOLDER]`: the built site (dist/) on http://127.0.0.1:PORT/, as a static host serves it. */
const { values, positionals } = parseArgs({ options: { port: { type: "string", default: "3000" } }, allowPositionals: true });
const folder = positionals[0] ?? "dist";
const port = Number(values.port);
if (!existsSync(folder)) {
  process.stderr.write(`serve: ${folder} does not exist: run npm run build first\n`);
  process.exit(2);
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`serve: --port ${JSON.stringify(values.port)} is not a port\n`);
  process.exit(2);
}
const site = await serveStatic(folder, "/", port);
process.stdout.write(`serving ${folder} at ${site.url} (Ctrl-C stops)\n`);
