/**
 * The command line from the TypeScript sources, in a process of its own, as bin/accounting.js runs the compiled one:
 * `node --import tsx/esm test/helpers/cli-process.ts <arguments>`.
 */
import { main } from "../../cli/main.js";

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
