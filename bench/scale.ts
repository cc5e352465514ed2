/**
 * Scale of data (issue 6): a zone of 1,000,000 records in 100,000 pools (10 AAAA members each,
 * weighted, answers=2, one HTTP check per member) loaded through the real Runtime (zone file
 * parse and compile, the selector's pool index, the DNS server on loopback), with load time and
 * memory; then the fast path learns and encodes 10,000 of the pools through real UDP queries,
 * 10 of them see a member go down, and the 10,000 are asked again: only the changed pools may be
 * re-planned and re-encoded. Last, a verdict's way to the answers: one member of an asked pool is
 * marked down, and its pool is asked until an answer no longer holds it (then 200 more answers
 * must not hold it either).
 *
 * The fast path encodes lazily (on a pool's first query after a load or a plan change), so a load
 * costs no encoding at all; the checks are not started here (1,000,000 probes are not the point),
 * health comes straight from the in-memory store.
 *
 * Run: npm run build && node --expose-gc dist/bench/scale.js [pools] [membersPerPool] [--no-observe]
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Runtime } from '../server/runtime.js';
import { MemoryHealthStore } from '../health/memory-store.js';
import { silentLogger } from '../lib/logger.js';
import { ipv6Bytes } from '../lib/ip.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
/** --no-observe: without the skew report's per-pool counters, to see what they cost. */
const OBSERVE = !process.argv.includes('--no-observe');
const POOLS = Number(args[0] ?? 100_000);
const MEMBERS = Number(args[1] ?? 10);
const ASKED = Math.min(10_000, POOLS);
const CHANGED = 10;
const ORIGIN = 'scale.example.test.';

function member(p: number, m: number): string {
  return `2001:db8:${(p >> 16).toString(16)}:${(p & 0xffff).toString(16)}::${(m + 1).toString(16)}`;
}

function zoneText(): string {
  const lines = [`$ORIGIN ${ORIGIN}`, '$TTL 300', '@ IN SOA ns1 hostmaster 1 7200 900 1209600 30', '  IN NS ns1', 'ns1 IN AAAA 2001:db8::53', ';@check web http port=8080 path=/healthz interval=10s timeout=2s'];
  for (let p = 0; p < POOLS; p++) {
    lines.push(`;@pool p${p} policy=weighted answers=2 check=web`);
    for (let m = 0; m < MEMBERS; m++) lines.push(`p${p} 20 IN AAAA ${member(p, m)} ;@ weight=${1 + (m % 4)}`);
  }
  return lines.join('\n') + '\n';
}

function query(id: number, name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.');
  return Buffer.concat([
    Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
    Buffer.from([0, 0, 28, 0, 1]),
  ]);
}

