/** Why a line of a Slurm dump (`sacct --parsable2`) is skipped: fixed texts, holding nothing read from the file. */
export type SlurmReason =
  | "a line whose field count differs from its header's"
  | "a line without a header whose field count is not the 26 of Open XDMoD's format"
  | "a dump whose header lacks a field the records need"
  | "a job id that is not a Slurm job id"
  | "a job without an account"
  | "a job without a user"
  | "a time that is not YYYY-MM-DDTHH:MM:SS"
  | "a state that is not a Slurm job state word"
  | "a count of CPUs or nodes that is not a whole number"
  | "an AllocTRES that is not a list of name=count"
  | "a ReqMem that is not a memory size"
  | "a job that ends before it starts"
  | "a job still running in a file named before it started";
