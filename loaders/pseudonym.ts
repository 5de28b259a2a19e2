import { createHmac, randomBytes } from "node:crypto";

export const PSEUDONYM_KEY_VARIABLE = "ACCOUNTING_PSEUDONYM_KEY";

export interface PseudonymKey {
  key: string;
  /** True when no key was configured: pseudonyms then change from one run to the next. */
  random: boolean;
}

export function pseudonymKeyFrom(env: Record<string, string | undefined>): PseudonymKey {
  const key = env[PSEUDONYM_KEY_VARIABLE];
  return key ? { key, random: false } : { key: randomBytes(32).toString("hex"), random: true };
}

/** A keyed hash of an owner id: stable for one key, not reversible nor guessable without it. */
export function pseudonym(key: string, owner: string): string {
  return `user-${createHmac("sha256", key).update(owner).digest("hex").slice(0, 12)}`;
}
