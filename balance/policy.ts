/**
 * What every policy file implements: given the members that may be answered (already filtered by
 * liveness, backups and the all-down rule), produce the variants and the per-query pick.
 */
import type { HealthView } from '../model/health.js';
import type { Pool } from '../model/zone.js';
import type { PickContext } from './types.js';

export interface PolicyInput {
  readonly pool: Pool;
  readonly health: HealthView;
  /** Indices into pool.members that may be answered, in pool order. Never empty. */
  readonly members: readonly number[];
  /** Upper bound on records per answer (`Infinity` for `answers=all`); at least 1. */
  readonly maxAnswers: number;
}

export interface PolicyPlan {
  /** Member indices (into pool.members) per variant, in answer order; each list non-empty. */
  readonly variants: readonly (readonly number[])[];
  /** Cheap per query: no allocation, O(1) or O(members). */
  readonly pick: (ctx: PickContext) => number;
  /** Expected long-run fraction of answers per variant; sums to 1. */
  readonly shares: readonly number[];
  readonly clientDependent: boolean;
}

export type Policy = (input: PolicyInput) => PolicyPlan;

/** `seq mod length`, never negative (the counter is the caller's and may be any integer). */
export function cycleIndex(seq: number, length: number): number {
  const i = seq % length;
  return i < 0 ? i + length : i;
}

/** A uniform index in [0, length) from a number in [0, 1); guards a source that returns 1. */
export function uniformIndex(r: number, length: number): number {
  const i = Math.floor(r * length);
  return i >= length ? length - 1 : i;
}

export function uniformShares(length: number): number[] {
  return new Array<number>(length).fill(1 / length);
}
