/**
 * The command line from the TypeScript sources in a process of its own (as test/helpers/cli-process.ts), then its
 * peak resident memory, worker threads included, as a last line on stderr: `peak-rss-kb <n>`.
 */
import { main } from "../../cli/main.js";

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
process.stderr.write(`peak-rss-kb ${process.resourceUsage().maxRSS}\n`);
