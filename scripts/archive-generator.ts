import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

export type Layout = "flat" | "nested" | "mixed";

/** A cluster takedown: no snapshot is taken, every job is killed when it starts. */
export interface Gap {
  /** ISO date-time, UTC unless it says otherwise. */
  start: string;
  days: number;
}

export interface ArchiveOptions {
  seed: number;
  /** ISO date (YYYY-MM-DD) of the first day, UTC. */
  start: string;
  days: number;
  /** Cron period: a snapshot at every hour of the day divisible by it (`0 *\/N * * *`). */
  snapshotHours: number;
  /** Each snapshot is taken 0..jitterSeconds after its cron tick. */
  jitterSeconds: number;
  /** The first is busy from the start, the second starts empty, the others appear after a week. */
  namespaces: string[];
  /** Mean number of jobs listed per namespace and snapshot, averaged over the namespaces. */
  jobsPerNamespace: number;
  /** Distinct job owners; the user database lacks some of them and holds a few who never ran a job. */
  users: number;
  gaps: Gap[];
  /** Probability that a cron tick leaves no snapshot. */
  missingSnapshotRate: number;
  /** `mixed`: the first half of the period nested in YYYY/MM folders, the rest flat. */
  layout: Layout;
  /**
   * Legacy and malformed records, odd statuses, hostile titles, restarts, a stretch of 4-hour
   * cron and a few manual off-schedule snapshots. Gaps and missed snapshots have their own options.
   */
  quirks: boolean;
  /** JSON indentation of snapshots; 0 writes Python's `json.dump` default, as the upstream cron does. */
  indent: number;
}

export interface ArchiveSummary {
  snapshots: number;
  /** Distinct job ids listed in at least one snapshot. */
  jobs: number;
  /** Bytes written, snapshots and user database. */
  bytes: number;
  /** Names (`YYYY-MM-DDTHH:MM:SS`) of the first and last snapshots, empty when there is none. */
  first: string;
  last: string;
}

const HOUR = 3600;
const DAY = 24 * HOUR;
const GO_ZERO_TIME = "0001-01-01T00:00:00Z";
const GC_THRESHOLD = 4 * HOUR;
const GC_INTERVAL = 5 * 60;
const WARM_UP_DAYS = 30;
const LAYOUTS: readonly Layout[] = ["flat", "nested", "mixed"];

interface LogNormal {
  median: number;
  sigma: number;
  max: number;
}
const QUEUE_TIME: LogNormal = { median: 0.2 * HOUR, sigma: 2, max: 10 * DAY };
const PULL_TIME: LogNormal = { median: 2 * 60, sigma: 1.5, max: HOUR };
const RUN_TIME: LogNormal = { median: 24 * HOUR, sigma: 1.2, max: 120 * DAY };
const TIME_TO_DELETE: LogNormal = { median: 3 * HOUR, sigma: 1, max: 5 * DAY };

const DATACENTERS = [
  { name: "iisas-ai4eosc", coreMHz: 2600 },
  { name: "incd-imagine", coreMHz: 2000 },
  { name: "tubitak-ai4eosc", coreMHz: 3000 },
  { name: "ifca-ai4eosc", coreMHz: 2400 },
] as const;
type Datacenter = (typeof DATACENTERS)[number];

const KINDS = ["module", "module", "module", "module", "module", "module", "tool", "tool", "tool", "batch"] as const;
const MODULE_IMAGES = [
  "ai4oshub/yolov8",
  "ai4oshub/fasterrcnn-pytorch",
  "ai4oshub/plants-classification",
  "ai4oshub/phyto-plankton-classification",
  "ai4oshub/ai4os-demo-app",
  "ai4oshub/ai4os-image-classification-tf",
  "ai4oshub/ai4os-llm",
];
const MODULE_COMMANDS = ["deep-start --jupyter", "deep-start --jupyter", "deep-start --deepaas", "deep-start --vscode"];
const TOOLS = [
  { image: "ai4oshub/ai4os-dev-env", command: "deep-start --vscode" },
  { image: "ai4oshub/ai4os-nvflare", command: "deep-start --jupyter" },
  { image: "ai4oshub/ai4os-cvat", command: "" },
  { image: "ai4oshub/ai4os-federated-server", command: "deep-start --jupyter" },
];
const BATCH_COMMAND = "python3 train.py --epochs 50";

