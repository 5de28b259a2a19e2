import { spawn } from "node:child_process";

/**
 * `npm test`'s vitest run: the live schedulers' tests (project "live", vitest.config.ts) in a vitest process of their
 * own, beside every other test (project "main"). The live tests mostly wait on Slurm and Grid Engine, one file at a
 * time since they share the daemons; vitest 4 runs projects of different worker counts one after the other, so two
 * processes are what lets that waiting overlap the rest on two cores. Arguments go to both (a file filter may match
 * one project only); the exit status is the first non-zero one.
 */
const filters = process.argv.slice(2);
const run = (project: string) =>
  new Promise<number>((resolve) => {
    const args = ["vitest", "run", "--project", project, ...(filters.length ? ["--passWithNoTests"] : []), ...filters];
    const child = spawn("npx", args, { stdio: "inherit" });
    child.on("error", (error) => {
      process.stderr.write(`test: vitest (${project}) did not start: ${error.message}\n`);
      resolve(1);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
const codes = await Promise.all([run("live"), run("main")]);
process.exit(codes.find((code) => code !== 0) ?? 0);
