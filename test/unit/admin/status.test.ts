/** `/status`: each member's decided health as answers see it, and the shared model when Redis answers in time. */
import { describe, expect, it } from 'vitest';
import { buildStatus, type StatusSource, type StatusZoneSource } from '../../../admin/status.js';
import type { StatusModel } from '../../../health/status.js';
import type { HealthView, TargetHealth } from '../../../model/health.js';

const zone: StatusZoneSource = {
  origin: 'example.test.',
  file: '/zones/example.test.zone',
  serial: 7,
  pools: [
    {
      key: 'www.example.test./A',
      name: 'www.example.test.',
      type: 1,
      ttl: 20,
      config: { policy: 'weighted', answers: 1, allDown: 'serve-all', unknown: 'up', quorum: 'majority' },
      members: [
        { address: '192.0.2.10', weight: 3, priority: 1, backup: false, targetId: 't10' },
        { address: '192.0.2.11', weight: 5, priority: 1, backup: false, targetId: 't11' },
        { address: '192.0.2.12', weight: 1, priority: 1, backup: true, targetId: 't12' },
        { address: '192.0.2.13', weight: 1, priority: 1, backup: false, targetId: undefined },
        { address: '192.0.2.14', weight: 1, priority: 1, backup: false, targetId: undefined },
      ],
    },
  ],
};

const targets: Record<string, TargetHealth> = {
  t10: { state: 'up', latencyMs: 1.5, load: 0.4, reason: 'HTTP 200', since: 0 },
  t11: { state: 'down', latencyMs: undefined, load: undefined, reason: 'ECONNREFUSED', since: 0, override: 'drain' },
};
const view: HealthView = {
  version: 3,
  get: (id) => targets[id],
  member: (pool, address) => (pool === 'www.example.test.' && address === '192.0.2.14' ? 'force-down' : undefined),
};

function source(over: Partial<StatusSource> = {}): StatusSource {
  return { nodeId: 'node-a', version: '0.1.0', startedAtMs: 1_000, zones: () => [zone], health: () => view, ...over };
}

describe('admin status', () => {
  it('shows every member with its decided state, reason and override', async () => {
    const s = await buildStatus(source({ allDown: () => false }), 61_000);
    expect(s.node).toEqual({ id: 'node-a', version: '0.1.0', startedAt: new Date(1_000).toISOString(), uptimeSeconds: 60 });
    const pool = s.zones[0]!.pools[0]!;
    expect(pool).toMatchObject({ name: 'www.example.test.', type: 'A', policy: 'weighted', answers: 1, ttl: 20, allDown: false });
    expect(pool.members.map((m) => [m.address, m.state, m.override])).toEqual([
      ['192.0.2.10', 'up', null],
      ['192.0.2.11', 'down', 'drain'],
      ['192.0.2.12', 'unknown', null],
      ['192.0.2.13', 'unchecked', null],
      ['192.0.2.14', 'down', 'force-down'],
    ]);
    expect(pool.members[0]).toMatchObject({ target: 't10', reason: 'HTTP 200', latencyMs: 1.5, load: 0.4 });
    expect(s.zones[0]!.serial).toBe(7);
    expect(s.redis).toBeNull();
    expect(s.shared).toBeNull();
  });

  it('includes the shared model from Redis, or says why it could not', async () => {
    const shared: StatusModel = { generatedAt: 5, prefix: 'rondo', targets: [], memberOverrides: [], nodes: [] };
    const ok = await buildStatus(source({ redis: () => ({ target: 'redis://:***@127.0.0.1:6379', connected: true }), shared: () => Promise.resolve(shared) }));
    expect(ok.shared).toEqual(shared);
    expect(ok.redis).toEqual({ target: 'redis://:***@127.0.0.1:6379', connected: true });
    const failed = await buildStatus(source({ shared: () => Promise.reject(new Error('connection is closed')) }));
    expect(failed.shared).toBeNull();
    expect(failed.sharedError).toBe('connection is closed');
  });
});
