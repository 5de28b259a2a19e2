import { ArchiveError } from "../loaders/sources/nomad/archive.js";
import { UnusableArchiveError } from "../loaders/ingest/database.js";
import { inertText } from "../loaders/model/inert-text.js";
import { WeakPseudonymKey } from "../loaders/ingest/pseudonym.js";
import { siteBuildFrom } from "../loaders/site/site-data.js";
import { printSiteTables } from "../reports/pages.js";

/** The build's messages, as the command line writes its own: one inert line after `accounting: `. */
const say = (message: string) => process.stderr.write(`accounting: ${inertText(message)}\n`);
const warn = (message: string) => say(`warning: ${message}`);
try {
  siteBuildFrom(process.env, warn);
  // Written with the period pages, from the archive loaded once for both (src/reports/pages.ts).
  await printSiteTables();
} catch (error) {
  // An archive that cannot be read or has no usable snapshot, a key too short: the command line's one line, and a
  // failed loader, which fails `observable build` (it exits with status 1 when a loader does).
  if (!(error instanceof ArchiveError || error instanceof UnusableArchiveError || error instanceof WeakPseudonymKey)) throw error;
  say(error.message);
  process.exitCode = 1;
}
