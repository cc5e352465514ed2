/**
 * Issue 14: zones compile in a worker thread and are swapped in whole.
 * - a reload of a large zone keeps every query answered while the worker compiles it;
 * - a zone that fails to parse in the worker keeps the last good zone, reported as file:line:column;
 * - a worker that crashes (out of memory here) is reported and restarted;
 * - a reload that changes one pool re-encodes that pool only;
 * - the swap does no pass over the observed pools in its turn: pools no longer served are forgotten
 *   in slices over the next turns (lib/sliced.ts).
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../lib/logger.js';
import { MemoryHealthStore } from '../../../health/memory-store.js';
import { Runtime } from '../../../server/runtime.js';
import { ZoneCompiler } from '../../../zones/zone-compiler.js';
import { CompactZone } from '../../../zones/compact.js';
import { buildQuery } from '../../helpers/dns-client.js';
import { tempZoneFile } from '../../helpers/temp-zone.js';

const HEAD = ['$ORIGIN example.test.', '$TTL 300', '@ IN SOA ns1 hostmaster SERIAL 7200 900 1209600 30', '  IN NS ns1', 'ns1 IN A 192.0.2.53', ''].join('\n');

function bigZone(names: number, serial: number, lastOctetOfHost0 = 4, extra = ''): string {
  const lines = [HEAD.replace('SERIAL', String(serial))];
  for (let n = 0; n < names; n++) {
    lines.push(`;@pool host${n} policy=round-robin`);
    lines.push(`host${n} 20 IN A 192.0.2.1`, ' 20 IN A 192.0.2.2', ' 20 IN A 192.0.2.3', ` 20 IN A 192.0.2.${n === 0 ? lastOctetOfHost0 : 4}`);
  }
  return lines.join('\n') + '\n' + extra;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempZone(text: string): string {
  return tempZoneFile(text, cleanups, 'rondo-zone-worker-');
}

async function startRuntime(file: string): Promise<{ runtime: Runtime; port: number }> {
  const runtime = new Runtime({ zonePaths: [file], listen: [{ host: '127.0.0.1', port: 0 }], checks: false, logger: silentLogger() });
  cleanups.push(() => runtime.stop());
  await runtime.start();
  const port = runtime.server?.addresses()[0]?.port ?? 0;
  return { runtime, port };
}

/** One UDP socket; answers matched by ID. */
async function client(port: number) {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  cleanups.push(() => {
    socket.close();
  });
  const waiting = new Map<number, (msg: Buffer) => void>();
  socket.on('message', (msg: Buffer) => waiting.get(msg.readUInt16BE(0))?.(msg));
  let next = 1;
  return (name: string, type = 1, timeoutMs = 3000): Promise<Buffer | undefined> => {
    const id = next;
    next = (next % 65535) + 1;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(undefined);
      }, timeoutMs);
      waiting.set(id, (msg) => {
        waiting.delete(id);
        clearTimeout(timer);
        resolve(msg);
      });
      socket.send(buildQuery({ id, name, type, rd: false }), port, '127.0.0.1');
    });
  };
}

const ancount = (msg: Buffer | undefined) => msg?.readUInt16BE(6) ?? -1;
/** The SOA serial in an answer to an SOA question (the last 20 octets are the five numbers). */
const serialOf = (msg: Buffer | undefined) => (msg && ancount(msg) === 1 ? msg.readUInt32BE(msg.length - 20) : -1);

