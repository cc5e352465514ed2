/**
 * Shutdown under load (issue 7, faults/processes): closing drains in-flight TCP queries (every
 * complete query the server has read is answered, then FIN, no partial frame), `rondo serve`
 * exits 0 on SIGTERM with a client mid-stream, and a server restarted under load answers
 * correctly from its first packet.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { decodeMessage } from '../../../bench/lib/dns-decode.js';
import { buildQuery } from '../../helpers/dns-client.js';
import { startDnsServer } from '../../helpers/dns-server.js';
import { DNS_FIXTURES, fixtureZone, zoneSet } from '../../helpers/dns-zones.js';
import { freeDnsPort, startRondo, stopAllRondo } from '../../../bench/lib/rondo-process.js';

const zones = zoneSet(fixtureZone('example.test.zone'));

function framed(message: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(message.length);
  return Buffer.concat([len, message]);
}

/** Reads framed responses; `leftover()` is the octets of an incomplete frame at the end. */
function reader(socket: net.Socket): { count: () => number; leftover: () => number; ended: Promise<void> } {
  let count = 0;
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      pending = pending.subarray(2 + pending.readUInt16BE(0));
      count++;
    }
  });
  const ended = new Promise<void>((resolve, reject) => {
    socket.once('end', () => resolve());
    socket.once('error', reject);
  });
  return { count: () => count, leftover: () => pending.length, ended };
}

/** Waits until `read()` returns the same positive value twice `intervalMs` apart. */
async function settled(read: () => number, intervalMs = 100): Promise<number> {
  let last = -1;
  await expect
    .poll(
      () => {
        const now = read();
        const still = now === last && now > 0;
        last = now;
        return still;
      },
      { interval: intervalMs, timeout: 10_000 },
    )
    .toBe(true);
  return last;
}

describe('closing drains in-flight TCP queries', () => {
  it('answers every complete query it has read from a slow reader, then sends FIN', async () => {
    const { server, target } = await startDnsServer(zones, { closeTimeoutMs: 10_000 });
    const socket = net.connect({ host: target.host, port: target.port });
    onTestFinished(() => {
      socket.destroy();
    });
    await once(socket, 'connect');
    socket.pause();
    const flood = 50_000;
    socket.write(Buffer.concat(new Array<Buffer>(flood).fill(framed(buildQuery({ name: 'example.test.', type: 255 })))));
    // The server stops reading once its answers back up (the peer is not reading).
    const answeredBeforeClose = await settled(() => server.stats().tcp);
    expect(answeredBeforeClose).toBeLessThan(flood);

    const closing = server.close();
    const responses = reader(socket);
    socket.resume();
    await responses.ended;
    await closing;
    // Every query the server had taken in was answered (more than before close: those it had
    // read but not yet answered), and every frame is whole.
    expect(responses.count()).toBe(server.stats().tcp);
    expect(responses.count()).toBeGreaterThan(answeredBeforeClose);
    expect(responses.leftover()).toBe(0);
  });
});

describe('rondo serve under SIGTERM and restart', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-shutdown-'));
    await copyFile(path.join(DNS_FIXTURES, 'example.test.zone'), path.join(dir, 'example.test.zone'));
  });
  afterAll(async () => {
    await stopAllRondo();
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 on SIGTERM, delivering the answers of queries in flight as whole frames', async () => {
    const port = await freeDnsPort();
    const rondo = await startRondo(['serve', '--zones', dir, '--listen', `127.0.0.1:${port}`, '--log-level', 'info']);
    const socket = net.connect({ host: '127.0.0.1', port });
    onTestFinished(() => {
      socket.destroy();
    });
    await once(socket, 'connect');
    const responses = reader(socket);
    socket.write(Buffer.concat(new Array<Buffer>(20_000).fill(framed(buildQuery({ name: 'example.test.', type: 255 })))));
    await expect.poll(responses.count).toBeGreaterThan(0);
    const sigterm = Date.now();
    await rondo.kill('SIGTERM');
    expect(await rondo.exited).toBe(0);
    expect(Date.now() - sigterm).toBeLessThan(5000);
    await responses.ended;
    expect(responses.count()).toBeGreaterThan(0);
    expect(responses.leftover()).toBe(0);
    expect(rondo.logRecords().some((r) => r.msg === 'dns closed')).toBe(true);
  });

  it('answers correctly from its first packet after a restart under load', async () => {
    const port = await freeDnsPort();
    const args = ['serve', '--zones', dir, '--listen', `127.0.0.1:${port}`];
    const first = await startRondo(args, { name: 'dns-1' });
    // Steady load from one socket: a query every 2 ms, through the stop and the restart.
    const socket = dgram.createSocket('udp4');
    onTestFinished(() => {
      socket.close();
    });
    const answers: { at: number; ok: boolean }[] = [];
    socket.on('message', (m) => {
      const decoded = decodeMessage(m);
      const ok =
        decoded.ok &&
        decoded.message.rcode === 0 &&
        decoded.message.answer.length === 1 &&
        decoded.message.answer[0]?.rdata.kind === 'A' &&
        decoded.message.answer[0].rdata.address === '192.0.2.40';
      answers.push({ at: Date.now(), ok });
    });
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    let id = 0;
    const load = setInterval(() => socket.send(buildQuery({ id: ++id & 0xffff, name: 'static.example.test.' }), port, '127.0.0.1'), 2);
    onTestFinished(() => clearInterval(load));
    await expect.poll(() => answers.length).toBeGreaterThan(20);
    await first.stop();
    const down = answers.length;
    const second = await startRondo(args, { name: 'dns-2' });
    await expect.poll(() => answers.length, { timeout: 5000 }).toBeGreaterThan(down + 50);
    clearInterval(load);
    await second.stop();
    // Every answer, before and after the restart, was right: no SERVFAIL, no empty answer while loading.
    expect(answers.filter((a) => !a.ok)).toEqual([]);
  });
});
