/**
 * `sticky`: weighted rendezvous (highest random weight) hashing of the client key. Each candidate
 * scores -w / ln(u), where u in (0, 1) is a hash of (client key, member address); the highest
 * score goes first, so member i wins for a share w_i / sum(w) of keys, and when a member dies or
 * comes back only the keys whose winner it is move. The member's address, not its position,
 * salts the hash, so changes elsewhere in the pool never move a key. The other records follow in
 * rotation order after the winner (n variants, as round-robin), so every variant pre-encodes.
 *
 * Cost per query: one FNV-1a pass over the key, then per candidate one 32-bit mix and, when the
 * weights differ, one Math.log: O(key length + members), no allocation. Fine for the few to few
 * dozen members a DNS pool has.
 */
import { fmix32, fnv1a32 } from './hash.js';
import type { Policy } from './policy.js';
import { rotations } from './rotations.js';

const TWO_POW_32 = 4294967296;

export const sticky: Policy = ({ pool, members, maxAnswers }) => {
  const n = members.length;
  const salts = new Uint32Array(n);
  const weights = new Float64Array(n);
  members.forEach((index, j) => {
    const member = pool.members[index];
    salts[j] = fmix32(fnv1a32(member?.address ?? ''));
    const w = member?.weight ?? 0;
    weights[j] = Number.isFinite(w) && w > 0 ? w : 0;
  });
  const total = weights.reduce((a, b) => a + b, 0);
  // Equal (or all zero) weights: the largest hash wins, no logarithm needed.
  const equal = total === 0 || weights.every((w) => w === weights[0]);

  const pick = equal
    ? (key: string) => {
        const h = fnv1a32(key);
        let best = 0;
        let bestScore = -1;
        for (let j = 0; j < n; j++) {
          const score = fmix32(h ^ (salts[j] ?? 0));
          if (score > bestScore) {
            bestScore = score;
            best = j;
          }
        }
        return best;
      }
    : (key: string) => {
        const h = fnv1a32(key);
        let best = 0;
        let bestScore = -1;
        for (let j = 0; j < n; j++) {
          const u = (fmix32(h ^ (salts[j] ?? 0)) + 0.5) / TWO_POW_32;
          const score = -(weights[j] ?? 0) / Math.log(u);
          if (score > bestScore) {
            bestScore = score;
            best = j;
          }
        }
        return best;
      };

  return {
    // Variant j starts with candidate j, so the winner's position is the variant index.
    variants: rotations(members, maxAnswers),
    pick: (ctx) => pick(ctx.clientKey),
    shares: Array.from(weights, (w) => (equal ? 1 / n : w / total)),
    clientDependent: true,
  };
};
