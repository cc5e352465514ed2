import { describe, expect, it } from 'vitest';
import { HealthListeners, HealthViews, healthView, nextHealthView } from '../../../health/view.js';
import type { HealthChange, HealthView, TargetHealth } from '../../../model/health.js';
import { captureLogs } from '../../integration/health/fixture.js';

const health = (state: TargetHealth['state'], since: number): TargetHealth => ({ state, latencyMs: undefined, load: undefined, reason: '', since });

describe('sharded health views', () => {
  it('keeps every earlier view unchanged while later views copy the shards their changes fall in', () => {
    const all = new Map<string, TargetHealth>();
    for (let i = 0; i < 2000; i++) all.set(`t${i}`, health('up', 0));
    const views: HealthView[] = [healthView(0, all)];
    const expected: Map<string, TargetHealth>[] = [new Map(all)];
    // 300 single-target changes, several in the same shards.
    for (let step = 1; step <= 300; step++) {
      const id = `t${(step * 7) % 2000}`;
      // Every tenth step removes the target (a target nothing holds any more leaves the view).
      if (step % 10 === 0) all.delete(id);
      else all.set(id, health(step % 2 === 0 ? 'up' : 'down', step));
      views.push(nextHealthView(views[views.length - 1]!, [id], all));
      expected.push(new Map(all));
    }
    views.forEach((view, i) => {
      expect(view.version).toBe(i);
      for (const id of ['t0', 't7', 't14', 't70', 't700', 't1999']) expect(view.get(id)).toBe(expected[i]!.get(id));
    });
    expect(views[0]!.get('nope')).toBeUndefined();
  });
});

describe('HealthViews (shared by the memory store, the Redis reader and the IPC source)', () => {
  it('commits a step as one view and one notification, keeps earlier views, and drops removed targets', () => {
    const views = new HealthViews();
    const changes: HealthChange[] = [];
    views.subscribe((c) => changes.push(c));
    for (let i = 0; i < 100; i++) views.set(`t${i}`, health('up', 0));
    const first = views.commit();
    expect(first?.view.version).toBe(1);
    expect(changes).toHaveLength(1);
    expect(views.commit()).toBeUndefined(); // nothing changed: no view, no notification
    views.set('t5', health('down', 1));
    views.delete('t6');
    expect(views.setMember('WWW.Example.TEST', '192.0.2.1', 'drain')).toBe(true);
    expect(views.setMember('www.example.test.', '192.0.2.1', 'drain')).toBe(false);
    const second = views.commit()!;
    expect([...second.changed].sort()).toEqual(['t5', 't6']);
    expect(second.changedMembers).toEqual([{ pool: 'www.example.test.', address: '192.0.2.1' }]);
    expect(second.view.get('t5')?.state).toBe('down');
    expect(second.view.get('t6')).toBeUndefined();
    expect(second.view.member?.('www.example.test.', '192.0.2.1')).toBe('drain');
    // The earlier view is untouched.
    expect(first?.view.get('t5')?.state).toBe('up');
    expect(first?.view.get('t6')?.state).toBe('up');
    expect(first?.view.member?.('www.example.test.', '192.0.2.1')).toBeUndefined();
  });

  it('a failing listener is logged and the others still hear', () => {
    const logs = captureLogs();
    const listeners = new HealthListeners(logs.logger);
    const heard: number[] = [];
    listeners.subscribe(() => {
      throw new Error('boom');
    });
    listeners.subscribe((c) => heard.push(c.view.version));
    listeners.notify({ view: { version: 7, get: () => undefined }, changed: [] });
    expect(heard).toEqual([7]);
    expect(logs.lines().some((l) => l.msg === 'health subscriber failed')).toBe(true);
  });
});
