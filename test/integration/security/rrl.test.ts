/**
 * Response rate limiting on real sockets (issue 7): a burst of identical UDP queries from one
 * client prefix is answered at the configured rate, every 2nd limited response slips out
 * truncated and the rest are dropped; another prefix is unaffected; TCP is never limited;
 * loopback is exempt unless told otherwise; the counters match what the client saw.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ResponseRateLimiter } from '../../../dns/rrl.js';
import { buildQuery } from '../../helpers/dns-client.js';
import { startDnsServer } from '../../helpers/dns-server.js';
import { fixtureZone, zoneSet } from '../../helpers/dns-zones.js';
import type { DnsTarget } from '../../helpers/dig.js';

const zones = zoneSet(fixtureZone('example.test.zone'));
const TC = 0x0200;

interface Burst {
  readonly full: Buffer[];
  readonly truncated: Buffer[];
}

/** A UDP socket bound to `from` (any 127.0.0.0/8 address works on Linux loopback). */
async function clientSocket(from: string): Promise<{ socket: dgram.Socket; received: Buffer[] }> {
  const socket = dgram.createSocket('udp4');
  onTestFinished(() => {
    socket.close();
  });
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  socket.bind(0, from);
  await once(socket, 'listening');
  return { socket, received };
}

/** Sends `count` copies of `query` back to back, then waits until `expected()` responses arrived. */
async function burst(target: DnsTarget, from: string, query: Buffer, count: number, expected: () => number): Promise<Burst> {
  const { socket, received } = await clientSocket(from);
  for (let i = 0; i < count; i++) socket.send(query, target.port, target.host);
  await expect.poll(() => received.length >= expected() && expected() > 0, { timeout: 5000 }).toBe(true);
  return {
    full: received.filter((r) => (r.readUInt16BE(2) & TC) === 0),
    truncated: received.filter((r) => (r.readUInt16BE(2) & TC) !== 0),
  };
}

/** Pipelines `messages` on one TCP connection from `from` and returns every response. */
async function tcpFrom(target: DnsTarget, from: string, messages: readonly Buffer[]): Promise<Buffer[]> {
  const socket = net.connect({ host: target.host, port: target.port, localAddress: from });
  onTestFinished(() => {
    socket.destroy();
  });
  await once(socket, 'connect');
  socket.write(Buffer.concat(messages.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]))));
  const responses: Buffer[] = [];
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      responses.push(pending.subarray(2, 2 + pending.readUInt16BE(0)));
      pending = pending.subarray(2 + pending.readUInt16BE(0));
    }
  });
  await expect.poll(() => responses.length, { timeout: 5000 }).toBe(messages.length);
  return responses;
}

describe('response rate limiting (--rrl-rate 5, slip 2)', () => {
  it('answers about rate × window of a burst, slips half of the rest truncated, drops the others', async () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 5, slip: 2, windowSeconds: 1, exemptLoopback: false });
    const { server, target } = await startDnsServer(zones, { rrl });
    const query = buildQuery({ id: 7, name: 'www.example.test.', type: 1 });
    const sent = (): number => {
      const s = rrl.stats();
      return s.checked === 100 ? s.checked - s.dropped : 0;
    };
    const got = await burst(target, '127.0.0.2', query, 100, sent);
    const stats = rrl.stats();

    // The burst takes milliseconds: at most a token or two refills meanwhile.
    expect(got.full.length).toBeGreaterThanOrEqual(5);
    expect(got.full.length).toBeLessThanOrEqual(7);
    for (const r of got.full) expect(r.readUInt16BE(6)).toBeGreaterThan(0);
    const limited = 100 - got.full.length;
    expect(got.truncated.length).toBe(Math.floor(limited / 2));
    for (const r of got.truncated) {
      expect(r.readUInt16BE(0)).toBe(7);
      expect([r.readUInt16BE(6), r.readUInt16BE(8), r.readUInt16BE(10)]).toEqual([0, 0, 0]);
    }
    // The counters say what the client saw.
    expect(stats).toMatchObject({ checked: 100, limited, slipped: got.truncated.length, dropped: limited - got.truncated.length });
    // The server itself counted every query as received.
    expect(server.stats().received).toBeGreaterThanOrEqual(100);
  });

  it('leaves another client prefix and TCP alone while one prefix is limited', async () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 5, slip: 2, exemptLoopback: false });
    const { target } = await startDnsServer(zones, { rrl });
    const query = buildQuery({ id: 9, name: 'static.example.test.', type: 1 });
    await burst(target, '127.0.0.2', query, 50, () => (rrl.stats().checked === 50 ? 50 - rrl.stats().dropped : 0));
    expect(rrl.stats().limited).toBeGreaterThan(40);

    // 127.0.1.0/24 has its own bucket.
    const before = rrl.stats().limited;
    const other = await burst(target, '127.0.1.2', query, 5, () => 5);
    expect(other.full).toHaveLength(5);
    expect(other.truncated).toHaveLength(0);
    expect(rrl.stats().limited).toBe(before);

    // TCP from the limited prefix: every answer whole, nothing counted.
    const checked = rrl.stats().checked;
    const tcp = await tcpFrom(target, '127.0.0.2', Array.from({ length: 50 }, (_, i) => buildQuery({ id: i, name: 'static.example.test.', type: 1 })));
    expect(tcp).toHaveLength(50);
    for (const r of tcp) {
      expect(r.readUInt16BE(2) & TC).toBe(0);
      expect(r.readUInt16BE(6)).toBe(1);
    }
    expect(rrl.stats().checked).toBe(checked);
  });

  it('exempts loopback by default', async () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 5 });
    const { target } = await startDnsServer(zones, { rrl });
    const got = await burst(target, '127.0.0.2', buildQuery({ name: 'www.example.test.' }), 100, () => 100);
    expect(got.full).toHaveLength(100);
    expect(rrl.stats()).toMatchObject({ exempt: 100, limited: 0 });
  });
});
