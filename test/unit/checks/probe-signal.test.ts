import { afterEach, describe, expect, it, vi } from 'vitest';
import { abortReason } from '../../../checks/abort-reason.js';
import { probeSignal } from '../../../checks/probe-signal.js';
import { checkTarget } from '../../helpers/check-targets.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('probeSignal', () => {
  it('aborts at the deadline with a TimeoutError, one shared reason per timeout value', () => {
    vi.useFakeTimers();
    const a = probeSignal([], 250);
    const b = probeSignal([], 250);
    const c = probeSignal([], 400);
    vi.advanceTimersByTime(249);
    expect(a.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(a.signal.aborted && b.signal.aborted).toBe(true);
    expect(a.signal.reason).toBeInstanceOf(DOMException);
    expect((a.signal.reason as DOMException).name).toBe('TimeoutError');
    // Made once, not per probe: a thousand probes timing out together make no new objects.
    expect(b.signal.reason).toBe(a.signal.reason);
    vi.advanceTimersByTime(150);
    expect((c.signal.reason as DOMException).message).toBe('timeout after 400ms');
    expect(abortReason(a.signal, checkTarget('tcp', { address: '127.0.0.1' }, { timeoutMs: 250 }))).toBe('timeout after 250ms');
  });

  it('aborts with the reason given to abort() or a parent, and not at the deadline once disposed', () => {
    vi.useFakeTimers();
    const direct = probeSignal([], 100);
    direct.abort(new Error('target removed'));
    expect(direct.signal.reason).toEqual(new Error('target removed'));
    expect(abortReason(direct.signal, checkTarget('tcp', { address: '127.0.0.1' }))).toBe('aborted');

    const parent = new AbortController();
    const child = probeSignal([parent.signal], 100);
    parent.abort(new Error('shutdown'));
    expect(child.signal.reason).toEqual(new Error('shutdown'));

    const disposed = probeSignal([], 100);
    disposed.dispose();
    vi.advanceTimersByTime(1000);
    expect(disposed.signal.aborted).toBe(false);
  });
});