const CORES = [1, 1, 2, 2, 2, 4, 4, 4, 4, 6, 8, 8, 12, 16];
const GPUS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 3, 4];
const MEMORY_MB = [2000, 4000, 8000, 8000, 16000, 32000, 64000];
const DISK_MB = [10000, 20000, 20000, 50000, 100000];

const PLAIN_TITLES = [
  "My model",
  "demo",
  "segmentation test",
  "plankton classifier",
  "LLM fine-tune",
  "yolo run 3",
  "thesis experiments",
  "cvat annotation",
  "federated round",
  "",
];
const LONG_TEXT = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(20);
const HOSTILE_TITLES = [
  "<script>alert(1)</script>",
  "<img src=x onerror=alert(1)>",
  'quote " test',
  "it's O'Brien's model",
  "tool; DROP TABLE users",
  "Ünïcödé ☃ title",
  "🚀 rocket 🤖 model",
  "line\nbreak\ttab",
  "{{7*7}} ${7*7}",
  "\u202eevil right-to-left",
  LONG_TEXT,
];
const HOSTILE_DESCRIPTIONS = [
  '</textarea><script>alert("x")</script>',
  '<a href="javascript:alert(1)">click me</a>',
  "multi\nline\ndescription",
  "emoji 🎉🎉🎉",
  "",
  LONG_TEXT,
];

const NETWORK_ERROR = "There seems to be network issues in the cluster.";
const PLACEMENT_ERROR =
  "{'usergroup': {'NodesEvaluated': 14, 'NodesFiltered': 9, 'NodesInPool': 14, 'NodesAvailable': {'ifca-ai4eosc': 6, 'iisas-ai4eosc': 4, 'incd-imagine': 2, 'tubitak-ai4eosc': 2}, 'ClassFiltered': None, 'ConstraintFiltered': {'${meta.type}': 9}, 'NodesExhausted': 5, 'ClassExhausted': None, 'DimensionExhausted': {'devices: no devices match request': 5}, 'QuotaExhausted': None, 'ResourcesExhausted': None, 'ScoreMetaData': None, 'AllocationTime': 91292, 'CoalescedFailures': 0}}";

const FIRST_NAMES = [
  "Ana",
  "Jan",
  "Li",
  "Eva",
  "Tom",
  "Sara",
  "Luis",
  "Marta",
  "Zoë",
  "Ömer",
  "Łukasz",
  "Søren",
  "Ángel",
  "Chloé",
  "Jürgen",
  "Björn",
  "Işıl",
  "María José",
];
const LAST_NAMES = [
  "Kowalski",
  "Rossi",
  "Novak",
  "Yılmaz",
  "Smith",
  "O'Brien",
  "García",
  "Müller",
  "Dvořák",
  "Nuñez",
  "Lévy",
  "van der Berg",
  "Żak",
  "Петров",
  "Παπαδόπουλος",
];

/** Validates options and fills in defaults; throws a RangeError naming the first bad option. */
export function resolveArchiveOptions(options: Partial<ArchiveOptions> = {}): ArchiveOptions {
  const start = options.start ?? "2024-01-01";
  const days = options.days ?? 75;
  const resolved: ArchiveOptions = {
    seed: 1,
    start,
    days,
    snapshotHours: 6,
    jitterSeconds: 40,
    namespaces: ["ai4eosc", "imagine", "ai4life"],
    jobsPerNamespace: 10,
    users: 40,
    gaps: defaultGaps(start, days),
    missingSnapshotRate: 0.03,
    layout: "flat",
    quirks: true,
    indent: 0,
    ...withoutUndefined(options),
  };
  validate(resolved);
  return resolved;
}

function withoutUndefined(options: Partial<ArchiveOptions>): Partial<ArchiveOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

