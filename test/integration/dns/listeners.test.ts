/**
 * Listener behaviour on real sockets: RFC 7766 TCP (idle timeout that a slow sender cannot
 * extend, connection limit, pipelining under a reader that does not read), bind errors as
 * ConfigErrors, and a graceful close that still delivers answers already asked for.
 */
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError } from '../../../lib/errors.js';
import { silentLogger } from '../../../lib/logger.js';
import { DnsServer } from '../../../dns/server.js';
import { RoundRobinSelector } from '../../helpers/round-robin-selector.js';
import { buildQuery, tcpExchange } from '../../helpers/dns-client.js';
import { dig } from '../../helpers/dig.js';
import { fixtureZone, zoneSet } from '../../helpers/dns-zones.js';

const zones = zoneSet(fixtureZone('example.test.zone'));

async function start(options: { tcpIdleTimeoutMs?: number; maxTcpConnections?: number; closeTimeoutMs?: number } = {}): Promise<DnsServer> {
  const server = new DnsServer({ zones: () => zones, selector: new RoundRobinSelector(), logger: silentLogger(), ...options });
  onTestFinished(() => server.close());
  await server.start([{ host: '127.0.0.1', port: 0 }]);
  return server;
}

function portOf(server: DnsServer): number {
  const port = server.addresses()[0]?.port;
  if (port === undefined) throw new Error('not listening');
  return port;
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port });
  onTestFinished(() => {
    socket.destroy();
  });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

function framed(message: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(message.length);
  return Buffer.concat([len, message]);
}

describe('TCP (RFC 7766)', () => {
  it('closes a connection that sends nothing within the idle timeout', async () => {
    const server = await start({ tcpIdleTimeoutMs: 150 });
    const socket = await connect(portOf(server));
    const started = Date.now();
    await once(socket, 'close');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(server.stats().tcpIdleClosed).toBe(1);
  });

  it('does not let a slow sender extend the idle timeout with partial messages', async () => {
    const server = await start({ tcpIdleTimeoutMs: 300 });
    const socket = await connect(portOf(server));
    const message = framed(buildQuery({ name: 'static.example.test.' }));
    const started = Date.now();
    // One octet every 50 ms: the message would take well over a second to arrive.
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < message.length && !socket.destroyed) socket.write(message.subarray(sent, ++sent));
    }, 50);
    onTestFinished(() => clearInterval(drip));
    await once(socket, 'close');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(server.stats().tcpIdleClosed).toBe(1);
  });

  it('resets the idle timer on each complete query', async () => {
    const server = await start({ tcpIdleTimeoutMs: 400 });
    const socket = await connect(portOf(server));
    let answers = 0;
    socket.on('data', () => answers++);
    for (let i = 0; i < 4; i++) {
      socket.write(framed(buildQuery({ id: i, name: 'static.example.test.' })));
      await once(socket, 'data');
      await new Promise((r) => setTimeout(r, 150)); // spacing the queries is the point of this test
    }
    expect(socket.destroyed).toBe(false);
    expect(answers).toBeGreaterThanOrEqual(4);
  });

  it('closes connections beyond the limit on accept, keeping the ones it has', async () => {
    const server = await start({ maxTcpConnections: 1 });
    const port = portOf(server);
    const first = await connect(port);
    await expect.poll(() => server.stats().tcpOpen).toBe(1);
    const second = await connect(port);
    await once(second, 'close');
    expect(server.stats().tcpRejected).toBe(1);
    first.write(framed(buildQuery({ id: 42, name: 'static.example.test.' })));
    const [data] = (await once(first, 'data')) as [Buffer];
    expect(data.readUInt16BE(2)).toBe(42);
  });

  it('answers many pipelined queries sent in one write', async () => {
    const server = await start();
    const ids = Array.from({ length: 250 }, (_, i) => i + 1);
    const responses = await tcpExchange({ host: '127.0.0.1', port: portOf(server) }, ids.map((id) => buildQuery({ id, name: 'www.example.test.' })));
    expect(responses.map((r) => r.readUInt16BE(0))).toEqual(ids);
  });

  it('stops reading from a peer that does not read its answers, and resumes when it does', async () => {
    const server = await start();
    const socket = await connect(portOf(server));
    socket.pause();
    const query = framed(buildQuery({ name: 'example.test.', type: 255 }));
    const count = 5000;
    socket.write(Buffer.concat(new Array<Buffer>(count).fill(query)));
    let received = 0;
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        pending = pending.subarray(2 + pending.readUInt16BE(0));
        received++;
      }
    });
    socket.resume();
    await expect.poll(() => received, { timeout: 10_000 }).toBe(count);
  });
});

describe('binding', () => {
  it('binds UDP and TCP on the same port when given port 0', async () => {
    const server = await start();
    const port = portOf(server);
    const udp = await dig({ host: '127.0.0.1', port }, 'static.example.test.');
    const tcp = await dig({ host: '127.0.0.1', port }, 'static.example.test.', 'A', { tcp: true });
    expect([udp.status, tcp.status]).toEqual(['NOERROR', 'NOERROR']);
  });

  it('refuses an address in use with a ConfigError naming it', async () => {
    const first = await start();
    const port = portOf(first);
    const second = new DnsServer({ zones: () => zones, selector: new RoundRobinSelector(), logger: silentLogger() });
    onTestFinished(() => second.close());
    const err = await second.start([{ host: '127.0.0.1', port }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('DNS_LISTEN_IN_USE');
    expect((err as ConfigError).message).toContain(`127.0.0.1:${port}`);
    expect(second.addresses()).toEqual([]);
  });

  it('refuses an address that is not local', async () => {
    const server = new DnsServer({ zones: () => zones, selector: new RoundRobinSelector(), logger: silentLogger() });
    onTestFinished(() => server.close());
    const err = await server.start([{ host: '192.0.2.1', port: 0 }]).catch((e: unknown) => e);
    expect((err as ConfigError).code).toBe('DNS_LISTEN_UNAVAILABLE');
  });
});

describe('close()', () => {
  it('delivers answers already asked for, then stops listening', async () => {
    const server = await start({ closeTimeoutMs: 1000 });
    const port = portOf(server);
    const socket = await connect(port);
    const data = once(socket, 'data');
    socket.write(framed(buildQuery({ id: 314, name: 'static.example.test.' })));
    await expect.poll(() => server.stats().tcp).toBe(1);
    await server.close();
    const [answer] = (await data) as [Buffer];
    expect(answer.readUInt16BE(2)).toBe(314);
    const refused = net.connect({ host: '127.0.0.1', port });
    const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('destroys connections still open at the deadline', async () => {
    const server = await start({ closeTimeoutMs: 100 });
    const socket = await connect(portOf(server));
    // The peer never ends its side; close() must not wait for it.
    socket.on('end', () => undefined);
    socket.pause();
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
