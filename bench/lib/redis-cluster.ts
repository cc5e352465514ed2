/**
 * A real Redis Cluster for tests and benchmarks: three primaries and three replicas, each a
 * redis-server with `--cluster-enabled yes` on a free loopback port (bench/lib/redis-server.ts),
 * joined by `redis-cli --cluster create … --cluster-replicas 1 --cluster-yes`. A short
 * `cluster-node-timeout` (1 s) makes a killed primary's replica take over in a few seconds.
 *
 *   const cluster = await startRedisCluster();
 *   const primary = await cluster.primaryFor('{rondo}');   // the node holding Rondo's slot
 *   await primary.kill(); await cluster.waitForPrimary('{rondo}', (p) => p !== primary.port);
 *   await cluster.stop();
 *
 * No vitest import here, so bench scripts can use it too.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startRedisServer, type RedisServer } from './redis-server.js';

const run = promisify(execFile);

export interface RedisCluster {
  readonly nodes: readonly RedisServer[];
  /** Seed addresses for `--redis-cluster` (every node). */
  readonly addresses: readonly { host: string; port: number }[];
  /** `host:port,host:port,…` as `--redis-cluster` takes it. */
  readonly flag: string;
  /** The node that is primary for `key`'s slot now (asked of the live nodes). */
  primaryFor(key: string): Promise<RedisServer>;
  /** Waits (bounded) until the slot of `key` has a primary for which `accept(port)` holds; returns its port. */
  waitForPrimary(key: string, accept: (port: number) => boolean, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

async function clusterInfo(node: RedisServer): Promise<string> {
  const c = await node.client();
  return (await c.call('CLUSTER', 'INFO')) as string;
}

export async function startRedisCluster(): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let i = 0; i < 6; i++) {
      nodes.push(
        await startRedisServer({
          args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000', '--cluster-replica-validity-factor', '0'],
        }),
      );
    }
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 30_000 });
    const until = Date.now() + 30_000;
    for (;;) {
      const states = await Promise.all(nodes.map((n) => clusterInfo(n).catch(() => '')));
      const ok = states.every((s) => s.includes('cluster_state:ok') && s.includes('cluster_known_nodes:6'));
      const replicasUp = ok && (await Promise.all(nodes.map(async (n) => (await (await n.client()).info('replication')).match(/role:(\w+)/)?.[1] === 'master' || (await (await n.client()).info('replication')).includes('master_link_status:up')))).every(Boolean);
      if (replicasUp) break;
      if (Date.now() > until) throw new Error(`redis cluster not ready within 30 s:\n${states.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const slotOf = async (key: string): Promise<number> => {
    for (const n of nodes) {
      try {
        return (await (await n.client()).call('CLUSTER', 'KEYSLOT', key)) as number;
      } catch {
        // a killed node: ask the next
      }
    }
    throw new Error('no cluster node answered');
  };
  const primaryPort = async (key: string): Promise<number | undefined> => {
    const slot = await slotOf(key);
    for (const n of nodes) {
      try {
        const ranges = (await (await n.client()).call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
        const range = ranges.find(([from, to]) => from <= slot && slot <= to);
        if (range) return range[2][1];
      } catch {
        // a killed node: ask the next
      }
    }
    return undefined;
  };
  return {
    nodes,
    addresses: nodes.map((n) => ({ host: n.host, port: n.port })),
    flag: nodes.map((n) => `${n.host}:${n.port}`).join(','),
    async primaryFor(key) {
      const port = await primaryPort(key);
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`no primary for ${key}`);
      return node;
    },
    async waitForPrimary(key, accept, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const port = await primaryPort(key);
        if (port !== undefined && accept(port)) return port;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no new primary for ${key} within ${timeoutMs} ms`);
    },
    stop,
  };
}
