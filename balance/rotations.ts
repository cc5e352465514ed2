/**
 * Rotations of a member list: variant r starts at member r and wraps, cut to `count` records.
 * With n members there are exactly n variants, so the DNS side can pre-encode every one.
 */
export function rotations(members: readonly number[], count: number): number[][] {
  const n = members.length;
  const size = Math.min(count, n);
  const variants: number[][] = [];
  for (let r = 0; r < n; r++) {
    const variant: number[] = [];
    for (let j = 0; j < size; j++) variant.push(members[(r + j) % n] as number);
    variants.push(variant);
  }
  return variants;
}
