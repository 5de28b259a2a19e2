/** Flux's F58 digits (base 58 without 0, O, I and l), in value order. */
const F58_DIGITS = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const F58 = /^[ƒf]([1-9A-HJ-NP-Za-km-z]{1,12})$/u;
const MAX_JOB_ID = 2n ** 64n - 1n;

/**
 * A Flux job id (a 64-bit FLUID, RFC 19) as decimal text, as job-list and flux-accounting write it: from an integer,
 * decimal digits, or the F58 text `flux jobs` prints (`ƒ2ARxLQf`, or `f2ARxLQf` in a non-UTF-8 locale). Undefined
 * when it is none of these or exceeds 64 bits.
 */
export function decimalJobId(value: unknown): string | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
  if (typeof value !== "string") return undefined;
  let id = 0n;
  if (/^\d{1,20}$/.test(value)) id = BigInt(value);
  else {
    const digits = F58.exec(value)?.[1];
    if (digits === undefined) return undefined;
    for (const digit of digits) id = id * 58n + BigInt(F58_DIGITS.indexOf(digit));
  }
  return id <= MAX_JOB_ID ? id.toString() : undefined;
}
