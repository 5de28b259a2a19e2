/** Why a line of a Sge file is skipped: fixed texts, holding nothing read from the file. */
export type SgeReason = "placeholder: replace with the sge adapter's reasons";
