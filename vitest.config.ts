import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["test/setup/temporary-folder.ts"],
    // CI runs the browser and the real schedulers' tests beside the others on two cores: a default of 5 s fails
    // tests for the machine's load, not for what they check. Benchmarks, not tests, hold the time targets.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
