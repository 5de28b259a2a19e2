import { html } from "htl";
import type { CoverageRecords } from "../loaders/queries/coverage.js";
import { accountOriginsSql, recordSpansSql, type RecordSpan } from "../loaders/queries/quality.js";
import type { Connector } from "../loaders/queries/sql.js";
import { formatAge, formatSnapshotTime } from "./format.js";

/** How the pages name where usage is charged: Nomad's namespaces in an archive of snapshots alone, accounts otherwise. */
export interface Words {
  account: string;
  accounts: string;
  Account: string;
  Accounts: string;
  /** What the coverage sentences call the records: snapshots, or records of any source. */
  records: CoverageRecords;
}

const NAMESPACE_WORDS: Words = { account: "namespace", accounts: "namespaces", Account: "Namespace", Accounts: "Namespaces", records: "snapshots" };
const ACCOUNT_WORDS: Words = { account: "account", accounts: "accounts", Account: "Account", Accounts: "Accounts", records: "records" };

/** What the pages must know of an archive's sources before they show anything. */
export interface ArchiveSources {
  /** What each source and cluster covers, Nomad first. */
  spans: RecordSpan[];
  /** The archive holds Nomad snapshots: the pages about snapshots (jobs per snapshot, gaps, runs ended unseen) apply. */
  nomad: boolean;
  /** Every record is a Nomad snapshot: namespaces, and the compat mode. */
  nomadOnly: boolean;
  words: Words;
  /** The first and last time of any record, `YYYY-MM-DDTHH:MM:SSZ`. */
  first: string;
  last: string;
  /** Where each account's records come from (`Slurm alpha`), when the archive has several sources or clusters; empty otherwise. */
  origins: Map<string, string[]>;
}

/** Sources as JSON, written into a page at build time: the origins as `[account, origins]` pairs. */
export type ArchiveSourcesJson = Omit<ArchiveSources, "origins"> & { origins: [string, string[]][] };

export function sourcesJson(sources: ArchiveSources): ArchiveSourcesJson {
  return { ...sources, origins: [...sources.origins] };
}

export function sourcesFromJson(json: ArchiveSourcesJson): ArchiveSources {
  return { ...json, origins: new Map(json.origins) };
}

const SOURCE_NAMES: Record<string, string> = { nomad: "Nomad", slurm: "Slurm", sge: "Grid Engine", flux: "Flux" };

/** A source and cluster as people name it: `Slurm alpha`; Nomad's one cluster is just `Nomad`. */
export function originLabel(source: string, cluster: string): string {
  const name = SOURCE_NAMES[source] ?? source;
  return source === "nomad" ? name : `${name} ${cluster}`;
}

/** The sources of an archive's tables (spans and accounts), through the browser's DuckDB. */
export async function archiveSources(db: Connector): Promise<ArchiveSources> {
  const spans = await db.query<RecordSpan>(recordSpansSql());
  if (spans.length === 0) throw new Error("the archive's tables hold no records");
  const origins = await db.query<{ account: string; source: string; cluster: string }>(accountOriginsSql());
  const nomad = spans.some((span) => span.source === "nomad");
  const nomadOnly = spans.every((span) => span.source === "nomad");
  const byAccount = new Map<string, string[]>();
  if (spans.length > 1)
    for (const { account, source, cluster } of origins) byAccount.set(account, [...(byAccount.get(account) ?? []), originLabel(source, cluster)]);
  return {
    spans,
    nomad,
    nomadOnly,
    words: nomadOnly ? NAMESPACE_WORDS : ACCOUNT_WORDS,
    first: spans.map((span) => span.first).reduce((a, b) => (a < b ? a : b)),
    last: spans.map((span) => span.last).reduce((a, b) => (a > b ? a : b)),
    origins: byAccount,
  };
}

/**
 * How old the newest batch record is (the time of the newest dump or accounting record), `now` (ms) being the reader's
 * clock, and what each batch source and cluster covers: the numbers end there. Batch records have no cadence to
 * warn by: a dump is taken when the operators take one.
 */
export function recordsFreshnessCard(sources: ArchiveSources, now: number): HTMLElement {
  const batch = sources.spans.filter((span) => span.source !== "nomad");
  const newest = batch.map((span) => span.last).reduce((a, b) => (a > b ? a : b));
  const age = (now - Date.parse(newest)) / 3_600_000;
  return html`<div class="card records-freshness" data-age-hours=${String(age)}>
    <h2>Newest records</h2>
    <p><strong>${formatSnapshotTime(newest)}</strong>, ${formatAge(Math.max(0, age))} ago: the newest dump or accounting record; every number ends there.</p>
    <table>
      <thead>
        <tr>
          <th>Source</th>
          <th>From</th>
          <th>To</th>
        </tr>
      </thead>
      <tbody>
        ${sources.spans.map(
          (span) =>
            html`<tr data-source=${span.source} data-cluster=${span.cluster}>
              <td>${originLabel(span.source, span.cluster)}</td>
              <td>${formatSnapshotTime(span.first)}</td>
              <td>${formatSnapshotTime(span.last)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}
