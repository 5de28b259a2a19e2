#!/usr/bin/env node
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/main.js");
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
