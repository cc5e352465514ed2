/**
 * A stand-in checker for benchmarks of the shared-health path (bench/cluster-scale.ts with
 * CHECKS=simulated): the real RedisHealthStore in the checker role, publishing an `up` verdict
 * for every target once per interval, spread evenly over the interval as a checker's probes
 * are, with no probing at all. So the Redis, propagation and DNS-server figures can be measured
 * at a scale whose probes alone would saturate the machine.
 *
 *   node dist/bench/lib/verdict-writer.js NODE_ID TARGETS_JSON_FILE INTERVAL_MS (--redis URL | --redis-cluster H:P,...)
 */
import { readFile } from 'node:fs/promises';
import { RedisHealthStore } from '../../health/redis-store.js';
import { parseSentinelAddresses } from '../../health/redis-connection.js';
import { silentLogger } from '../../lib/logger.js';

async function main(): Promise<void> {
  const [nodeId, file, intervalText, flag, value] = process.argv.slice(2);
  const interval = Number(intervalText);
  if (nodeId === undefined || file === undefined || !(interval > 0) || value === undefined) throw new Error('usage: verdict-writer NODE_ID TARGETS_JSON INTERVAL_MS --redis URL|--redis-cluster LIST');
  const targets = JSON.parse(await readFile(file, 'utf8')) as string[];
  const connection = flag === '--redis-cluster' ? { cluster: parseSentinelAddresses(value, 'cluster node') } : { url: value };
  const store = new RedisHealthStore({ connection, role: 'checker', nodeId, logger: silentLogger() });
  await store.start();
  const TICK_MS = 20;
  const perTick = Math.ceil((targets.length * TICK_MS) / interval);
  let next = 0;
  const ttlMs = 3 * interval + 1000;
  setInterval(() => {
    const at = Date.now();
    for (let i = 0; i < perTick; i++) {
      const targetId = targets[next]!;
      next = (next + 1) % targets.length;
      store.publish({ targetId, checker: nodeId, state: 'up', latencyMs: 1, load: undefined, reason: 'tcp connect ok', at, ttlMs });
    }
  }, TICK_MS);
  process.stdout.write(`checking ${targets.length} targets\n`);
  const stop = () => {
    void store.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await main();