function defaultGaps(start: string, days: number): Gap[] {
  const first = parseUtc(start);
  if (days < 30 || first === undefined) return [];
  return [{ start: snapshotName(first + Math.floor(days / 2) * DAY + 9 * HOUR), days: 3 }];
}

function validate(o: ArchiveOptions): void {
  const check = (ok: boolean, message: string) => {
    if (!ok) throw new RangeError(message);
  };
  const isInteger = (value: unknown, min: number, max: number) => typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
  check(isInteger(o.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER), "seed must be an integer");
  check(isIsoDate(o.start), `start ${JSON.stringify(o.start)} is not an ISO date`);
  check(isInteger(o.days, 1, 100 * 365), "days must be a positive integer");
  check(isInteger(o.snapshotHours, 1, 24), "snapshotHours must be an integer from 1 to 24");
  check(isInteger(o.jitterSeconds, 0, 1799), "jitterSeconds must be an integer from 0 to 1799");
  check(Array.isArray(o.namespaces) && o.namespaces.length > 0, "namespaces must be a non-empty list");
  check(
    o.namespaces.every((name) => typeof name === "string" && name !== ""),
    "namespaces must be non-empty strings",
  );
  check(new Set(o.namespaces).size === o.namespaces.length, "namespaces must be distinct");
  check(typeof o.jobsPerNamespace === "number" && o.jobsPerNamespace >= 0 && o.jobsPerNamespace <= 10_000, "jobsPerNamespace must be a number from 0 to 10000");
  check(isInteger(o.users, 1, 1_000_000), "users must be a positive integer");
  check(Array.isArray(o.gaps), "gaps must be a list");
  for (const gap of o.gaps) {
    check(parseUtc(gap.start) !== undefined, `gap start ${JSON.stringify(gap.start)} is not an ISO date-time`);
    check(typeof gap.days === "number" && gap.days > 0, "gap days must be a positive number");
  }
  check(typeof o.missingSnapshotRate === "number" && o.missingSnapshotRate >= 0 && o.missingSnapshotRate < 1, "missingSnapshotRate must be in [0, 1)");
  check(LAYOUTS.includes(o.layout), `layout must be one of ${LAYOUTS.join(", ")}`);
  check(typeof o.quirks === "boolean", "quirks must be a boolean");
  check(isInteger(o.indent, 0, 8), "indent must be an integer from 0 to 8");
}

function isIsoDate(text: string): boolean {
  const seconds = parseUtc(text);
  return seconds !== undefined && snapshotName(seconds).slice(0, 10) === text;
}

/** Epoch seconds of an ISO date or date-time; a date-time without offset is UTC. */
function parseUtc(text: string): number | undefined {
  const match = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(text);
  if (match === null) return undefined;
  const ms = Date.parse(match[1] !== undefined && match[4] === undefined ? `${text}Z` : text);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

class Rng {
  private state: number;

  constructor(seed: number, stream: number) {
    const low = seed >>> 0;
    const high = Math.floor(seed / 2 ** 32) >>> 0;
    this.state = mix32(low ^ mix32(high ^ mix32(stream + 0x9e3779b9)));
  }

  /** mulberry32 */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  int(min: number, max: number): number {
    return min + Math.floor((max - min + 1) * this.next());
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return itemAt(items, Math.floor(this.next() * items.length));
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  logNormal({ median, sigma, max }: LogNormal): number {
    const normal = Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
    return Math.min(max, median * Math.exp(sigma * normal));
  }

  hex(length: number): string {
    let text = "";
    while (text.length < length)
      text += Math.floor(this.next() * 2 ** 32)
        .toString(16)
        .padStart(8, "0");
    return text.slice(0, length);
  }

  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** Nanoseconds, now and then coarse, so that formatted times have 0 to 9 fraction digits. */
  nanos(): number {
    if (!this.chance(0.08)) return this.int(0, 999_999_999);
    const zeros = this.int(1, 9);
    return this.int(0, 10 ** (9 - zeros) - 1) * 10 ** zeros;
  }

  shuffled<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [copy[i], copy[j]] = [itemAt(copy, j), itemAt(copy, i)];
    }
    return copy;
  }
}

