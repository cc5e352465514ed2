/**
 * Issue 6, health across `--workers N`: the primary's HealthBroadcaster turns its store's view and
 * changes into messages; a worker's IpcHealthSource rebuilds the same view from them (targets and
 * member overrides), tells its subscribers what changed, and start() waits for the whole view.
 */
import { describe, expect, it } from 'vitest';
import { HealthBroadcaster, IpcHealthSource, type HealthMessage, type WorkerMessage } from '../../../server/worker-health.js';
import type { HealthChange, HealthSource, HealthView, OverrideKind, TargetHealth } from '../../../model/health.js';
import { MemoryHealthStore } from '../../../health/memory-store.js';
import { manualClock } from '../../../lib/clock.js';
import { zoneFromText } from '../../helpers/dns-zones.js';

const ZONE = zoneFromText(`
$ORIGIN w.example.test.
$TTL 300
@ IN SOA ns1 hostmaster 1 7200 900 1209600 30
  IN NS ns1
ns1 IN A 192.0.2.53
;@check web tcp port=80
;@pool www check=web
www IN A 192.0.2.10
www IN A 192.0.2.11
plain IN A 192.0.2.20
plain IN A 192.0.2.21
`);
const [T10, T11] = ZONE.targets.map((t) => t.id);

function pair(): { store: MemoryHealthStore; clock: ReturnType<typeof manualClock>; worker: IpcHealthSource; sent: WorkerMessage[]; broadcaster: HealthBroadcaster } {
  const clock = manualClock(1_000_000);
  const store = new MemoryHealthStore({ clock, sweepIntervalMs: 0 });
  const sent: WorkerMessage[] = [];
  // Wired both ways, as the cluster's IPC channel does; the callbacks run after both exist.
  const worker: IpcHealthSource = new IpcHealthSource((m) => {
    sent.push(m);
    if (m.type === 'rondo:hello') worker.receive(broadcaster.full());
  });
  const broadcaster = new HealthBroadcaster(store, () => [ZONE], (m) => worker.receive(m));
  return { store, clock, worker, sent, broadcaster };
}

function verdict(store: MemoryHealthStore, now: number, targetId: string, state: 'up' | 'down'): void {
  store.publish({ targetId, checker: 'primary', state, latencyMs: 3, load: undefined, reason: state, at: now, ttlMs: 60_000 });
}

describe('worker health over IPC', () => {
  it('start() asks for the whole view and resolves with it in place', async () => {
    const { store, clock, worker, sent } = pair();
    verdict(store, clock.now(), T10!, 'down');
    await worker.start();
    expect(sent).toEqual([{ type: 'rondo:hello' }]);
    expect(worker.view().get(T10!)?.state).toBe('down');
    expect(worker.view().get(T11!)).toBeUndefined();
  });

  it('then follows every change, telling subscribers which targets changed', async () => {
    const { store, clock, worker } = pair();
    await worker.start();
    const changes: HealthChange[] = [];
    worker.subscribe((c) => changes.push(c));
    verdict(store, clock.now(), T11!, 'up');
    verdict(store, clock.now(), T11!, 'down');
    expect(changes.map((c) => c.changed)).toEqual([[T11], [T11]]);
    expect(worker.view().get(T11!)).toEqual(store.view().get(T11!));
  });

  it('carries member overrides, in the whole view and as changes', async () => {
    const overrides = new Map<string, OverrideKind>([['www.w.example.test. 192.0.2.10', 'drain']]);
    const listeners = new Set<(c: HealthChange) => void>();
    const view = (): HealthView => ({ version: 1, get: () => undefined, member: (pool, address) => overrides.get(`${pool} ${address}`) });
    const source: HealthSource = { view, subscribe: (l) => (listeners.add(l), () => listeners.delete(l)) };
    const worker: IpcHealthSource = new IpcHealthSource((m) => {
      if (m.type === 'rondo:hello') worker.receive(broadcaster.full());
    });
    const broadcaster = new HealthBroadcaster(source, () => [ZONE], (m: HealthMessage) => worker.receive(m));
    await worker.start();
    expect(worker.view().member?.('www.w.example.test.', '192.0.2.10')).toBe('drain');
    expect(worker.view().member?.('www.w.example.test.', '192.0.2.11')).toBeUndefined();

    const changes: HealthChange[] = [];
    worker.subscribe((c) => changes.push(c));
    overrides.delete('www.w.example.test. 192.0.2.10');
    overrides.set('plain.w.example.test. 192.0.2.21', 'force-down');
    const changedMembers = [
      { pool: 'www.w.example.test.', address: '192.0.2.10' },
      { pool: 'plain.w.example.test.', address: '192.0.2.21' },
    ];
    for (const l of listeners) l({ view: view(), changed: [], changedMembers });
    expect(worker.view().member?.('www.w.example.test.', '192.0.2.10')).toBeUndefined();
    expect(worker.view().member?.('plain.w.example.test.', '192.0.2.21')).toBe('force-down');
    expect(changes[0]?.changedMembers).toEqual(changedMembers);
  });

  it('a whole view replaces what the worker had, and reports the forgotten targets as changed', () => {
    const worker = new IpcHealthSource(() => undefined);
    const up: TargetHealth = { state: 'up', latencyMs: 1, load: undefined, reason: 'ok', since: 1 };
    worker.receive({ type: 'rondo:health', full: false, targets: [['a', up], ['b', up]], members: [] });
    const changes: HealthChange[] = [];
    worker.subscribe((c) => changes.push(c));
    worker.receive({ type: 'rondo:health', full: true, targets: [['b', { ...up, state: 'down' }]], members: [] });
    expect(worker.view().get('a')).toBeUndefined();
    expect(worker.view().get('b')?.state).toBe('down');
    expect([...(changes[0]?.changed ?? [])].sort()).toEqual(['a', 'b']);
  });

  it('start() rejects with CLI_WORKER_HEALTH_TIMEOUT when the primary never answers', async () => {
    const worker = new IpcHealthSource(() => undefined, 20);
    await expect(worker.start()).rejects.toMatchObject({ code: 'CLI_WORKER_HEALTH_TIMEOUT' });
  });
});
