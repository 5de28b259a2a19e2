/**
 * Limits on the shape of a snapshot's JSON, checked on its bytes before it is parsed: JSON.parse of 15 MiB of nested
 * brackets, or of millions of empty arrays, takes 400 to 800 MB and seconds. A real snapshot nests 5 levels deep and
 * holds an array or object per 100 bytes or so.
 */
export const MAX_DEPTH = 64;
/** At most one array or object per this many bytes. */
export const BYTES_PER_CONTAINER = 16;
/** Smaller files are parsed unchecked: at worst they hold so few arrays and objects that parsing them stays cheap. */
export const CHECKED_FROM_BYTES = 1024 * 1024;

/** Why a file is refused before it is parsed: texts with no byte of the file in them. */
export type ShapeReason = typeof TOO_DEEP | typeof TOO_MANY;
const TOO_DEEP = `arrays and objects nested more than ${MAX_DEPTH} levels deep` as const;
const TOO_MANY = `more than one array or object per ${BYTES_PER_CONTAINER} bytes` as const;

/**
 * Why JSON text is too deeply nested or holds too many arrays and objects to parse, read from its bytes without
 * parsing (brackets inside strings do not count); undefined when it is within the limits or small enough not to check.
 * No byte of the text is in the reason.
 */
export function pathologicalJson(bytes: Uint8Array): ShapeReason | undefined {
  if (bytes.length < CHECKED_FROM_BYTES) return undefined;
  const maxContainers = Math.floor(bytes.length / BYTES_PER_CONTAINER);
  let depth = 0;
  let containers = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte === 0x22) {
      // A string: skip to its closing quote, past escaped characters.
      for (i++; i < bytes.length; i++) {
        const inside = bytes[i] as number;
        if (inside === 0x5c) i++;
        else if (inside === 0x22) break;
      }
    } else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > MAX_DEPTH) return TOO_DEEP;
      if (++containers > maxContainers) return TOO_MANY;
    } else if (byte === 0x5d || byte === 0x7d) {
      depth--;
    }
  }
  return undefined;
}
