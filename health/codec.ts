/**
 * What Rondo stores in Redis and sends on the change channel, and the checks applied when
 * reading it back (another version, or a hand-edited key, must not crash a DNS server).
 */
import type { OverrideScope } from './keys.js';
import type { OverrideKind, TargetState, Verdict } from '../model/health.js';

export type { OverrideKind };
export const OVERRIDE_KINDS: readonly OverrideKind[] = ['drain', 'force-up', 'force-down'];

/** An operator override as stored at `{prefix}:o:…`. */
export interface OverrideRecord {
  readonly kind: OverrideKind;
  /** Epoch milliseconds when it was set. */
  readonly at: number;
  /** Epoch milliseconds when it lapses (Redis also expires the key), or undefined for never. */
  readonly expiresAt: number | undefined;
  readonly reason: string | undefined;
  /** Who set it (node id or user), for `rondo status`. */
  readonly by: string | undefined;
}

/**
 * A verdict as read back from Redis or a change message, with what lets a reader judge its age
 * without comparing clocks: `ageMs` (messages: how old it was, by its checker's own clock, when
 * it was sent) or `rt` (hash fields: Redis's own TIME when it was written, minus that age).
 */
export interface StampedVerdict extends Verdict {
  readonly ageMs?: number | undefined;
  readonly rt?: number | undefined;
}

/** Messages on `{prefix}:changes`. Verdict messages carry the verdicts, so readers need no round trip. */
export type ChangeMessage =
  | { readonly kind: 'verdicts'; readonly verdicts: readonly StampedVerdict[] }
  | { readonly kind: 'override'; readonly scope: OverrideScope; readonly override: OverrideRecord | null };

const STATES: readonly TargetState[] = ['up', 'down', 'unknown'];

/** The hash field value: the verdict without `targetId` and `checker`, which are the key and field. */
export function encodeVerdictField(v: Verdict): string {
  return JSON.stringify({ state: v.state, latencyMs: v.latencyMs, load: v.load, reason: v.reason, at: v.at, ttlMs: v.ttlMs });
}

export function decodeVerdictField(targetId: string, checker: string, text: string): StampedVerdict | undefined {
  const raw = parseJson(text);
  if (raw === undefined) return undefined;
  // The parsed object is ours: named in place rather than copied (a resync decodes every field).
  raw.targetId = targetId;
  raw.checker = checker;
  return verdictFrom(raw);
}

export function encodeOverride(o: OverrideRecord): string {
  return JSON.stringify(o);
}

export function decodeOverride(text: string): OverrideRecord | undefined {
  const raw = parseJson(text);
  return raw === undefined ? undefined : overrideFrom(raw);
}

export function encodeMessage(m: ChangeMessage): string {
  return JSON.stringify(m);
}

export function decodeMessage(text: string): ChangeMessage | undefined {
  const raw = parseJson(text);
  if (raw === undefined) return undefined;
  if (raw.kind === 'verdicts' && Array.isArray(raw.verdicts)) {
    const verdicts: StampedVerdict[] = [];
    for (const item of raw.verdicts as unknown[]) {
      const v = isRecord(item) ? verdictFrom(item) : undefined;
      if (v !== undefined) verdicts.push(v);
    }
    return { kind: 'verdicts', verdicts };
  }
  if (raw.kind === 'override' && isRecord(raw.scope)) {
    const scope = scopeFrom(raw.scope);
    if (scope === undefined) return undefined;
    if (raw.override === null) return { kind: 'override', scope, override: null };
    const override = isRecord(raw.override) ? overrideFrom(raw.override) : undefined;
    return override === undefined ? undefined : { kind: 'override', scope, override };
  }
  return undefined;
}

/** A verdict for a change message: its age by the checker's clock at `now` (the checker's clock too). */
export function announcedVerdict(v: Verdict, now: number): StampedVerdict {
  return { ...v, ageMs: Math.max(0, now - v.at) };
}

function verdictFrom(raw: Record<string, unknown>): StampedVerdict | undefined {
  const { targetId, checker, state, latencyMs, load, reason, at, ttlMs, ageMs, rt } = raw;
  if (typeof targetId !== 'string' || targetId === '' || typeof checker !== 'string' || checker === '') return undefined;
  if (!STATES.includes(state as TargetState)) return undefined;
  if (!isFiniteNumber(at) || !isFiniteNumber(ttlMs) || ttlMs <= 0) return undefined;
  return {
    targetId,
    checker,
    state: state as TargetState,
    latencyMs: isFiniteNumber(latencyMs) ? latencyMs : undefined,
    load: isFiniteNumber(load) ? load : undefined,
    reason: typeof reason === 'string' ? reason : '',
    at,
    ttlMs,
    ...(isFiniteNumber(ageMs) ? { ageMs } : {}),
    ...(isFiniteNumber(rt) ? { rt } : {}),
  };
}

function overrideFrom(raw: Record<string, unknown>): OverrideRecord | undefined {
  const { kind, at, expiresAt, reason, by } = raw;
  if (!OVERRIDE_KINDS.includes(kind as OverrideKind) || !isFiniteNumber(at)) return undefined;
  return {
    kind: kind as OverrideKind,
    at,
    expiresAt: isFiniteNumber(expiresAt) ? expiresAt : undefined,
    reason: typeof reason === 'string' ? reason : undefined,
    by: typeof by === 'string' ? by : undefined,
  };
}

function scopeFrom(raw: Record<string, unknown>): OverrideScope | undefined {
  if (raw.kind === 'target' && typeof raw.targetId === 'string' && raw.targetId !== '') {
    return { kind: 'target', targetId: raw.targetId };
  }
  if (raw.kind === 'member' && typeof raw.pool === 'string' && typeof raw.address === 'string' && raw.pool !== '' && raw.address !== '') {
    return { kind: 'member', pool: raw.pool, address: raw.address };
  }
  return undefined;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
