/**
 * Health views at a million targets (health/view.ts, docs/large-zones.md "A DNS node holding a
 * million targets' health"), in one process, no Redis: what a Redis reader's resync does (a view
 * committed per chunk of 100 new targets, to a million), then single-target changes among them,
 * then one commit of 10,000 changes. Prints the time in all and the slowest commit of each.
 *
 *   npm run build && node dist/bench/health-views.js [targets]
 */
import { HealthViews } from '../health/view.js';
import type { TargetHealth } from '../model/health.js';
import { targetHealth } from '../model/health.js';

const TARGETS = Number(process.argv[2] ?? 1_000_000);
const id = (i: number): string => `big.example.test./web/10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/80`;
const health = (state: TargetHealth['state'], since: number): TargetHealth => targetHealth({ state, latencyMs: 1, load: undefined, reason: 'tcp connect ok' }, since);

function timed(label: string, commits: number, step: (c: number) => void): void {
  const start = performance.now();
  let slowest = 0;
  for (let c = 0; c < commits; c++) {
    const t = performance.now();
    step(c);
    slowest = Math.max(slowest, performance.now() - t);
  }
  console.log(`${label}: ${(performance.now() - start).toFixed(0)} ms in all, slowest commit ${slowest.toFixed(1)} ms`);
}

const views = new HealthViews();
timed(`${(TARGETS / 100).toLocaleString('en')} commits of 100 new targets (a resync)`, TARGETS / 100, (c) => {
  for (let k = 0; k < 100; k++) views.set(id(c * 100 + k), health('up', 0));
  views.commit();
});
timed('3,000 commits of one changed target', 3000, (c) => {
  views.set(id((c * 7919) % TARGETS), health(c % 2 === 0 ? 'down' : 'up', c));
  views.commit();
});
timed('one commit of 10,000 changed targets', 1, () => {
  for (let k = 0; k < 10_000; k++) views.set(id((k * 104_729) % TARGETS), health('down', k));
  views.commit();
});
