import { describe, expect, it } from 'vitest';
import { advance, INITIAL_TRACK, LATENCY_ALPHA, type HealthTrack } from '../../../checks/hysteresis.js';
import type { ProbeResult } from '../../../checks/types.js';
import type { TargetState } from '../../../model/health.js';

const OK: ProbeResult = { ok: true, latencyMs: 10 };
const FAIL: ProbeResult = { ok: false, latencyMs: 500, reason: 'timeout after 500ms' };

/** Runs a string of results ('+' success, '-' failure) and returns the state after each. */
function states(sequence: string, rise: number, fall: number, start: HealthTrack = INITIAL_TRACK): TargetState[] {
  let track = start;
  return [...sequence].map((c) => {
    track = advance(track, c === '+' ? OK : FAIL, { rise, fall }).track;
    return track.state;
  });
}

describe('hysteresis', () => {
  it.each([
    // sequence, rise, fall, states after each result
    ['+', 1, 1, ['up']],
    ['-', 1, 1, ['down']],
    ['++', 2, 3, ['unknown', 'up']],
    ['---', 2, 3, ['unknown', 'unknown', 'down']],
    ['+-+-+-', 2, 2, ['unknown', 'unknown', 'unknown', 'unknown', 'unknown', 'unknown']],
    ['++-+--', 2, 2, ['unknown', 'up', 'up', 'up', 'up', 'down']],
    ['++---++', 2, 3, ['unknown', 'up', 'up', 'up', 'down', 'down', 'up']],
    ['--+-+++', 3, 2, ['unknown', 'down', 'down', 'down', 'down', 'down', 'up']],
    ['+++++', 3, 2, ['unknown', 'unknown', 'up', 'up', 'up']],
  ] as const)('%s with rise=%i fall=%i', (sequence, rise, fall, expected) => {
    expect(states(sequence, rise, fall)).toEqual(expected);
  });

  it('reports a transition only on the result that changes the state', () => {
    let track = INITIAL_TRACK;
    const transitions: string[] = [];
    for (const c of '++--++--') {
      const step = advance(track, c === '+' ? OK : FAIL, { rise: 2, fall: 2 });
      if (step.transition) transitions.push(`${step.transition.from}->${step.transition.to}`);
      track = step.track;
    }
    expect(transitions).toEqual(['unknown->up', 'up->down', 'down->up', 'up->down']);
  });

  it('smooths latency of successes only (EWMA) and keeps the last load', () => {
    let track = advance(INITIAL_TRACK, { ok: true, latencyMs: 10, load: 5 }, { rise: 1, fall: 1 }).track;
    expect(track.latencyMs).toBe(10);
    track = advance(track, { ok: true, latencyMs: 20, load: 7 }, { rise: 1, fall: 1 }).track;
    expect(track.latencyMs).toBeCloseTo(LATENCY_ALPHA * 20 + (1 - LATENCY_ALPHA) * 10);
    expect(track.load).toBe(7);
    const afterFailure = advance(track, FAIL, { rise: 1, fall: 3 }).track;
    expect(afterFailure.latencyMs).toBe(track.latencyMs);
    expect(afterFailure.load).toBe(7);
    expect(afterFailure.reason).toBe('timeout after 500ms');
  });

  it('keeps the counters bounded however long a streak lasts', () => {
    let track = INITIAL_TRACK;
    for (let i = 0; i < 1000; i += 1) track = advance(track, OK, { rise: 3, fall: 2 }).track;
    expect(track).toMatchObject({ state: 'up', successes: 3, failures: 0, reason: 'ok' });
  });

  it('treats rise/fall below 1 as 1', () => {
    expect(states('+-', 0, 0)).toEqual(['up', 'down']);
  });
});