function mix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function itemAt<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new RangeError(`index ${index} out of ${items.length}`);
  return item;
}

const logNormalMean = ({ median, sigma }: LogNormal) => median * Math.exp((sigma * sigma) / 2);

function snapshotName(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19);
}

function submitText(seconds: number): string {
  return snapshotName(Math.floor(seconds)).replace("T", " ");
}

/** Go's RFC 3339 with nanoseconds: trailing zeros of the fraction are trimmed. */
function goTime(seconds: number, nanos: number): string {
  const fraction = nanos === 0 ? "" : `.${String(nanos).padStart(9, "0").replace(/0+$/, "")}`;
  return `${snapshotName(Math.floor(seconds))}${fraction}Z`;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Python's `json.dumps(value, indent=indent or None)`: ASCII only, `", "` and `": "` separators. */
function pythonJson(value: Json, indent: number, depth = 0): string {
  if (value === null) return "null";
  if (typeof value === "string") return asciiString(value);
  if (typeof value !== "object") return String(value);
  const isArray = Array.isArray(value);
  const items = isArray
    ? value.map((item) => pythonJson(item, indent, depth + 1))
    : Object.entries(value).map(([key, item]) => `${asciiString(key)}: ${pythonJson(item, indent, depth + 1)}`);
  const [open, close] = isArray ? ["[", "]"] : ["{", "}"];
  if (items.length === 0) return open + close;
  if (indent === 0) return open + items.join(", ") + close;
  const inner = `\n${" ".repeat(indent * (depth + 1))}`;
  return `${open}${inner}${items.join(`,${inner}`)}\n${" ".repeat(indent * depth)}${close}`;
}

function asciiString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

interface Person {
  name: string;
  email: string;
}

interface People {
  owners: string[];
  database: Record<string, Person>;
}

function makePeople(rng: Rng, count: number): People {
  const owners = Array.from({ length: count }, () => `${rng.hex(32)}@egi.eu`);
  const strangers = Array.from({ length: Math.ceil(count / 10) }, () => `${rng.hex(32)}@egi.eu`);
  const database: Record<string, Person> = {};
  const notYetInDatabase = (index: number) => index < count && index % 7 === 3;
  [...owners, ...strangers].forEach((id, index) => {
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    if (notYetInDatabase(index)) return;
    database[id] = { name: `${first} ${last}`, email: `${first.toLowerCase().replace(/ /g, ".")}.${index}@example.org` };
  });
  return { owners, database };
}

/** Picks items with Zipf weights, the first being the most frequent. */
function zipfPicker<T>(rng: Rng, items: readonly T[]): () => T {
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 1; rank <= items.length; rank++) cumulative.push((total += 1 / rank));
  return () => {
    const target = rng.next() * total;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (itemAt(cumulative, middle) > target) high = middle;
      else low = middle + 1;
    }
    return itemAt(items, low);
  };
}

interface Timeline {
  start: number;
  end: number;
  gaps: { start: number; end: number }[];
  fourHourDays: { from: number; to: number } | null;
}

function timelineOf(o: ArchiveOptions): Timeline {
  const start = parseUtc(o.start) ?? 0;
  const gaps = o.gaps
    .map((gap) => {
      const from = parseUtc(gap.start) ?? 0;
      return { start: from, end: from + Math.round(gap.days * DAY) };
    })
    .sort((a, b) => a.start - b.start);
  const stretchStart = Math.floor(o.days * 0.7);
  const fourHourDays = o.quirks && o.snapshotHours !== 4 ? { from: stretchStart, to: stretchStart + 5 } : null;
  return { start, end: start + o.days * DAY, gaps, fourHourDays };
}

function inGap(timeline: Timeline, t: number): boolean {
  return timeline.gaps.some((gap) => t >= gap.start && t < gap.end);
}

function nextGapStart(timeline: Timeline, t: number): number {
  return timeline.gaps.find((gap) => gap.start > t)?.start ?? Infinity;
}

