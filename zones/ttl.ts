/** TTLs as BIND writes them: `300`, `1h30m`, `2w`, `1D` (units s m h d w, case-insensitive). */

/** RFC 2181 §8: TTLs are unsigned 32-bit values whose top bit must be zero. */
export const MAX_TTL = 2 ** 31 - 1;

const UNIT_SECONDS: Record<number, number> = {
  115: 1, // s
  109: 60, // m
  104: 3600, // h
  100: 86_400, // d
  119: 604_800, // w
};

/**
 * Seconds, or -1 when the text is not a TTL. Values above MAX_TTL are returned as they are so the
 * caller can report the range separately; a bare number is seconds.
 */
export function parseTtl(text: string): number {
  const n = text.length;
  if (n === 0) return -1;
  let total = 0;
  let value = 0;
  let digits = 0;
  let units = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
      if (digits > 12) return -1;
    } else {
      const factor = UNIT_SECONDS[c | 0x20];
      if (factor === undefined || digits === 0) return -1;
      total += value * factor;
      value = 0;
      digits = 0;
      units++;
    }
  }
  if (digits > 0) {
    // A trailing number without a unit is only allowed as the whole TTL.
    if (units > 0) return -1;
    total = value;
  }
  return total;
}
