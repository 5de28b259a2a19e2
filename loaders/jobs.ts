import type { Job, JobKind } from "./job.js";
import type { Micros } from "./time.js";

/** What is known of one job over the whole archive. */
export interface JobSummary {
  namespace: string;
  jobId: string;
  kind: JobKind;
  owner: string;
  dockerImage: string | null;
  datacenter: string | null;
  submitTime: Micros | null;
  firstStart: Micros | null;
  lastEnd: Micros | null;
  firstSeen: Micros;
  lastSeen: Micros;
  lastStatus: string;
}

export interface JobCatalog {
  add(namespace: string, job: Job, snapshot: Micros): void;
  summaries(): JobSummary[];
}

function earliest(a: Micros | null, b: Micros | null): Micros | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function latest(a: Micros | null, b: Micros | null): Micros | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/** Every job seen, whatever its status: the latest sighting describes it, times span all sightings. */
export function createJobCatalog(): JobCatalog {
  const jobs = new Map<string, JobSummary>();
  return {
    add(namespace, job, snapshot) {
      const key = `${namespace}\u0000${job.id}`;
      const known = jobs.get(key);
      jobs.set(key, {
        namespace,
        jobId: job.id,
        kind: job.kind,
        owner: job.owner,
        dockerImage: job.dockerImage ?? known?.dockerImage ?? null,
        datacenter: job.datacenter ?? known?.datacenter ?? null,
        submitTime: earliest(known?.submitTime ?? null, job.submitTime),
        firstStart: earliest(known?.firstStart ?? null, job.allocStart),
        lastEnd: latest(known?.lastEnd ?? null, job.allocEnd),
        firstSeen: known?.firstSeen ?? snapshot,
        lastSeen: snapshot,
        lastStatus: job.status,
      });
    },
    summaries() {
      return [...jobs.values()];
    },
  };
}