/** Snapshot times in order: cron ticks plus jitter, less gaps and missed ticks, plus a few manual runs. */
function* snapshotTimes(o: ArchiveOptions, timeline: Timeline, rng: Rng): Generator<number> {
  for (let day = 0; day < o.days; day++) {
    const midnight = timeline.start + day * DAY;
    const stretch = timeline.fourHourDays;
    const period = stretch && day >= stretch.from && day < stretch.to ? 4 : o.snapshotHours;
    for (let hour = 0; hour < 24; hour += period) {
      const tick = midnight + hour * HOUR;
      const untilNextTick = (Math.min(hour + period, 24) - hour) * HOUR;
      const missed = rng.chance(o.missingSnapshotRate);
      const jitter = rng.int(0, o.jitterSeconds);
      if (!missed && !inGap(timeline, tick)) yield tick + jitter;
      if (o.quirks && rng.chance(1 / 40)) {
        const manual = tick + rng.int(1800, Math.max(1800, untilNextTick - 1800));
        if (!inGap(timeline, manual)) yield manual;
      }
    }
  }
}

interface Incident {
  datacenter: string;
  from: number;
  to: number;
}

function planIncidents(rng: Rng, timeline: Timeline): Incident[] {
  const incidents: Incident[] = [];
  for (const { name } of DATACENTERS) {
    for (let t = timeline.start + rng.exponential(45 * DAY); t < timeline.end; t += rng.exponential(45 * DAY)) {
      incidents.push({ datacenter: name, from: t, to: t + rng.between(6 * HOUR, 18 * HOUR) });
    }
  }
  return incidents;
}

function datacentersDownAt(incidents: readonly Incident[], t: number): Set<string> {
  return new Set(incidents.filter((incident) => t >= incident.from && t < incident.to).map((incident) => incident.datacenter));
}

const MAX_ACTIVITY = 1.6;

/** Submissions per hour of the week, relative: quiet nights and weekends. */
function activity(t: number): number {
  const weekday = (Math.floor(t / DAY) + 4) % 7;
  const hour = Math.floor((t % DAY) / HOUR);
  return (weekday === 0 || weekday === 6 ? 0.4 : 1) * (hour >= 8 && hour < 18 ? 1.6 : 0.7);
}

function meanActivity(): number {
  let sum = 0;
  for (let hour = 0; hour < 7 * 24; hour++) sum += activity(hour * HOUR);
  return sum / (7 * 24);
}

interface Span {
  id: string;
  datacenter: Datacenter;
  created: number;
  started: number;
  finished: number;
}

interface Allocation extends Span {
  startedText: string;
  finishedText: string;
}

type FinalStatus = "dead" | "failed" | "complete";

interface Job {
  id: string;
  name: string;
  owner: string;
  title: string;
  description: string;
  image: string;
  command: string;
  submitText: string;
  cores: number;
  gpus: number;
  memoryMB: number;
  diskMB: number;
  endpoints: Record<string, string>;
  mainEndpoint: string | null;
  /** Submitted while the old snapshot script ran: `pending` for queued, core count in `cpu_MHz`. */
  legacy: boolean;
  placementFailed: boolean;
  allocations: Allocation[];
  end: number;
  final: FinalStatus;
  gcAt: number;
  hidesStart: boolean;
  hidesEnd: boolean;
  seen: boolean;
}

interface PlanContext {
  quirks: boolean;
  timeline: Timeline;
  legacyUntil: number;
  pickOwner: () => string;
}

interface Lifecycle {
  spans: Span[];
  placementFailed: boolean;
  end: number;
  final: FinalStatus;
}

