/** Why a line of a Slurm file is skipped: fixed texts, holding nothing read from the file. */
export type SlurmReason = "placeholder: replace with the slurm adapter's reasons";
