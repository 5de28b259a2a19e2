/** Why a line of a Flux file is skipped: fixed texts, holding nothing read from the file. */
export type FluxReason = "placeholder: replace with the flux adapter's reasons";
