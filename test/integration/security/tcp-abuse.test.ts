/**
 * TCP abuse (issue 7, RFC 7766): pipelined queries answered in order; idle connections closed
 * after the timeout (300 ms here); the connection cap refuses extras while the open ones keep
 * working, and idle connections that fill the cap free it at the idle timeout; a peer that sends
 * queries but never reads its answers is paused, not buffered without end, and does not starve
 * other clients; slow senders (one octet every 50 ms) neither hold the server nor outlive the
 * idle timeout.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildQuery, tcpExchange, udpQuery } from '../../helpers/dns-client.js';
import { startDnsServer } from '../../helpers/dns-server.js';
import { fixtureZone, zoneSet } from '../../helpers/dns-zones.js';
import type { DnsServerOptions } from '../../../dns/server.js';
import type { DnsTarget } from '../../helpers/dig.js';

const zones = zoneSet(fixtureZone('example.test.zone'));
const IDLE_MS = 300;

function framed(message: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(message.length);
  return Buffer.concat([len, message]);
}

async function connect(target: DnsTarget): Promise<net.Socket> {
  const socket = net.connect({ host: target.host, port: target.port });
  onTestFinished(() => {
    socket.destroy();
  });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

/** Counts framed responses arriving on `socket`; returns a getter and the IDs seen. */
function countResponses(socket: net.Socket): { count: () => number; ids: number[] } {
  const ids: number[] = [];
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      const n = pending.readUInt16BE(0);
      ids.push(pending.readUInt16BE(2));
      pending = pending.subarray(2 + n);
    }
  });
  return { count: () => ids.length, ids };
}

/**
 * When `socket` closes, however it closes: a reset (the server dropping a connection whose octets
 * it never read sends RST) is a way of closing here, so not `once(socket, 'close')`, which rejects
 * on the 'error' that comes first.
 */
