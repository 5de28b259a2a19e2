import { configDefaults, defineConfig } from "vitest/config";

/** Tests of the real Slurm and Grid Engine daemons: scripts/test.ts runs them in a process of their own. */
const LIVE = ["test/**/*.live.test.ts", "test/loaders/sources/*/live.test.ts"];

export default defineConfig({
  test: {
    globalSetup: ["test/setup/temporary-folder.ts"],
    // CI runs the browser and the real schedulers' tests beside the others on two cores: a default of 5 s fails
    // tests for the machine's load, not for what they check. Benchmarks, not tests, hold the time targets.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: "live", include: LIVE } },
      { extends: true, test: { name: "main", exclude: [...configDefaults.exclude, ...LIVE] } },
    ],
  },
});
