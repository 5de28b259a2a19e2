/** Why a line of a Grid Engine accounting file is skipped: fixed texts, holding nothing read from the file. */
export type SgeReason =
  | "a line with fewer fields than any Grid Engine accounting layout"
  | "a line whose fields after the category match no Grid Engine accounting layout"
  | "a job number or array task number that is not a whole number"
  | "a slot count that is not a whole number"
  | "a failure code or exit status that is not a whole number"
  | "a time that is not a whole number of seconds or milliseconds since 2000"
  | "a job that ends before it starts";