function planJob(rng: Rng, context: PlanContext, submit: number): Job {
  const id = rng.uuid();
  const kind = rng.pick(KINDS);
  const tool = rng.pick(TOOLS);
  const image = kind === "tool" ? tool.image : rng.pick(MODULE_IMAGES);
  const command = kind === "tool" ? tool.command : kind === "batch" ? BATCH_COMMAND : rng.pick(MODULE_COMMANDS);
  const quirky = (probability: number) => context.quirks && rng.chance(probability);
  const lifecycle = planLifecycle(rng, context, submit, kind === "batch");
  return {
    id,
    name: `${kind}-${id}`,
    owner: context.pickOwner(),
    title: quirky(0.3) ? rng.pick(HOSTILE_TITLES) : rng.pick(PLAIN_TITLES),
    description: quirky(0.1) ? rng.pick(HOSTILE_DESCRIPTIONS) : `Deployment of ${image}:latest`,
    image,
    command,
    submitText: submitText(submit),
    cores: rng.pick(CORES),
    gpus: rng.pick(GPUS),
    memoryMB: rng.pick(MEMORY_MB),
    diskMB: rng.pick(DISK_MB),
    ...endpointsOf(id, kind === "batch", command),
    legacy: context.quirks && submit < context.legacyUntil,
    placementFailed: lifecycle.placementFailed,
    allocations: lifecycle.spans.map((span) => stamped(rng, span)),
    end: lifecycle.end,
    final: lifecycle.final,
    gcAt: lifecycle.end + GC_THRESHOLD + rng.between(0, GC_INTERVAL),
    hidesStart: quirky(0.02),
    hidesEnd: lifecycle.final === "dead" && lifecycle.spans.length > 0 && quirky(0.03),
    seen: false,
  };
}

function endpointsOf(id: string, batch: boolean, command: string): { endpoints: Record<string, string>; mainEndpoint: string | null } {
  if (batch) return { endpoints: {}, mainEndpoint: null };
  const host = (label: string) => `https://${label}-${id.slice(0, 8)}.deployments.cloud.ai4eosc.eu`;
  const deepaas = command.endsWith("--deepaas");
  return { endpoints: { api: `${host("api")}${deepaas ? "/ui" : ""}`, ide: host("ide") }, mainEndpoint: deepaas ? "api" : "ide" };
}

function planLifecycle(rng: Rng, context: PlanContext, submit: number, batch: boolean): Lifecycle {
  const kill = nextGapStart(context.timeline, submit) + rng.between(0, 20 * 60);
  const queue = rng.logNormal(QUEUE_TIME);
  const neverStarted = (placementFailed: boolean, end: number): Lifecycle => ({ spans: [], placementFailed, end: Math.min(end, kill), final: "dead" });
  if (context.quirks && rng.chance(0.03)) return neverStarted(true, submit + rng.logNormal(TIME_TO_DELETE));
  if (context.quirks && queue > HOUR && rng.chance(0.5)) return neverStarted(false, submit + queue * rng.between(0.2, 0.9));
  if (submit + queue >= kill) return neverStarted(false, kill);
  const restarts = context.quirks && rng.chance(0.08) ? rng.int(1, 2) : 0;
  const spans = killedAt(planSpans(rng, submit + queue, restarts), kill);
  const last = itemAt(spans, spans.length - 1);
  return { spans, placementFailed: false, end: last.finished, final: last.finished >= kill ? "dead" : finalStatus(rng, context.quirks, batch) };
}

function planSpans(rng: Rng, firstCreated: number, restarts: number): Span[] {
  const run = rng.logNormal(RUN_TIME);
  const cuts = Array.from({ length: restarts }, () => rng.next() * run).sort((a, b) => a - b);
  const pieces = [...cuts, run].map((cut, index) => cut - (index === 0 ? 0 : itemAt(cuts, index - 1)));
  let created = firstCreated;
  let id = rng.uuid();
  let datacenter = rng.pick(DATACENTERS);
  return pieces.map((piece, index) => {
    if (index > 0 && rng.chance(0.7)) [id, datacenter] = [rng.uuid(), rng.pick(DATACENTERS)];
    const started = created + rng.logNormal(PULL_TIME);
    const span = { id, datacenter, created, started, finished: started + piece };
    created = span.finished;
    return span;
  });
}

function killedAt(spans: Span[], kill: number): Span[] {
  const alive = spans.filter((span) => span.created < kill);
  return alive.map((span, index) =>
    index < alive.length - 1 || span.finished < kill ? span : { ...span, started: Math.min(span.started, kill), finished: kill },
  );
}

