import { describe, expect, it } from 'vitest';
import { decodeMessage, decodeOverride, decodeVerdictField, encodeMessage, encodeOverride, encodeVerdictField } from '../../../health/codec.js';
import type { Verdict } from '../../../model/health.js';

const verdict: Verdict = { targetId: 't1', checker: 'c1', state: 'down', latencyMs: 12.5, load: undefined, reason: 'HTTP 503', at: 1000, ttlMs: 3000 };

describe('verdict codec', () => {
  it('round-trips a verdict through the hash field', () => {
    const text = encodeVerdictField(verdict);
    expect(JSON.parse(text)).not.toHaveProperty('targetId');
    expect(decodeVerdictField('t1', 'c1', text)).toEqual(verdict);
  });

  it.each([
    ['not json', '{'],
    ['an array', '[]'],
    ['a bad state', JSON.stringify({ state: 'sideways', at: 1, ttlMs: 1 })],
    ['no ttl', JSON.stringify({ state: 'up', at: 1 })],
    ['a zero ttl', JSON.stringify({ state: 'up', at: 1, ttlMs: 0 })],
    ['a string time', JSON.stringify({ state: 'up', at: '1', ttlMs: 5 })],
  ])('rejects %s', (_what, text) => {
    expect(decodeVerdictField('t1', 'c1', text)).toBeUndefined();
  });

  it('round-trips messages and drops malformed verdicts inside them', () => {
    const message = { kind: 'verdicts' as const, verdicts: [verdict] };
    expect(decodeMessage(encodeMessage(message))).toEqual(message);
    expect(decodeMessage(JSON.stringify({ kind: 'verdicts', verdicts: [verdict, { targetId: 'x' }] }))).toEqual(message);
    const override = { kind: 'override' as const, scope: { kind: 'member' as const, pool: 'www.example.test.', address: '192.0.2.10' }, override: null };
    expect(decodeMessage(encodeMessage(override))).toEqual(override);
    expect(decodeMessage(JSON.stringify({ kind: 'override', scope: { kind: 'target' }, override: null }))).toBeUndefined();
    expect(decodeMessage('"hello"')).toBeUndefined();
  });

  it('round-trips overrides', () => {
    const o = { kind: 'drain' as const, at: 5, expiresAt: 65, reason: 'maintenance', by: 'ops' };
    expect(decodeOverride(encodeOverride(o))).toEqual(o);
    expect(decodeOverride(JSON.stringify({ kind: 'pause', at: 1 }))).toBeUndefined();
  });
});
