/** A source of uniform numbers in [0, 1). Policies take one so tests can seed them. */
export interface Random {
  next(): number;
}

/** Math.random behind the Random interface. */
export const systemRandom: Random = { next: () => Math.random() };

/** A small seeded generator (mulberry32): reproducible simulations and tests. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return {
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
