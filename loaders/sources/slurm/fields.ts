/**
 * The fields of a Slurm dump: what `sacct --format` is asked for, and the names sacct writes in a dump's header.
 */

/**
 * The fields Open XDMoD documents for `sacct --parsable2 --noheader` (docs/resource-manager-slurm.md), in that order,
 * lowercase as `sacct --format` takes them: a dump without a header holds them. The collector asks for them.
 */
export const SACCT_FIELDS = [
  "jobid",
  "jobidraw",
  "cluster",
  "partition",
  "qos",
  "account",
  "group",
  "gid",
  "user",
  "uid",
  "submit",
  "eligible",
  "start",
  "end",
  "elapsed",
  "exitcode",
  "state",
  "nnodes",
  "ncpus",
  "reqcpus",
  "reqmem",
  "reqtres",
  "alloctres",
  "timelimit",
  "nodelist",
  "jobname",
] as const;

/**
 * Every field name sacct has had (its `fields[]` table, src/sacct/sacct.c, from Slurm 2.0 to 26.11), lowercase: a
 * line made only of them is a dump's header. sacct writes them capitalised (`JobID|JobIDRaw|…`) whatever case the
 * `--format` option gave.
 */
const KNOWN_FIELDS = new Set([
  ...SACCT_FIELDS,
  ..."admincomment alloccpus allocgres allocnodes associd avecpu avecpufreq avediskread avediskwrite avepages averss avevmsize avevsize blockid".split(" "),
  ..."comment constraints consumedenergy consumedenergyraw container cputime cputimeraw dbindex derivedexitcode derivedexitstr elapsedraw".split(" "),
  ..."exclusive extra failednode flags layout licenses maxdiskread maxdiskreadnode maxdiskreadtask maxdiskwrite maxdiskwritenode".split(" "),
  ..."maxdiskwritetask maxpages maxpagesnode maxpagestask maxrss maxrssnode maxrsstask maxvmsize maxvmsizenode maxvmsizetask maxvsize".split(" "),
  ..."maxvsizenode maxvsizetask mcslabel mincpu mincpunode mincputask ntasks originalsluid oversubscribe planned plannedcpu plannedcpuraw".split(" "),
  ..."priority qosraw qosreq reason reqcpufreq reqcpufreqgov reqcpufreqmax reqcpufreqmin reqgres reqnodes reqreservation reservation".split(" "),
  ..."reservationid reserved restarts resvcpu resvcpuraw segmentsize sluid stderr stdin stdout submitline suspended systemcomment systemcpu".split(" "),
  ..."timelimitraw totalcpu tres tresalloc tresreq tresusageinave tresusageinmax tresusageinmaxnode tresusageinmaxtask tresusageinmin".split(" "),
  ..."tresusageinminnode tresusageinmintask tresusageintot tresusageoutave tresusageoutmax tresusageoutmaxnode tresusageoutmaxtask".split(" "),
  ..."tresusageoutmin tresusageoutminnode tresusageoutmintask tresusageouttot usedgres usercpu wckey wckeyid workdir".split(" "),
]);

/**
 * Fields whose value is free text, which may hold the delimiter `|`: a line with more fields than its header is read
 * only when the job name is the last field and the only free text (Open XDMoD's order): the extra fields are its own.
 */
const FREE_TEXT = new Set("admincomment comment constraints container extra jobname stderr stdin stdout submitline systemcomment wckey workdir".split(" "));

/** Where each field is in the lines of a dump, from its header or Open XDMoD's order. */
export interface Layout {
  /** Lowercase field name → its index (the first, if the header names a field twice). */
  index: Map<string, number>;
  /** Fields a line holds. */
  count: number;
  /** Whether a line with more fields than `count` has a job name holding `|`. */
  nameHoldsRest: boolean;
  /** `sacct --parsable` (not `--parsable2`): each line ends with a `|` more. */
  trailingDelimiter: boolean;
  /** Whether the layout comes from a header (else it is Open XDMoD's 26 fields). */
  fromHeader: boolean;
}

function layoutOf(names: readonly string[], fromHeader: boolean, trailingDelimiter: boolean): Layout {
  const index = new Map<string, number>();
  names.forEach((name, i) => index.has(name) || index.set(name, i));
  const last = names[names.length - 1];
  const nameHoldsRest = last === "jobname" && names.filter((name) => FREE_TEXT.has(name)).length === 1;
  return { index, count: names.length, nameHoldsRest, trailingDelimiter, fromHeader };
}

/** The layout of a dump without a header: Open XDMoD's 26 fields. */
export const XDMOD_LAYOUT = layoutOf(SACCT_FIELDS, false, false);

/**
 * The layout a header gives (`JobID|JobIDRaw|…`, any order, any case, with a `|` more at the end for
 * `sacct --parsable`); undefined when the line is not a header: a field is not a name sacct writes.
 */
export function headerLayout(fields: readonly string[]): Layout | undefined {
  const trailingDelimiter = fields.length > 1 && fields[fields.length - 1] === "";
  const names = trailingDelimiter ? fields.slice(0, -1) : fields;
  if (!names.every((name) => KNOWN_FIELDS.has(name.toLowerCase()))) return undefined;
  return layoutOf(
    names.map((name) => name.toLowerCase()),
    true,
    trailingDelimiter,
  );
}
