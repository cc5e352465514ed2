/**
 * Rotations of a member list: variant r starts at member r and wraps, cut to `count` records.
 * With n members there are exactly n variants, so the DNS side can pre-encode every one.
 */
export function rotations(members: readonly number[], count: number): number[][] {
  const n = members.length;
  const size = Math.min(count, n);
  const variants: number[][] = [];
  for (let r = 0; r < n; r++) {
    // Sized up front: grown by push, a 10-member variant kept room for 17 (a pool's plan is kept
    // for every pool answered, 100,000 in a large zone).
    const variant = new Array<number>(size);
    for (let j = 0; j < size; j++) variant[j] = members[(r + j) % n] as number;
    variants.push(variant);
  }
  return variants;
}