function finalStatus(rng: Rng, quirks: boolean, batch: boolean): FinalStatus {
  if (quirks && rng.chance(0.04)) return "failed";
  if (quirks && batch && rng.chance(0.5)) return "complete";
  return "dead";
}

function stamped(rng: Rng, span: Span): Allocation {
  return { ...span, startedText: goTime(span.started, rng.nanos()), finishedText: goTime(span.finished, rng.nanos()) };
}

interface Observation {
  status: string;
  allocation: Allocation | null;
  allocStart: string | null;
  allocEnd: string | null;
  errorMsg: string | null;
}

function latestAllocation(job: Job, t: number): Allocation | null {
  for (let index = job.allocations.length - 1; index >= 0; index--) {
    const allocation = itemAt(job.allocations, index);
    if (allocation.created < t) return allocation;
  }
  return null;
}

function observe(job: Job, t: number, down: ReadonlySet<string>): Observation {
  const allocation = latestAllocation(job, t);
  if (allocation === null) {
    const unallocated = { allocation, allocStart: null, allocEnd: null };
    if (job.end < t) return { ...unallocated, status: "dead", errorMsg: null };
    if (job.placementFailed) return { ...unallocated, status: "error", errorMsg: PLACEMENT_ERROR };
    return { ...unallocated, status: job.legacy ? "pending" : "queued", errorMsg: null };
  }
  if (allocation.started >= t) return { status: "starting", allocation, allocStart: GO_ZERO_TIME, allocEnd: GO_ZERO_TIME, errorMsg: null };
  if (allocation.finished >= t) {
    const isDown = down.has(allocation.datacenter.name);
    return {
      status: isDown ? "down" : "running",
      allocation,
      allocStart: job.hidesStart ? null : allocation.startedText,
      allocEnd: GO_ZERO_TIME,
      errorMsg: isDown ? NETWORK_ERROR : null,
    };
  }
  return {
    status: job.final,
    allocation,
    allocStart: allocation.startedText,
    allocEnd: job.hidesEnd ? null : allocation.finishedText,
    errorMsg: job.final === "failed" ? containerError(job.command) : null,
  };
}

function containerError(command: string): string {
  return `An error seems to appear when running this Docker container. Try to run this Docker locally with the command \`${command}\` to find what is the error or contact the module owner.`;
}

function resourcesOf(job: Job, allocation: Allocation | null): { [key: string]: Json } {
  const [cpuNum, cpuMHz] = allocation === null ? [job.cores, 0] : job.legacy ? [0, job.cores] : [job.cores, job.cores * allocation.datacenter.coreMHz];
  return { cpu_num: cpuNum, cpu_MHz: cpuMHz, gpu_num: job.gpus, memory_MB: job.memoryMB, disk_MB: job.diskMB };
}

function jobRecord(job: Job, observation: Observation): { [key: string]: Json } {
  const { allocation, errorMsg } = observation;
  return {
    job_ID: job.id,
    name: job.name,
    status: observation.status,
    owner: job.owner,
    title: job.title,
    description: job.description,
    docker_image: job.image,
    docker_command: job.command,
    submit_time: job.submitText,
    resources: resourcesOf(job, allocation),
    endpoints: job.endpoints,
    active_endpoints: null,
    main_endpoint: job.mainEndpoint,
    alloc_ID: allocation?.id ?? null,
    datacenter: allocation?.datacenter.name ?? null,
    alloc_start: observation.allocStart,
    alloc_end: observation.allocEnd,
    ...(errorMsg === null ? {} : { error_msg: errorMsg }),
  };
}

/** One namespace: a Poisson stream of submissions, each job planned whole when submitted. */
class NamespaceSimulation {
  private jobs: Job[] = [];
  private nextCandidate: number;
  seenJobs = 0;

  constructor(
    readonly name: string,
    readonly appearsAt: number,
    opensAt: number,
    private readonly meanCandidateGap: number,
    private readonly rng: Rng,
    private readonly context: PlanContext,
  ) {
    this.nextCandidate = opensAt + rng.exponential(meanCandidateGap);
  }

