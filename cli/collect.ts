import { join, resolve } from "node:path";
import { collectSlurm } from "../loaders/sources/slurm/collect.js";
import type { Io } from "./main.js";
import type { CollectOptions } from "./options.js";

/**
 * `accounting collect slurm`: a dump of Slurm's accounting into the archive, then one line on stdout saying what was
 * written (none with --quiet). sacct missing or failing, or a dump that cannot be written, throw (exit 1, exit 3).
 */
export async function collect(options: CollectOptions, io: Io): Promise<void> {
  const dump = await collectSlurm(options.archive, { since: options.since, env: io.env, now: io.now ?? Date.now });
  if (!options.quiet) io.stdout.write(`Wrote ${dump.records} Slurm job records (since ${dump.since} UTC) to ${join(resolve(options.archive), dump.file)}\n`);
}
