import type { BatchSource } from "../batch/records.js";
import { dumpParser } from "./dump.js";

/**
 * Slurm's adapter: `<archive>/slurm/**` holds `sacct --parsable2` dumps, every file but hidden ones (`.name`). A dump
 * named `<YYYY-MM-DDTHH:MM:SS>.<ext>` was taken then (UTC): a job still running in it runs until then.
 */
export const slurmSource: BatchSource = {
  source: "slurm",
  folder: "slurm",
  matches: (name) => !name.startsWith("."),
  parser: dumpParser,
};