  records(t: number, down: ReadonlySet<string>): Json[] {
    this.submitUntil(t);
    this.jobs = this.jobs.filter((job) => job.gcAt > t);
    return this.jobs.map((job) => {
      if (!job.seen) {
        job.seen = true;
        this.seenJobs += 1;
      }
      return jobRecord(job, observe(job, t, down));
    });
  }

  private submitUntil(t: number): void {
    for (; this.nextCandidate < t; this.nextCandidate += this.rng.exponential(this.meanCandidateGap)) {
      const submit = this.nextCandidate;
      if (inGap(this.context.timeline, submit) || !this.rng.chance(activity(submit) / MAX_ACTIVITY)) continue;
      this.jobs.push(planJob(this.rng, this.context, submit));
    }
  }
}

function namespaceSimulations(o: ArchiveOptions, timeline: Timeline, people: People): NamespaceSimulation[] {
  const meanVisible = logNormalMean(QUEUE_TIME) + logNormalMean(PULL_TIME) + logNormalMean(RUN_TIME) + GC_THRESHOLD + GC_INTERVAL / 2;
  const weights = o.namespaces.map((_, index) => 1 / (index + 1));
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const thinning = meanActivity() / MAX_ACTIVITY;
  return o.namespaces.map((name, index) => {
    const rng = new Rng(o.seed, 10 + index);
    const meanJobs = (o.jobsPerNamespace * o.namespaces.length * itemAt(weights, index)) / weightSum;
    const appearsAt = index < 2 ? timeline.start : timeline.start + (7 + 3 * (index - 2)) * DAY;
    const opensAt = index === 0 ? timeline.start - WARM_UP_DAYS * DAY : index === 1 ? timeline.start + 1.5 * DAY : appearsAt + 12 * HOUR;
    const context: PlanContext = {
      quirks: o.quirks,
      timeline,
      legacyUntil: timeline.start + 0.1 * o.days * DAY,
      pickOwner: zipfPicker(rng, rng.shuffled(people.owners)),
    };
    return new NamespaceSimulation(name, appearsAt, opensAt, (meanVisible * thinning) / Math.max(meanJobs, 1e-9), rng, context);
  });
}

function snapshotPath(root: string, layout: Layout, t: number, midpoint: number): string {
  const name = snapshotName(t);
  const nested = layout === "nested" || (layout === "mixed" && t < midpoint);
  return nested ? join(root, "snapshots", name.slice(0, 4), name.slice(5, 7), `${name}.json`) : join(root, "snapshots", `${name}.json`);
}

async function writeText(path: string, text: string): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  return Buffer.byteLength(text);
}

/** Simulates the cluster and writes each snapshot as soon as it is taken; `dir` should hold no archive yet. */
export async function generateArchive(dir: string, options: Partial<ArchiveOptions> = {}): Promise<ArchiveSummary> {
  const o = resolveArchiveOptions(options);
  const timeline = timelineOf(o);
  const people = makePeople(new Rng(o.seed, 1), o.users);
  const incidents = o.quirks ? planIncidents(new Rng(o.seed, 2), timeline) : [];
  const simulations = namespaceSimulations(o, timeline, people);
  const summary: ArchiveSummary = { snapshots: 0, jobs: 0, bytes: 0, first: "", last: "" };
  summary.bytes += await writeText(join(dir, "users", "user-db.json"), JSON.stringify(people.database, null, 2));
  const midpoint = (timeline.start + timeline.end) / 2;
  for (const t of snapshotTimes(o, timeline, new Rng(o.seed, 0))) {
    const down = datacentersDownAt(incidents, t);
    const snapshot: { [namespace: string]: Json } = {};
    for (const simulation of simulations) {
      if (t >= simulation.appearsAt) snapshot[simulation.name] = simulation.records(t, down);
    }
    summary.bytes += await writeText(snapshotPath(dir, o.layout, t, midpoint), pythonJson(snapshot, o.indent));
    summary.snapshots += 1;
    summary.first ||= snapshotName(t);
    summary.last = snapshotName(t);
  }
  summary.jobs = simulations.reduce((sum, simulation) => sum + simulation.seenJobs, 0);
  return summary;
}
