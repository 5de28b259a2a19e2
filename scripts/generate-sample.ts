import { rm } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateArchive, resolveArchiveOptions, type ArchiveOptions, type Layout } from "./archive-generator.js";

const USAGE = "usage: generate-sample.ts [--out DIR] [--days N] [--seed N] [--snapshot-hours N] [--layout flat|nested|mixed] [--jobs-per-namespace N]";

class UsageError extends Error {}

function numberOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new UsageError(`--${name} ${JSON.stringify(text)} is not a number`);
  return value;
}

function parseCommandLine(args: string[]): { out: string; options: Partial<ArchiveOptions> } {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      out: { type: "string", default: "data/sample" },
      days: { type: "string" },
      seed: { type: "string" },
      "snapshot-hours": { type: "string" },
      layout: { type: "string" },
      "jobs-per-namespace": { type: "string" },
    },
  });
  return {
    out: values.out,
    options: {
      days: numberOption("days", values.days),
      seed: numberOption("seed", values.seed),
      snapshotHours: numberOption("snapshot-hours", values["snapshot-hours"]),
      layout: values.layout as Layout | undefined,
      jobsPerNamespace: numberOption("jobs-per-namespace", values["jobs-per-namespace"]),
    },
  };
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

async function main(): Promise<void> {
  let out: string;
  let options: ArchiveOptions;
  try {
    const parsed = parseCommandLine(process.argv.slice(2));
    out = parsed.out;
    options = resolveArchiveOptions(parsed.options);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof RangeError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))) throw error;
    process.stderr.write(`generate-sample: ${(error as Error).message} (${USAGE})\n`);
    process.exitCode = 2;
    return;
  }
  await rm(join(out, "snapshots"), { recursive: true, force: true });
  await rm(join(out, "users"), { recursive: true, force: true });
  const summary = await generateArchive(out, options);
  console.log(
    `${out}: ${summary.snapshots} snapshots from ${summary.first} to ${summary.last}, ${summary.jobs} jobs, ${megabytes(summary.bytes)} (${summary.bytes} bytes)`,
  );
}

await main();
