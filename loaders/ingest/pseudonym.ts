import { createHmac, randomBytes } from "node:crypto";

import { VARIABLES } from "./environment.js";

/**
 * The shortest key taken: 32 hexadecimal digits, 128 bits of randomness. Owner ids can be guessed, and every published
 * pseudonym is a keyed hash of one: a shorter key could be found by trying keys against them.
 */
export const MIN_KEY_DIGITS = 32;

interface PseudonymKey {
  key: string;
  /** True when no key was configured: pseudonyms then change from one run to the next. */
  random: boolean;
}

/** A key too short or not hexadecimal: refused, with how to make one. */
export class WeakPseudonymKey extends Error {}

/** A new key: 64 hexadecimal digits from the system's random source (`accounting key`). */
export function newPseudonymKey(): string {
  return randomBytes(32).toString("hex");
}

/** The key `$ACCOUNTING_PSEUDONYM_KEY` gives (Environment's `pseudonymKey`), checked; a random one when unset. Throws WeakPseudonymKey. */
export function pseudonymKeyFrom(key: string | undefined): PseudonymKey {
  if (!key) return { key: newPseudonymKey(), random: true };
  if (!new RegExp(`^[0-9a-fA-F]{${MIN_KEY_DIGITS},}$`).test(key)) {
    throw new WeakPseudonymKey(
      `${VARIABLES.pseudonymKey} must be at least ${MIN_KEY_DIGITS} hexadecimal digits of randomness (it has ${key.length} characters${/^[0-9a-fA-F]*$/.test(key) ? "" : ", not all hexadecimal"}): \`accounting key\` makes one`,
    );
  }
  return { key, random: false };
}

/** A keyed hash of an owner id: stable for one key, not reversible nor guessable without it. */
export function pseudonym(key: string, owner: string): string {
  return `user-${createHmac("sha256", key).update(owner).digest("hex").slice(0, 12)}`;
}
