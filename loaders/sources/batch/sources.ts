import type { BatchSource } from "./records.js";
import { fluxSource } from "../flux/source.js";
import { sgeSource } from "../sge/source.js";
import { slurmSource } from "../slurm/source.js";

/** Every batch scheduler an archive can hold, each in its folder: `slurm/`, `sge/`, `flux/`. */
export const BATCH_SOURCES: readonly BatchSource[] = [slurmSource, sgeSource, fluxSource];
