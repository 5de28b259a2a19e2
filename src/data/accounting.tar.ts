import { ArchiveError } from "../../loaders/archive.js";
import { UnusableArchiveError } from "../../loaders/database.js";
import { siteBuildFrom, writeSiteData } from "../../loaders/site-data.js";

const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);
try {
  await writeSiteData(siteBuildFrom(process.env, warn), process.stdout, warn);
} catch (error) {
  // An archive that cannot be read, or has no usable snapshot: the command line's one line, and a failed loader,
  // which fails `observable build` (it exits with status 1 when a loader does).
  if (!(error instanceof ArchiveError || error instanceof UnusableArchiveError)) throw error;
  process.stderr.write(`accounting: ${error.message}\n`);
  process.exitCode = 1;
}