/** Asks for pools 0..count-1, a window of 200 in flight; resolves with the answers received. */
async function askPools(port: number, count: number): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  let received = 0;
  let next = 0;
  const send = (): void => {
    const p = next++;
    socket.send(query(p & 0xffff, `p${p}.${ORIGIN}`), port, '127.0.0.1');
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received} of ${count} answers within 30 s`)), 30_000);
      socket.on('message', () => {
        received++;
        if (next < count) send();
        if (received === count) {
          clearTimeout(timer);
          resolve();
        }
      });
      for (let i = 0; i < Math.min(200, count); i++) send();
    });
  } finally {
    socket.close();
  }
  return received;
}

/**
 * Asks pool `p` until a member shows in an answer, marks that member down in the store, and asks
 * again one query at a time: how long until an answer without it, and whether any later one holds it.
 */
async function verdictToAnswer(
  port: number,
  store: MemoryHealthStore,
  poolNamed: (name: string) => { members: readonly { address: string; targetId?: string | undefined }[] } | undefined,
  p: number,
): Promise<{ pool: number; member: string; firstMs: number; after: number; heldAfter: number }> {
  const pool = poolNamed(`p${p}.${ORIGIN}`);
  if (!pool) throw new Error(`no pool p${p}`);
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  let id = 0;
  const ask = async (): Promise<Buffer> => {
    id = (id + 1) & 0xffff;
    const reply = once(socket, 'message', { signal: AbortSignal.timeout(2000) }) as Promise<[Buffer]>;
    socket.send(query(id, `p${p}.${ORIGIN}`), port, '127.0.0.1');
    return (await reply)[0];
  };
  try {
    // A member the answers hold now (answers=2 of 10: ask until one shows).
    let chosen: { address: string; targetId?: string | undefined } | undefined;
    for (let i = 0; i < 200 && !chosen; i++) {
      const reply = await ask();
      chosen = pool.members.find((m) => m.targetId !== undefined && reply.includes(Buffer.from(ipv6Bytes(m.address) ?? [])));
    }
    if (!chosen?.targetId) throw new Error(`no checked member of p${p} in 200 answers`);
    const bytes = Buffer.from(ipv6Bytes(chosen.address) ?? []);
    const at = performance.now();
    store.publish({ targetId: chosen.targetId, checker: 'scale', state: 'down', latencyMs: undefined, load: undefined, reason: 'verdict to answer', at: Date.now(), ttlMs: 3_600_000 });
    let firstMs = -1;
    for (let i = 0; i < 1000 && firstMs < 0; i++) if (!(await ask()).includes(bytes)) firstMs = performance.now() - at;
    let heldAfter = 0;
    const after = 200;
    for (let i = 0; i < after; i++) if ((await ask()).includes(bytes)) heldAfter++;
    return { pool: p, member: chosen.address, firstMs, after, heldAfter };
  } finally {
    socket.close();
  }
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(0)} MB`;

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-scale-'));
  try {
    const text = zoneText();
    await writeFile(path.join(dir, 'scale.example.test.zone'), text);
    global.gc?.();
    const before = process.memoryUsage();
    console.log(`zone: ${POOLS * MEMBERS + 3} records in ${POOLS} pools, ${mb(text.length)} of text; skew observer ${OBSERVE ? 'on' : 'off'}; node ${process.version}${global.gc ? '' : ' (run with --expose-gc for steadier memory figures)'}`);

    const store = new MemoryHealthStore({ logger: silentLogger(), sweepIntervalMs: 0 });
    const runtime = new Runtime({ zonePaths: [dir], listen: [{ host: '127.0.0.1', port: 0 }], checks: false, logger: silentLogger(), store, observe: OBSERVE });
    const t0 = performance.now();
    await runtime.start();
    const loadS = (performance.now() - t0) / 1000;
    global.gc?.();
    const after = process.memoryUsage();
    const zone = runtime.zones()[0];
    console.log(`load (parse, compile, pool index, listen): ${loadS.toFixed(2)} s; ${zone?.size ?? 0} records, ${zone?.poolIndex?.count ?? zone?.pools.length ?? 0} pools, ${zone?.targetSource?.count ?? zone?.targets.length ?? 0} targets`);
    // `before` still held the zone's text (a 51 MB string), which the load let go: the difference can be negative.
    console.log(`memory: rss ${mb(after.rss)} (${mb(before.rss)} before the load, the zone's text in memory), heap used ${mb(after.heapUsed)}`);

    const server = runtime.server;
    const port = server?.addresses()[0]?.port;
    if (!server || port === undefined || !zone) throw new Error('runtime has no DNS listener');
    const t1 = performance.now();
    const first = await askPools(port, ASKED);
    const warmS = (performance.now() - t1) / 1000;
    const warm = server.fastPathStats();
    // A pool's first query after a load goes through the full path (and teaches the fast path).
    const second = await askPools(port, ASKED);
    const steady = server.fastPathStats();
    console.log(`first query of ${first} pools: ${warmS.toFixed(2)} s (fast path learnt ${warm?.learnt ?? 0} names, encoded ${warm?.poolEncodes ?? 0} pools); then ${second} answers, ${(steady?.answered ?? 0) - (warm?.answered ?? 0)} from the fast path`);

    const buildsBefore = runtime.selector.stats.planBuilds;
    const encodesBefore = steady?.poolEncodes ?? 0;
    // Found through the pool index: decoding every pool here would weigh on the phases after it.
    const poolNamed = (name: string) => zone.poolIndex?.find(name, 28) ?? zone.pools.find((p) => p.name === name);
    for (let i = 0; i < CHANGED; i++) {
      const p = Math.floor(((i + 0.5) * ASKED) / CHANGED);
      const target = poolNamed(`p${p}.${ORIGIN}`)?.members[0]?.targetId;
      if (target) store.publish({ targetId: target, checker: 'scale', state: 'down', latencyMs: undefined, load: undefined, reason: 'scale test', at: Date.now(), ttlMs: 3_600_000 });
    }
    const t2 = performance.now();
    await askPools(port, ASKED);
    const changedS = (performance.now() - t2) / 1000;
    const end = server.fastPathStats();
    const rebuilt = runtime.selector.stats.planBuilds - buildsBefore;
    const reencoded = (end?.poolEncodes ?? 0) - encodesBefore;
    console.log(`health change in ${CHANGED} of ${ASKED} pools: ${rebuilt} plans rebuilt, ${reencoded} pools re-encoded (${ASKED} asked again in ${changedS.toFixed(2)} s)`);
    if (rebuilt !== CHANGED || reencoded !== CHANGED) process.exitCode = 1;

    const verdict = await verdictToAnswer(port, store, poolNamed, Math.floor(ASKED / 3));
    console.log(
      `verdict to answer (p${verdict.pool}: ${verdict.member}, in the answers, marked down): the first answer without it ${verdict.firstMs.toFixed(2)} ms after the verdict; ${verdict.heldAfter} of the next ${verdict.after} answers held it`,
    );
    if (verdict.heldAfter > 0) process.exitCode = 1;
    await runtime.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
