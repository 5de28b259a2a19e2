import type { IntervalRecord, JobRecord } from "../../model/records.js";
import type { Micros } from "../../model/time.js";
import type { Interval } from "./intervals.js";
import type { JobKind } from "./job.js";
import type { JobSummary } from "./jobs.js";

/** Nomad's snapshots name no cluster: an archive of snapshots is one cluster, named so. */
const NOMAD_CLUSTER = "nomad";

/** A run the fold made, in the common model: the namespace is the account. */
export function intervalRecord(interval: Interval): IntervalRecord {
  const { namespace, jobId, owner, allocId, start, end, firstSnapshot, lastSnapshot, resources } = interval;
  return { source: "nomad", cluster: NOMAD_CLUSTER, account: namespace, owner, jobId, allocId, start, end, firstSnapshot, lastSnapshot, resources };
}

/** A job the fold saw, in the common model. */
export function jobRecord(job: JobSummary): JobRecord {
  return {
    source: "nomad",
    cluster: NOMAD_CLUSTER,
    account: job.namespace,
    jobId: job.jobId,
    owner: job.owner,
    name: null,
    kind: job.kind,
    title: job.title,
    dockerImage: job.dockerImage,
    datacenter: job.datacenter,
    queue: null,
    qos: null,
    group: null,
    nodes: null,
    nodeNames: null,
    submitTime: job.submitTime,
    startTime: job.firstStart,
    endTime: job.lastEnd,
    firstSeen: job.firstSeen,
    lastSeen: job.lastSeen,
    state: job.lastStatus,
    exitCode: null,
  };
}

/** A row of the jobs table back as the fold's summary, to be merged with what later snapshots saw; times in µs. */
export function jobSummaryOf(row: {
  account: string;
  job_id: string;
  kind: string;
  owner: string;
  title: string | null;
  docker_image: string | null;
  datacenter: string | null;
  submit_time: Micros | null;
  start_time: Micros | null;
  end_time: Micros | null;
  first_seen: Micros;
  last_seen: Micros;
  state: string;
}): JobSummary {
  return {
    namespace: row.account,
    jobId: row.job_id,
    kind: row.kind as JobKind,
    owner: row.owner,
    title: row.title,
    dockerImage: row.docker_image,
    datacenter: row.datacenter,
    submitTime: row.submit_time,
    firstStart: row.start_time,
    lastEnd: row.end_time,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    lastStatus: row.state,
  };
}

/** Inserts Nomad's accounts (every namespace of the snapshots) and span (first to last snapshot), from the snapshots table. */
export function nomadAccountsAndSpansSql(): string[] {
  const nomad = `'nomad', '${NOMAD_CLUSTER}'`;
  return [
    `INSERT INTO accounts SELECT DISTINCT ${nomad}, account FROM snapshots ORDER BY account`,
    `INSERT INTO spans SELECT ${nomad}, min(time), max(time) FROM snapshots HAVING count(*) > 0`,
  ];
}
