/**
 * Smooth weighted round robin (nginx, ngx_http_upstream_get_peer): on each pick every member's
 * `current` grows by its weight, the largest `current` wins (first one on a tie) and the winner's
 * `current` drops by the total. After sum(weights) picks every `current` is back to 0, so the
 * sequence repeats with period sum(weights) and member i appears exactly w_i times per period,
 * spread out (weights 3 and 5 give B A B A B B A B, never A A A B B B B B).
 */
export function swrrSequence(weights: readonly number[]): Uint32Array {
  const k = weights.length;
  const total = weights.reduce((a, b) => a + b, 0);
  const current = new Float64Array(k);
  const sequence = new Uint32Array(total);
  for (let step = 0; step < total; step++) {
    let best = 0;
    for (let i = 0; i < k; i++) {
      current[i] = (current[i] ?? 0) + (weights[i] ?? 0);
      if ((current[i] ?? 0) > (current[best] ?? 0)) best = i;
    }
    current[best] = (current[best] ?? 0) - total;
    sequence[step] = best;
  }
  return sequence;
}
