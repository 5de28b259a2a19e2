// @ts-check
import js from "@eslint/js";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import { importX } from "eslint-plugin-import-x";
import globals from "globals";
import tseslint from "typescript-eslint";

/** Folders of loaders/ that run in the browser as well as in Node: no Node built-in module may enter them. */
const PURE = ["loaders/model/**", "loaders/queries/**", "loaders/site/arrow.ts", "src/components/**"];

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "lib/", "src/.observablehq/", "src/loaders", "scratch/", "test/fixtures/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.js"],
    languageOptions: { globals: { ...globals.node } },
    plugins: { "import-x": importX },
    settings: {
      "import-x/extensions": [".ts", ".js"],
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "tsconfig.json" })],
    },
    rules: {
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      // Text from an archive is checked for control characters on purpose: the expressions match them.
      "no-control-regex": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "import-x/no-unused-modules": [
        "error",
        {
          unusedExports: true,
          // Entry points: what a command, a page, a worker or the test runner loads.
          ignoreExports: [
            "cli/main.ts",
            "bin/**",
            "src/**",
            "scripts/**",
            "test/**",
            "observablehq.config.ts",
            "vitest.config.ts",
            "eslint.config.js",
            "loaders/sources/nomad/fold-worker.ts",
            "loaders/model/arquero.d.ts",
          ],
        },
      ],
    },
  },
  {
    files: PURE,
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ regex: "^node:", message: "browser-safe folders import no Node module" }] }],
    },
  },
);