function closed(socket: net.Socket): Promise<number> {
  const started = Date.now();
  if (socket.destroyed) return Promise.resolve(0);
  return new Promise((resolve) => socket.once('close', () => resolve(Date.now() - started)));
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

async function start(options: Partial<DnsServerOptions> = {}) {
  return startDnsServer(zones, { tcpIdleTimeoutMs: IDLE_MS, ...options });
}

describe('TCP abuse (RFC 7766)', () => {
  it('answers 10 queries pipelined in one write, in order', async () => {
    const { target } = await start();
    const ids = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
    const socket = await connect(target);
    const seen = countResponses(socket);
    socket.write(Buffer.concat(ids.map((id) => framed(buildQuery({ id, name: id % 2 ? 'www.example.test.' : 'static.example.test.' })))));
    await expect.poll(seen.count).toBe(10);
    expect(seen.ids).toEqual(ids);
  });

  it('closes an idle connection after the timeout, and one that sent half a length prefix', async () => {
    const { server, target } = await start();
    const idle = await connect(target);
    const half = await connect(target);
    half.write(Buffer.from([0]));
    const [idleMs, halfMs] = await Promise.all([closed(idle), closed(half)]);
    for (const ms of [idleMs, halfMs]) {
      expect(ms).toBeGreaterThanOrEqual(IDLE_MS - 50);
      expect(ms).toBeLessThan(IDLE_MS + 700);
    }
    expect(server.stats().tcpIdleClosed).toBe(2);
  });

  it('refuses connections over the cap while the open ones work, and frees the cap at the idle timeout', async () => {
    const { server, target } = await start({ maxTcpConnections: 5 });
    const holders = await Promise.all(Array.from({ length: 5 }, () => connect(target)));
    await expect.poll(() => server.stats().tcpOpen).toBe(5);
    const extra = await connect(target);
    await closed(extra);
    expect(server.stats().tcpRejected).toBeGreaterThanOrEqual(1);
    // An open connection still answers.
    const first = holders[0] as net.Socket;
    const seen = countResponses(first);
    first.write(framed(buildQuery({ id: 77, name: 'static.example.test.' })));
    await expect.poll(() => seen.ids).toEqual([77]);
    // Connections that only hold a slot are closed at the idle timeout; then newcomers get in.
    await Promise.all(holders.map(closed));
    await expect.poll(() => server.stats().tcpOpen).toBe(0);
    const [answer] = await tcpExchange(target, [buildQuery({ id: 78, name: 'static.example.test.' })]);
    expect(answer?.readUInt16BE(0)).toBe(78);
  });

  it('pauses a peer that does not read its answers, without starving other clients', async () => {
    const { server, target } = await start({ tcpIdleTimeoutMs: 10_000, maxTcpQueriesInFlight: 10 });
    const hog = await connect(target);
    hog.pause();
    const flood = 20_000;
    // ANY at the apex over TCP: every record of the apex, several hundred octets per answer.
    hog.write(Buffer.concat(new Array<Buffer>(flood).fill(framed(buildQuery({ name: 'example.test.', type: 255 })))));
    // The server stops reading the hog once its answers back up.
    let last = -1;
    await expect
      .poll(
        () => {
          const now = server.stats().tcp;
          const settled = now === last && now > 0;
          last = now;
          return settled;
        },
        { interval: 100, timeout: 10_000 },
      )
      .toBe(true);
    expect(server.stats().tcp).toBeLessThan(flood);
    // Meanwhile everyone else is answered promptly, over TCP and UDP.
    const tcp = await timed(() => tcpExchange(target, [buildQuery({ id: 5, name: 'static.example.test.' })]));
    expect(tcp.value[0]?.readUInt16BE(0)).toBe(5);
    expect(tcp.ms).toBeLessThan(500);
    const udp = await timed(() => udpQuery(target, buildQuery({ id: 6, name: 'static.example.test.' })));
    expect(udp.value.readUInt16BE(0)).toBe(6);
    expect(udp.ms).toBeLessThan(500);
    // And the hog gets every answer once it reads.
    const seen = countResponses(hog);
    hog.resume();
    await expect.poll(seen.count, { timeout: 20_000 }).toBe(flood);
  });

  it('keeps answering others while slow senders drip one octet every 50 ms, and closes them at the idle timeout', async () => {
    // A longer idle timeout here: the other clients' fresh connections must not meet it on a busy host.
    const idleMs = 600;
    const { server, target } = await start({ maxTcpConnections: 50, tcpIdleTimeoutMs: idleMs });
    const message = framed(buildQuery({ name: 'static.example.test.' }));
    const drippers = await Promise.all(Array.from({ length: 20 }, () => connect(target)));
    let sent = 0;
    const drip = setInterval(() => {
      sent++;
      for (const s of drippers) if (!s.destroyed && sent <= message.length) s.write(message.subarray(sent - 1, sent));
    }, 50);
    onTestFinished(() => clearInterval(drip));
    const endings = drippers.map(closed);

    // While they drip: other clients' queries come back at once, over UDP and TCP.
    let slowest = 0;
    for (let i = 0; i < 10; i++) {
      const udp = await timed(() => udpQuery(target, buildQuery({ id: 100 + i, name: 'www.example.test.' })));
      const tcp = await timed(() => tcpExchange(target, [buildQuery({ id: 200 + i, name: 'www.example.test.' })]));
      expect(udp.value.readUInt16BE(0)).toBe(100 + i);
      expect(tcp.value[0]?.readUInt16BE(0)).toBe(200 + i);
      slowest = Math.max(slowest, udp.ms, tcp.ms);
    }
    expect(slowest).toBeLessThan(250);

    // A whole query needs ~1.7 s at this pace; the idle timeout ends every dripper first.
    const lifetimes = await Promise.all(endings);
    expect(Math.max(...lifetimes)).toBeLessThan(idleMs + 700);
    expect(sent).toBeLessThan(message.length);
    expect(server.stats().tcpIdleClosed).toBeGreaterThanOrEqual(20);
  });

  it('is not slowed by a client that streams partial datagrams of garbage over UDP meanwhile', async () => {
    const { target } = await start();
    const noise = dgram.createSocket('udp4');
    onTestFinished(() => {
      noise.close();
    });
    noise.bind(0, '127.0.0.1');
    await once(noise, 'listening');
    const junk = setInterval(() => {
      for (let i = 0; i < 20; i++) noise.send(Buffer.from([i, 1, 2]), target.port, target.host);
    }, 5);
    onTestFinished(() => clearInterval(junk));
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => tcpExchange(target, [buildQuery({ id: i, name: 'static.example.test.' })])));
    expect(answers.map((a) => a[0]?.readUInt16BE(0))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
