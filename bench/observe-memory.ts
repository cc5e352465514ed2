/**
 * What the observation counters cost: memory for N resolvers (default 100,000) on one 4-member
 * pool, the time of one record() once resolvers are known, and whether that steady state
 * allocates. Also the size of a JSON snapshot of them (what crosses Redis).
 *
 * Run: npm run build && node --expose-gc dist/bench/observe-memory.js [resolvers] [members]
 */
import { Observer } from '../report/observe.js';
import { resolverKeyFromAddress } from '../report/resolver-key.js';
import type { ResolverKey } from '../report/resolver-key.js';

const RESOLVERS = Number(process.argv[2] ?? 100_000);
const MEMBERS = Number(process.argv[3] ?? 4);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function used(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function measure(label: string, keyOf: (i: number) => ResolverKey): void {
  const variants = Array.from({ length: MEMBERS }, (_, i) => [i]);
  const before = used();
  // Keys are made as the DNS side makes them, so the observer is charged only for those it keeps.
  const keys: ResolverKey[] = new Array<ResolverKey>(RESOLVERS);
  const observer = new Observer({ maxResolvers: RESOLVERS * 2, startMs: 0 });
  const pool = observer.registerPool({
    key: 'www.example.test./A',
    name: 'www.example.test.',
    type: 1,
    ttl: 30,
    config: { policy: 'round-robin', answers: 1 },
    members: Array.from({ length: MEMBERS }, (_, i) => ({ address: `192.0.2.${10 + i}`, weight: 1 })),
  });
  for (let i = 0; i < RESOLVERS; i++) {
    const key = keyOf(i);
    keys[i] = key;
    observer.record(pool, variants[i % MEMBERS]!, key, i);
  }
  // The test's own key array is not the observer's.
  const after = used() - RESOLVERS * 8;
  // Warm up the steady path so the optimising compiler has run.
  for (let i = 0; i < RESOLVERS; i++) observer.record(pool, variants[(i + 1) % MEMBERS]!, keys[i]!, 15_000 + i);
  // Steady state: every resolver known, a few more rounds.
  const rounds = 5;
  gc!();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = process.hrtime.bigint();
  for (let r = 1; r <= rounds; r++) {
    for (let i = 0; i < RESOLVERS; i++) observer.record(pool, variants[(i + r) % MEMBERS]!, keys[i]!, r * 30_000 + i);
  }
  const ns = Number(process.hrtime.bigint() - started) / (rounds * RESOLVERS);
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  const stats = observer.stats();
  const json = JSON.stringify(observer.toSnapshot(200_000));
  const limited = JSON.stringify(observer.toSnapshot(200_000, { maxResolversPerPool: 10_000 }));
  console.log(
    `${label}: ${RESOLVERS} resolvers × ${MEMBERS} members: ${((after - before) / 1e6).toFixed(1)} MB ` +
      `(${Math.round((after - before) / RESOLVERS)} B/resolver; typed arrays ${(stats.tableBytes / 1e6).toFixed(1)} MB, capacity doubling included); ` +
      `record() ${ns.toFixed(0)} ns steady, heap allocated over ${rounds * RESOLVERS} steady records ${(heapGrowth / 1e3).toFixed(0)} kB; ` +
      `snapshot JSON ${(json.length / 1e6).toFixed(1)} MB (${(limited.length / 1e6).toFixed(1)} MB with the busiest 10,000)`,
  );
}

console.log(`node ${process.version}`);
measure('IPv4 /24 keys (numbers)', (i) => resolverKeyFromAddress(`${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.1`));
measure('string keys (ECS, non-global IPv6)', (i) => `fd00:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::/56`);
