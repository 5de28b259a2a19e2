import { listSnapshotFiles, readSnapshots } from "./archive.js";
import { createIntervalBuilder, type Interval } from "./intervals.js";
import { createJobCatalog, type JobSummary } from "./jobs.js";
import type { Problem } from "./snapshot.js";
import { createStatusLog, type NamespaceStatus } from "./statuses.js";
import { readUserDatabase, usersOf, type User } from "./users.js";

export interface IngestOptions {
  /** Key of the owners' pseudonyms. */
  pseudonymKey: string;
  /** Names and emails from the user database: never for a public build. */
  private?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** Everything the reports and pages are computed from. */
export interface ArchiveTables {
  snapshots: NamespaceStatus[];
  intervals: Interval[];
  jobs: JobSummary[];
  problems: Problem[];
  users: User[];
}

/** Reads a snapshot archive, one file at a time, into the tables of the accounting. */
export async function ingestArchive(archive: string, options: IngestOptions): Promise<ArchiveTables> {
  const listing = await listSnapshotFiles(archive);
  const problems: Problem[] = [...listing.problems];
  const intervals = createIntervalBuilder();
  const jobs = createJobCatalog();
  const statuses = createStatusLog();
  const owners = new Set<string>();
  let done = 0;
  for (const item of readSnapshots(archive, listing.files)) {
    options.onProgress?.(++done, listing.files.length);
    if ("problem" in item) {
      problems.push(item.problem);
      continue;
    }
    const { snapshot } = item;
    const skipped = [...snapshot.problems, ...intervals.add(snapshot)];
    problems.push(...skipped);
    statuses.add(snapshot, skipped);
    for (const [namespace, list] of snapshot.namespaces) {
      for (const job of list) {
        jobs.add(namespace, job, snapshot.time);
        owners.add(job.owner);
      }
    }
  }
  const database = options.private ? await readUserDatabase(archive) : undefined;
  if (database) problems.push(...database.problems);
  return {
    snapshots: statuses.rows(),
    intervals: intervals.finish(),
    jobs: jobs.summaries(),
    problems,
    users: usersOf(owners, options.pseudonymKey, database?.users),
  };
}
