/** Where reports come from: the snapshot writer's behaviour when Redis fails, and `--from` URLs. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { reportUrl } from '../../../cli/commands/report.js';
import { createRootLogger } from '../../../lib/logger.js';
import { observationKey, SnapshotPublisher, type SnapshotRedis } from '../../../report/redis-transport.js';
import { emptySnapshot } from '../../../report/snapshot.js';

function capture(): { logger: ReturnType<typeof createRootLogger>; lines: () => { level: number; msg: string }[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(chunk.toString());
      done();
    },
  });
  return { logger: createRootLogger('info', stream), lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

describe('snapshot writer', () => {
  it('writes the snapshot with an expiry, and logs a Redis outage once and its end once', async () => {
    const writes: { key: string; ttl: number; value: string }[] = [];
    let failing = true;
    const redis: SnapshotRedis = {
      set: (key, value, _px, ttl) => {
        if (failing) return Promise.reject(new Error('Connection is closed.'));
        writes.push({ key, ttl, value });
        return Promise.resolve('OK');
      },
      scan: () => Promise.resolve(['0', []]),
      mget: () => Promise.resolve([]),
    };
    const log = capture();
    const publisher = new SnapshotPublisher({ redis, prefix: 'rondo', nodeId: 'dns-1', snapshot: () => emptySnapshot(5), logger: log.logger, intervalMs: 1000 });
    await publisher.publish();
    await publisher.publish();
    failing = false;
    await publisher.publish();
    await publisher.publish();
    expect(writes.map((w) => [w.key, w.ttl])).toEqual([
      [observationKey('rondo', 'dns-1'), 3000],
      [observationKey('rondo', 'dns-1'), 3000],
    ]);
    expect(JSON.parse(writes[0]!.value)).toEqual(emptySnapshot(5));
    expect(log.lines().map((l) => l.msg)).toEqual(['could not write the observation snapshot to Redis; retrying', 'observation snapshots written to Redis again']);
    await publisher.stop();
  });
});

describe('rondo report --from', () => {
  it.each([
    ['http://127.0.0.1:8053', 'default', 'http://127.0.0.1:8053/report'],
    ['http://127.0.0.1:8053/', 'default', 'http://127.0.0.1:8053/report'],
    ['http://127.0.0.1:8053/report', 'none', 'http://127.0.0.1:8053/report?clients=none'],
    ['https://admin.example.org/rondo/', 'default', 'https://admin.example.org/rondo/report'],
    ['http://user:pw@127.0.0.1:8053', 'default', 'http://127.0.0.1:8053/report'],
  ] as const)('%s (%s) → %s', (from, clients, url) => {
    expect(reportUrl(from, clients).toString()).toBe(url);
  });

  it('refuses what is not an http(s) URL', () => {
    expect(() => reportUrl('127.0.0.1:8053', 'default')).toThrow(/--from must be/);
    expect(() => reportUrl('ftp://127.0.0.1/', 'default')).toThrow(/http:\/\/ or https:\/\//);
  });
});
