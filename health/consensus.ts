/**
 * Deciding one target's state from many checkers' verdicts. Pure: the time is passed in.
 *
 * Rules (the contract; docs and tests follow them):
 * 1. Only fresh verdicts count: `now < at + ttlMs`, where the Redis reader has already moved `at`
 *    onto its own clock from the verdict's age (measured by its checker's clock and Redis's TIME,
 *    see health/redis-reader.ts), so no two machines' clocks are ever compared.
 * 2. No fresh verdict → `unknown` (the pool's `unknown=` rule applies downstream).
 * 3. Fresh `unknown` verdicts (a checker still warming up its rise/fall) abstain. The voters are
 *    the fresh `up` and `down` verdicts; N = their number.
 * 4. Required votes q: `majority` → ⌊N/2⌋+1; `all` → N; a number k → k (absolute: with fewer
 *    than k voters nothing can be decided). Several quorums (a target shared by pools that
 *    disagree) → the largest q, i.e. the strictest wins.
 * 5. up if ups ≥ q and ups > downs; down if downs ≥ q and downs > ups.
 * 6. Otherwise (no quorum, or a tie) the previous decided state stays (sticky), or `unknown`
 *    if there was none. A state is never flipped by a minority.
 * Latency: the median of the fresh verdicts' latencies. Load: the maximum fresh load (the
 * conservative reading: least-loaded steers away from a backend that any recent reading saw busy).
 */
import type { TargetState, Verdict } from '../model/health.js';

export type Quorum = number | 'majority' | 'all';

export const DEFAULT_QUORUM: Quorum = 'majority';

export interface Consensus {
  readonly state: TargetState;
  readonly latencyMs: number | undefined;
  readonly load: number | undefined;
  readonly reason: string;
  /** Fresh verdicts saying up / down / unknown. */
  readonly ups: number;
  readonly downs: number;
  readonly abstains: number;
  /** Votes that were required (0 when nothing fresh). */
  readonly required: number;
  /** True when the state was kept from before for want of a quorum. */
  readonly sticky: boolean;
}

export function isFresh(verdict: Pick<Verdict, 'at' | 'ttlMs'>, nowMs: number): boolean {
  return nowMs < verdict.at + verdict.ttlMs;
}

/** Votes needed among `voters` fresh up/down verdicts. At least 1. */
export function requiredVotes(quorum: Quorum | readonly Quorum[], voters: number): number {
  const list: readonly Quorum[] = Array.isArray(quorum) ? quorum : [quorum as Quorum];
  let q = 1;
  for (const rule of list.length > 0 ? list : [DEFAULT_QUORUM]) {
    const need = rule === 'majority' ? Math.floor(voters / 2) + 1 : rule === 'all' ? voters : Math.floor(rule);
    q = Math.max(q, need);
  }
  return q;
}

/** Parses `N`, `majority` or `all` (the zone grammar's `quorum=`). */
export function parseQuorum(text: string): Quorum | undefined {
  if (text === 'majority' || text === 'all') return text;
  if (/^[1-9]\d{0,3}$/.test(text)) return Number(text);
  return undefined;
}

export function describeQuorum(quorum: Quorum | readonly Quorum[]): string {
  const list: readonly Quorum[] = Array.isArray(quorum) ? quorum : [quorum as Quorum];
  return list.length === 0 ? String(DEFAULT_QUORUM) : list.map(String).join('+');
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function decideConsensus(
  verdicts: readonly Verdict[],
  quorum: Quorum | readonly Quorum[],
  nowMs: number,
  previous: TargetState = 'unknown',
): Consensus {
  const fresh = verdicts.filter((v) => isFresh(v, nowMs));
  let ups = 0;
  let downs = 0;
  const latencies: number[] = [];
  let load: number | undefined;
  for (const v of fresh) {
    if (v.state === 'up') ups++;
    else if (v.state === 'down') downs++;
    if (v.latencyMs !== undefined && Number.isFinite(v.latencyMs)) latencies.push(v.latencyMs);
    if (v.load !== undefined && Number.isFinite(v.load)) load = load === undefined ? v.load : Math.max(load, v.load);
  }
  const abstains = fresh.length - ups - downs;
  const latencyMs = median(latencies);
  if (fresh.length === 0) {
    return { state: 'unknown', latencyMs, load, reason: 'no fresh verdict', ups, downs, abstains, required: 0, sticky: false };
  }
  const required = requiredVotes(quorum, ups + downs);
  let state: TargetState | undefined;
  if (ups >= required && ups > downs) state = 'up';
  else if (downs >= required && downs > ups) state = 'down';
  if (state !== undefined) {
    return { state, latencyMs, load, reason: agreeingReason(fresh, state, ups + downs), ups, downs, abstains, required, sticky: false };
  }
  const reason = `no quorum (${ups} up, ${downs} down, ${required} needed)`;
  return { state: previous, latencyMs, load, reason, ups, downs, abstains, required, sticky: previous !== 'unknown' };
}

/** `2/3 checkers: HTTP 200` — the newest reason among the verdicts that carried the decision. */
function agreeingReason(fresh: readonly Verdict[], state: TargetState, voters: number): string {
  let newest: Verdict | undefined;
  let count = 0;
  for (const v of fresh) {
    if (v.state !== state) continue;
    count++;
    if (newest === undefined || v.at > newest.at) newest = v;
  }
  return `${count}/${voters} checkers: ${newest?.reason ?? state}`;
}

/** The parts of a zone that decide quorums (structurally a `Zone`; health does not import zones/). */
export interface QuorumSource {
  readonly pools: readonly {
    readonly config: { readonly quorum: Quorum };
    readonly members: readonly { readonly targetId: string | undefined }[];
  }[];
}

/**
 * Each checked target's quorums, from every pool that uses it. A store applies the strictest
 * (the largest number of required votes) — see `requiredVotes`.
 */
export function targetQuorums(zones: readonly QuorumSource[]): { id: string; quorum: readonly Quorum[] }[] {
  // Almost every target has one quorum, and most share it: one list per distinct quorum, not a set
  // and a list per target (a million targets in a zone of 100,000 checked pools).
  const single = new Map<Quorum, readonly Quorum[]>();
  const listOf = (q: Quorum): readonly Quorum[] => {
    let list = single.get(q);
    if (list === undefined) {
      list = [q];
      single.set(q, list);
    }
    return list;
  };
  const byTarget = new Map<string, readonly Quorum[]>();
  for (const zone of zones) {
    for (const pool of zone.pools) {
      const q = pool.config.quorum;
      for (const member of pool.members) {
        if (member.targetId === undefined) continue;
        const known = byTarget.get(member.targetId);
        if (known === undefined) byTarget.set(member.targetId, listOf(q));
        else if (!known.includes(q)) byTarget.set(member.targetId, [...known, q]);
      }
    }
  }
  return [...byTarget].map(([id, quorum]) => ({ id, quorum }));
}
