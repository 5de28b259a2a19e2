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
      if (!known) {
        jobs.set(key, {
          namespace,
          jobId: job.id,
          kind: job.kind,
          owner: job.owner,
          dockerImage: job.dockerImage,
          datacenter: job.datacenter,
          submitTime: job.submitTime,
          firstStart: job.allocStart,
          lastEnd: job.allocEnd,
          firstSeen: snapshot,
          lastSeen: snapshot,
          lastStatus: job.status,
        });
        return;
      }
      known.kind = job.kind;
      known.owner = job.owner;
      known.dockerImage = job.dockerImage ?? known.dockerImage;
      known.datacenter = job.datacenter ?? known.datacenter;
      known.submitTime = earliest(known.submitTime, job.submitTime);
      known.firstStart = earliest(known.firstStart, job.allocStart);
      known.lastEnd = latest(known.lastEnd, job.allocEnd);
      known.lastSeen = snapshot;
      known.lastStatus = job.status;
    },
    summaries() {
      return [...jobs.values()];
    },
  };
}