describe('zone worker (issue 14)', () => {
  it('keeps answering every query while a large zone reloads in the worker', async () => {
    const file = tempZone(bigZone(20_000, 1));
    const { runtime, port } = await startRuntime(file);
    expect(runtime.zoneCompiler?.threaded).toBe(true);
    const ask = await client(port);
    expect(ancount(await ask('host19999.example.test.'))).toBe(4);

    writeFileSync(file, bigZone(20_000, 2));
    const reloaded = runtime.reload();
    let done = false;
    void reloaded.then(() => (done = true));
    const latencies: number[] = [];
    let unanswered = 0;
    const deadline = Date.now() + 60_000;
    // A query every 2 ms until the reload is through (bounded by the deadline).
    while (!done && Date.now() < deadline) {
      const t = performance.now();
      const n = Math.floor(Math.random() * 20_000);
      void ask(`host${n}.example.test.`).then((reply) => {
        if (ancount(reply) === 4) latencies.push(performance.now() - t);
        else unanswered++;
      });
      await new Promise((r) => setTimeout(r, 2));
    }
    await reloaded;
    await vi.waitFor(async () => expect(serialOf(await ask('example.test.', 6))).toBe(2), { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 200)); // the last queries' answers
    expect(unanswered).toBe(0);
    expect(latencies.length).toBeGreaterThan(0);
    // Compiling 80,000 records in this thread takes seconds; answers here wait for no compile.
    expect(Math.max(...latencies)).toBeLessThan(1000);
    expect(runtime.zoneCompiler?.stats.starts).toBeGreaterThanOrEqual(2);
    // The worker runs below the query thread's priority (Linux: 10 nicer, at most 19).
    if (process.platform === 'linux') expect(runtime.zoneCompiler?.stats.workerNice).toBe(Math.min(19, getPriority() + 10));
  });

  it('keeps the last good zone when the new version fails to parse in the worker, reported as file:line:column', async () => {
    const file = tempZone(bigZone(10, 1));
    const { runtime, port } = await startRuntime(file);
    const ask = await client(port);
    const text = bigZone(10, 2) + 'broken 20 IN A 192.0.2.300\n';
    writeFileSync(file, text);
    const line = text.split('\n').length - 1;
    await runtime.reload();
    expect(runtime.zoneLoads.get('example.test.')).toEqual({ loaded: 1, failed: 1 });
    expect(serialOf(await ask('example.test.', 6))).toBe(1);
    expect(ancount(await ask('host3.example.test.'))).toBe(4);
    // The same error through `rondo zone check`'s path (the worker's compile), with its position.
    const compiler = new ZoneCompiler({ logger: silentLogger() });
    cleanups.push(() => compiler.close());
    const outcome = await compiler.compile({ file });
    expect(outcome.status).toBe('failed');
    if (outcome.status !== 'failed') return;
    expect(outcome.errors[0]).toMatchObject({ code: 'ZONE_BAD_IPV4', file, line, column: 16 });
  });

  it('reports a worker that crashes, restarts it, and keeps the last good zone', async () => {
    const compiler = new ZoneCompiler({ logger: silentLogger(), resourceLimits: { maxOldGenerationSizeMb: 12, maxYoungGenerationSizeMb: 4 } });
    cleanups.push(() => compiler.close());
    const crashes: string[] = [];
    compiler.on('crash', (_err: Error, file: string) => crashes.push(file));
    // A CNAME sends it to the full pipeline: an object per record, far more than 12 MB.
    const huge = tempZone(bigZone(60_000, 1, 4, 'alias CNAME host1\n'));
    const outcome = await compiler.compile({ file: huge });
    expect(outcome.status).toBe('failed');
    if (outcome.status === 'failed') expect(outcome.errors[0]).toMatchObject({ code: 'ZONE_COMPILER_CRASHED', file: huge, line: 1, column: 1 });
    expect(crashes).toEqual([huge, huge]); // the first crash was retried once in a new worker
    expect(compiler.stats.crashes).toBe(2);
    // A new worker compiles the next zone.
    const small = tempZone(bigZone(5, 1));
    const next = await compiler.compile({ file: small });
    expect(next.status).toBe('loaded');
    expect(compiler.stats.starts).toBe(3);
  });

  it("hands a zone's first version over in shared buffers, a reload's transferred (start-up: no full collection of the query thread's heap)", async () => {
    const file = tempZone(bigZone(50, 1, 4, 'alias CNAME host1\n')); // the full pipeline
    const { runtime, port } = await startRuntime(file);
    const first = runtime.zones()[0];
    expect(first).toBeInstanceOf(CompactZone);
    if (first instanceof CompactZone) for (const a of [first.data.nodes, first.data.chars, first.data.ipv4]) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);

    writeFileSync(file, bigZone(50, 2));
    await runtime.reload();
    const ask = await client(port);
    await vi.waitFor(async () => expect(serialOf(await ask('example.test.', 6))).toBe(2), { timeout: 5000 });
    const second = runtime.zones()[0];
    expect(second).not.toBe(first);
    if (second instanceof CompactZone) for (const a of [second.data.nodes, second.data.chars, second.data.ipv4]) expect(a.buffer).toBeInstanceOf(ArrayBuffer);
    expect(ancount(await ask('host49.example.test.'))).toBe(4);
  });

  it('re-encodes only the pool that changed', async () => {
    const file = tempZone(bigZone(50, 1));
    const { runtime, port } = await startRuntime(file);
    const ask = await client(port);
    for (let n = 0; n < 50; n++) expect(ancount(await ask(`host${n}.example.test.`))).toBe(4);
    const encodes = runtime.server?.fastPathStats()?.poolEncodes ?? -1;
    expect(encodes).toBe(50);
    const plans = runtime.selector.stats.planBuilds;

    writeFileSync(file, bigZone(50, 2, 9)); // host0's fourth address changes
    await runtime.reload();
    await vi.waitFor(async () => expect(serialOf(await ask('example.test.', 6))).toBe(2), { timeout: 5000 });
    for (let n = 0; n < 50; n++) expect(ancount(await ask(`host${n}.example.test.`))).toBe(4);
    expect((runtime.server?.fastPathStats()?.poolEncodes ?? 0) - encodes).toBe(1);
    expect(runtime.selector.stats.planBuilds - plans).toBe(1);
  });

  it('a health change reaches a checked pool planned before a reload, taken over or not yet', async () => {
    // Every member its own target: the swap indexes no target on the query thread, a change finds
    // the decoded pools through the zone's target rows (and the previous version's, until taken over).
    const checkedZone = (serial: number): string => {
      const lines = [HEAD.replace('SERIAL', String(serial)), ';@check web tcp port=80'];
      for (let n = 0; n < 20; n++) {
        lines.push(`;@pool host${n} policy=round-robin check=web`);
        for (let k = 1; k <= 4; k++) lines.push(`host${n} 20 IN A 10.0.${n}.${k}`);
      }
      return lines.join('\n') + '\n';
    };
    const file = tempZone(checkedZone(1));
    const store = new MemoryHealthStore({ logger: silentLogger() });
    const runtime = new Runtime({ zonePaths: [file], listen: [{ host: '127.0.0.1', port: 0 }], checks: false, store, logger: silentLogger() });
    cleanups.push(() => runtime.stop());
    await runtime.start();
    const ask = await client(runtime.server?.addresses()[0]?.port ?? 0);
    const up = (n: number, k: number, state: 'up' | 'down') =>
      store.publish({ targetId: `example.test./web/10.0.${n}.${k}/80`, checker: 't', state, latencyMs: undefined, load: undefined, reason: 'test', at: Date.now(), ttlMs: 60_000 });
    for (let n = 0; n < 20; n++) for (let k = 1; k <= 4; k++) up(n, k, 'up');
    for (let n = 0; n < 20; n++) expect(ancount(await ask(`host${n}.example.test.`))).toBe(4);

    writeFileSync(file, checkedZone(2));
    await runtime.reload();
    // Still the swap's turn: host0's pool is the previous version's until it is asked or taken over.
    expect(runtime.zones()[0]?.soa.records[0]?.rdata).toMatchObject({ serial: 2 });
    up(0, 4, 'down');
    expect(ancount(await ask('host0.example.test.'))).toBe(3);
    await vi.waitFor(() => expect((runtime.zones()[0] as CompactZone).reusedPools).toBe(20), { timeout: 5000 });
    up(1, 4, 'down');
    expect(ancount(await ask('host1.example.test.'))).toBe(3);
    up(0, 4, 'up');
    expect(ancount(await ask('host0.example.test.'))).toBe(4);
  });

  it("hands a large zone's targets to the checks in slices after the swap, ending with the new set", async () => {
    // 500 pools x 10 members on loopback, tcp port 1 (refused at once), probed every 300 s: 5,000
    // targets, more than the swap's turn takes. Version 2 moves pool 0's members elsewhere.
    const zone = (serial: number, moved: boolean): string => {
      const lines = [HEAD.replace('SERIAL', String(serial)), ';@check web tcp port=1 interval=300s timeout=1s'];
      for (let n = 0; n < 500; n++) {
        lines.push(`;@pool host${n} check=web`);
        for (let k = 1; k <= 10; k++) lines.push(`host${n} 20 IN A 127.${moved && n === 0 ? 99 : 1}.${n >> 4}.${(n & 15) * 16 + k}`);
      }
      return lines.join('\n') + '\n';
    };
    const id = (second: number, n: number, k: number) => `example.test./web/127.${second}.${n >> 4}.${(n & 15) * 16 + k}/1`;
    const file = tempZone(zone(1, false));
    const runtime = new Runtime({ zonePaths: [file], listen: [{ host: '127.0.0.1', port: 0 }], checks: true, logger: silentLogger() });
    cleanups.push(() => runtime.stop());
    await runtime.start();
    const scheduler = runtime.scheduler!;
    await vi.waitFor(() => expect(scheduler.targetCount).toBe(5000), { timeout: 5000 });

    writeFileSync(file, zone(2, true));
    await runtime.reload();
    // The swap's turn: the new zone serves, the scheduler has not been told yet.
    expect(runtime.zones()[0]?.soa.records[0]?.rdata).toMatchObject({ serial: 2 });
    expect(scheduler.trackOf(id(1, 0, 1))).toBeDefined();
    expect(scheduler.trackOf(id(99, 0, 1))).toBeUndefined();
    await vi.waitFor(() => expect(scheduler.trackOf(id(1, 0, 1))).toBeUndefined(), { timeout: 5000 });
    expect(scheduler.targetCount).toBe(5000);
    for (let k = 1; k <= 10; k++) expect(scheduler.trackOf(id(99, 0, k))).toBeDefined();
    expect(scheduler.trackOf(id(1, 499, 10))).toBeDefined();
  });

  it('forgets pools no longer served in slices after the swap, not in its turn', async () => {
    const file = tempZone(bigZone(50, 1));
    const { runtime, port } = await startRuntime(file);
    const ask = await client(port);
    for (let n = 0; n < 50; n++) expect(ancount(await ask(`host${n}.example.test.`))).toBe(4);
    const observed = () => runtime.observation!.snapshot().pools.map((p) => p.key);
    expect(observed()).toHaveLength(50);

    writeFileSync(file, bigZone(40, 2)); // host40 to host49 go
    await runtime.reload();
    // Still the turn of the swap (only microtasks since): the new zone serves, no pool was looked up yet.
    expect(runtime.zones()[0]?.soa.records[0]?.rdata).toMatchObject({ serial: 2 });
    expect(observed()).toHaveLength(50);
    await runtime.observation!.retained;
    expect(observed()).toHaveLength(40);
    expect(observed()).not.toContain('host45.example.test./A');
    expect(ancount(await ask('host45.example.test.'))).toBe(0);
    expect(ancount(await ask('host39.example.test.'))).toBe(4);
  });
});
