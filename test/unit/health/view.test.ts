import { describe, expect, it } from 'vitest';
import { healthView, nextHealthView } from '../../../health/view.js';
import type { HealthView, TargetHealth } from '../../../model/health.js';

const health = (state: TargetHealth['state'], since: number): TargetHealth => ({ state, latencyMs: undefined, load: undefined, reason: '', since });

describe('layered health views', () => {
  it('keeps every earlier view unchanged while later views overlay and compact', () => {
    const all = new Map<string, TargetHealth>();
    for (let i = 0; i < 2000; i++) all.set(`t${i}`, health('up', 0));
    const views: HealthView[] = [healthView(0, all)];
    const expected: Map<string, TargetHealth>[] = [new Map(all)];
    // 300 single-target changes: more than enough to force several compactions (√2000 ≈ 45).
    for (let step = 1; step <= 300; step++) {
      const id = `t${(step * 7) % 2000}`;
      all.set(id, health(step % 2 === 0 ? 'up' : 'down', step));
      views.push(nextHealthView(views[views.length - 1]!, [id], all));
      expected.push(new Map(all));
    }
    views.forEach((view, i) => {
      expect(view.version).toBe(i);
      for (const id of ['t0', 't7', 't14', 't700', 't1999']) expect(view.get(id)).toBe(expected[i]!.get(id));
    });
    expect(views[0]!.get('nope')).toBeUndefined();
  });
});
