/** Why a line of a Flux file, or a job in it, is skipped: fixed texts, holding nothing read from the file. */
export type FluxReason =
  | "a line that is not valid JSON"
  | "a line that is not a JSON object"
  | "a job record without a valid job id"
  | "a job record without its user (username or userid)"
  | "a field of the wrong type"
  | "an unknown state or result"
  | "a time before 2000 or too large"
  | "an R or jobspec that is not valid JSON"
  | "an R that is not an RFC 20 resource set"
  | "an inactive job without its end (t_inactive)"
  | "a job that ends before it starts";
