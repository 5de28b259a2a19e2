import type { Job, JobKind } from "./job.js";
import type { Micros } from "../../model/time.js";
import { sharedText } from "./shared.js";

/** What is known of one job over the whole archive. */
export interface JobSummary {
  namespace: string;
  jobId: string;
  kind: JobKind;
  owner: string;
  title: string | null;
  dockerImage: string | null;
  datacenter: string | null;
  submitTime: Micros | null;
  firstStart: Micros | null;
  lastEnd: Micros | null;
  firstSeen: Micros;
  lastSeen: Micros;
  lastStatus: string;
}

interface JobCatalog {
  add(namespace: string, job: Job, snapshot: Micros): void;
  summaries(): JobSummary[];
}

/** What tells one job from another across the archive. */
export const jobKey = (namespace: string, jobId: string) => `${namespace}\u0000${jobId}`;

/**
 * The map of `namespace`'s jobs in `byNamespace`, made empty the first time: what is kept per job and looked up for each
 * of the millions of sightings is kept by namespace, then id, with no jobKey made for each.
 */
export function inNamespace<Value>(byNamespace: Map<string, Map<string, Value>>, namespace: string): Map<string, Value> {
  let jobs = byNamespace.get(namespace);
  if (jobs === undefined) byNamespace.set(namespace, (jobs = new Map()));
  return jobs;
}

function earliest(a: Micros | null, b: Micros | null): Micros | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function latest(a: Micros | null, b: Micros | null): Micros | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

function summaryOf(namespace: string, job: Job, snapshot: Micros): JobSummary {
  return {
    namespace,
    jobId: job.id,
    kind: job.kind,
    owner: job.owner,
    title: job.title,
    dockerImage: job.dockerImage,
    datacenter: job.datacenter,
    submitTime: job.submitTime,
    firstStart: job.allocStart,
    lastEnd: job.allocEnd,
    firstSeen: snapshot,
    lastSeen: snapshot,
    lastStatus: job.status,
  };
}

/** A value a later sighting saw: the one known when equal (a shared copy, sharedText), else the later one, shared. */
const kept = <Text extends string | null>(known: Text, later: Text): Text => (known === later ? known : sharedText(later));

/** A job first seen, holding shared copies of the texts most jobs repeat. */
function withSharedTexts(job: JobSummary): JobSummary {
  job.owner = sharedText(job.owner);
  job.title = sharedText(job.title);
  job.dockerImage = sharedText(job.dockerImage);
  job.datacenter = sharedText(job.datacenter);
  job.lastStatus = sharedText(job.lastStatus);
  return job;
}

/** Updates what was known of a job with what later snapshots saw of it: the latest sighting describes it, times span all. */
export function absorbLater(known: JobSummary, later: JobSummary): void {
  known.kind = later.kind;
  known.owner = kept(known.owner, later.owner);
  known.title = kept(known.title, later.title ?? known.title);
  known.dockerImage = kept(known.dockerImage, later.dockerImage ?? known.dockerImage);
  known.datacenter = kept(known.datacenter, later.datacenter ?? known.datacenter);
  known.submitTime = earliest(known.submitTime, later.submitTime);
  known.firstStart = earliest(known.firstStart, later.firstStart);
  known.lastEnd = latest(known.lastEnd, later.lastEnd);
  known.lastSeen = later.lastSeen;
  known.lastStatus = kept(known.lastStatus, later.lastStatus);
}

/** Every job seen, whatever its status. */
export function createJobCatalog(): JobCatalog {
  // By namespace, then id (inNamespace); in the order first seen.
  const byNamespace = new Map<string, Map<string, JobSummary>>();
  const jobs: JobSummary[] = [];
  return {
    add(namespace, job, snapshot) {
      const ofNamespace = inNamespace(byNamespace, namespace);
      const sighting = summaryOf(namespace, job, snapshot);
      const known = ofNamespace.get(job.id);
      if (known) absorbLater(known, sighting);
      else {
        const summary = withSharedTexts(sighting);
        ofNamespace.set(job.id, summary);
        jobs.push(summary);
      }
    },
    summaries() {
      return [...jobs];
    },
  };
}
