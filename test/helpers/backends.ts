/**
 * Real backends on loopback for check tests: an HTTP server whose answers the test steers, a
 * server that accepts and never answers, a TCP listener that can be stopped and started again on
 * the same port, a refused port, an HTTPS server with a self-signed certificate made at test time,
 * and a tiny UDP DNS responder. Every helper binds 127.0.0.1 port 0; each returns `close()`, which
 * the test registers right away.
 */
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const LOOPBACK = '127.0.0.1';

function boundPort(server: net.Server | dgram.Socket): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server is not bound to a TCP/UDP port');
  return address.port;
}

/** Closes a server and every connection it still holds, so tests never wait for keep-alive. */
async function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  if (!server.listening) return;
  const closed = once(server, 'close');
  server.close();
  for (const socket of sockets) socket.destroy();
  await closed;
}

function trackSockets(server: net.Server, event: 'connection' | 'secureConnection' = 'connection'): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on(event, (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

// ---------------------------------------------------------------------------------------------
// HTTP(S)

export interface HttpBehaviour {
  status: number;
  body: string;
  headers: Record<string, string>;
  /** Delay before the response headers are sent. */
  delayMs: number;
  /** Accept the request and never answer. */
  hang: boolean;
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** TLS SNI the client sent (HTTPS only; undefined when none). */
  readonly servername: string | undefined;
}

export interface HttpBackend {
  readonly address: string;
  readonly port: number;
  /** Every request seen, oldest first. */
  readonly requests: RecordedRequest[];
  /** Changes how the next requests are answered. */
  set(behaviour: Partial<HttpBehaviour>): void;
  close(): Promise<void>;
}

function makeHandler(state: HttpBehaviour, requests: RecordedRequest[], pending: Set<http.ServerResponse>): http.RequestListener {
  return (req, res) => {
    const socket = req.socket as Partial<TLSSocket>;
    const servername = typeof socket.servername === 'string' ? socket.servername : undefined;
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, servername });
    if (state.hang) {
      pending.add(res);
      return;
    }
    const { status, body, headers, delayMs } = state;
    const answer = () => {
      res.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
      res.end(body);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  };
}

const DEFAULT_BEHAVIOUR: HttpBehaviour = { status: 200, body: 'ok', headers: {}, delayMs: 0, hang: false };

export async function startHttpBackend(initial: Partial<HttpBehaviour> = {}): Promise<HttpBackend> {
  const state: HttpBehaviour = { ...DEFAULT_BEHAVIOUR, ...initial };
  const requests: RecordedRequest[] = [];
  const pending = new Set<http.ServerResponse>();
  const server = http.createServer(makeHandler(state, requests, pending));
  const sockets = trackSockets(server);
  server.listen(0, LOOPBACK);
  await once(server, 'listening');
  return {
    address: LOOPBACK,
    port: boundPort(server),
    requests,
    set: (behaviour) => Object.assign(state, behaviour),
    close: () => closeServer(server, sockets),
  };
}

export interface SelfSignedCertificate {
  readonly key: Buffer;
  readonly cert: Buffer;
}

/** A fresh self-signed certificate for `commonName` (also its DNS subjectAltName), made by openssl. */
export async function makeSelfSignedCertificate(commonName: string): Promise<SelfSignedCertificate> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-cert-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    await execFileAsync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '1',
        '-subj', `/CN=${commonName}`, '-addext', `subjectAltName=DNS:${commonName}`,
      ],
      { timeout: 20_000 },
    );
    return { key: await readFile(keyFile), cert: await readFile(certFile) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface HttpsBackend extends HttpBackend {
  readonly certificate: SelfSignedCertificate;
}

export async function startHttpsBackend(commonName: string, initial: Partial<HttpBehaviour> = {}): Promise<HttpsBackend> {
  const certificate = await makeSelfSignedCertificate(commonName);
  const state: HttpBehaviour = { ...DEFAULT_BEHAVIOUR, ...initial };
  const requests: RecordedRequest[] = [];
  const pending = new Set<http.ServerResponse>();
  const server = https.createServer({ key: certificate.key, cert: certificate.cert }, makeHandler(state, requests, pending));
  // Track raw TCP connections too: a handshake the client refuses never becomes a secureConnection.
  const sockets = trackSockets(server);
  server.listen(0, LOOPBACK);
  await once(server, 'listening');
  return {
    address: LOOPBACK,
    port: boundPort(server),
    requests,
    certificate,
    set: (behaviour) => Object.assign(state, behaviour),
    close: () => closeServer(server, sockets),
  };
}

// ---------------------------------------------------------------------------------------------
// Raw TCP

export interface HangingBackend {
  readonly address: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  close(): Promise<void>;
}

/** Accepts connections and never writes a byte: an HTTP check against it can only time out. */
export async function startHangingBackend(): Promise<HangingBackend> {
  let accepted = 0;
  const server = net.createServer(() => {
    accepted += 1;
  });
  const sockets = trackSockets(server);
  server.listen(0, LOOPBACK);
  await once(server, 'listening');
  return { address: LOOPBACK, port: boundPort(server), accepted: () => accepted, close: () => closeServer(server, sockets) };
}

export interface TcpBackend {
  readonly address: string;
  readonly port: number;
  readonly listening: () => boolean;
  /** Closes the listener and drops its connections: connects are refused from now on. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP listener that accepts and closes each connection; stop()/start() keep the port. */
export async function startTcpBackend(): Promise<TcpBackend> {
  let port = 0;
  let server: net.Server | undefined;
  let sockets = new Set<net.Socket>();
  const listen = async () => {
    const s = net.createServer((socket) => socket.end());
    sockets = trackSockets(s);
    s.listen(port, LOOPBACK);
    await once(s, 'listening');
    server = s;
    port = boundPort(s);
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    if (s) await closeServer(s, sockets);
  };
  await listen();
  return {
    address: LOOPBACK,
    port,
    listening: () => server !== undefined,
    stop,
    start: async () => {
      if (!server) await listen();
    },
    close: stop,
  };
}

/** A loopback port nothing listens on (bound once to pick it, then released): connects are refused. */
export async function refusedPort(): Promise<number> {
  // A port free for TCP and, at this moment, for UDP too (the dns check sends a datagram there).
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = net.createServer();
    server.listen(0, LOOPBACK);
    await once(server, 'listening');
    const port = boundPort(server);
    const udp = dgram.createSocket('udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, LOOPBACK, () => resolve(true));
    });
    if (udpFree) udp.close();
    server.close();
    await once(server, 'close');
    if (udpFree) return port;
  }
  throw new Error('no port free for both TCP and UDP in 20 attempts');
}

// ---------------------------------------------------------------------------------------------
// DNS over UDP

export interface DnsQuerySeen {
  readonly id: number;
  /** Lowercase, absolute. */
  readonly qname: string;
  readonly qtype: number;
  readonly recursionDesired: boolean;
  readonly transport: 'udp' | 'tcp';
}

export interface DnsResponder {
  readonly address: string;
  /** The UDP and TCP port (the same number for both). */
  readonly port: number;
  readonly queries: DnsQuerySeen[];
  /**
   * rcode of the next answers (0 NOERROR, 3 NXDOMAIN, ...); `silent` drops queries unanswered;
   * `truncate` sets TC on UDP answers (the TCP listener answers in full); `silentTcp` accepts TCP
   * queries and never answers.
   */
  set(behaviour: { rcode?: number; silent?: boolean; truncate?: boolean; silentTcp?: boolean }): void;
  close(): Promise<void>;
}

function readQuestion(message: Buffer): { qname: string; qtype: number; end: number } | undefined {
  let offset = 12;
  const labels: string[] = [];
  while (offset < message.length) {
    const length = message[offset] ?? 0;
    offset += 1;
    if (length === 0) break;
    labels.push(message.subarray(offset, offset + length).toString('utf8').toLowerCase());
    offset += length;
  }
  if (offset + 4 > message.length) return undefined;
  return { qname: `${labels.join('.')}.`, qtype: message.readUInt16BE(offset), end: offset + 4 };
}

/**
 * Answers every query with a header-only response (question echoed, no records) and a chosen
 * rcode, over UDP and over TCP (two-octet length prefix, RFC 1035 §4.2.2) on the same port.
 */
export async function startDnsResponder(initial: { rcode?: number; silent?: boolean; truncate?: boolean; silentTcp?: boolean } = {}): Promise<DnsResponder> {
  const state = { rcode: 0, silent: false, truncate: false, silentTcp: false, ...initial };
  const queries: DnsQuerySeen[] = [];
  const answer = (message: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined => {
    if (message.length < 12) return undefined;
    const question = readQuestion(message);
    if (!question) return undefined;
    const id = message.readUInt16BE(0);
    const flags = message.readUInt16BE(2);
    queries.push({ id, qname: question.qname, qtype: question.qtype, recursionDesired: (flags & 0x0100) !== 0, transport });
    if (transport === 'udp' ? state.silent : state.silentTcp) return undefined;
    const response = Buffer.from(message.subarray(0, question.end));
    // QR=1, AA=1, TC on UDP when truncating, RD copied, RCODE from the behaviour; QDCOUNT=1, other counts 0.
    const tc = transport === 'udp' && state.truncate ? 0x0200 : 0;
    response.writeUInt16BE(0x8000 | 0x0400 | tc | (flags & 0x0100) | (state.rcode & 0x0f), 2);
    response.writeUInt16BE(1, 4);
    response.writeUInt16BE(0, 6);
    response.writeUInt16BE(0, 8);
    response.writeUInt16BE(0, 10);
    return response;
  };
  const connections = new Set<net.Socket>();
  const tcp = net.createServer((conn) => {
    connections.add(conn);
    conn.on('close', () => connections.delete(conn));
    conn.on('error', () => conn.destroy());
    let buffered = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const message = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + message.length);
        const response = answer(message, 'tcp');
        if (!response) continue;
        const length = Buffer.alloc(2);
        length.writeUInt16BE(response.length, 0);
        conn.write(Buffer.concat([length, response]));
      }
    });
  });
  // UDP takes a free port; TCP then needs the same number, which another process may hold for
  // TCP (an outgoing connection's ephemeral port: CI saw EADDRINUSE). Then try another port.
  let socket: dgram.Socket | undefined;
  let port = 0;
  for (let attempt = 1; socket === undefined; attempt++) {
    const udp = dgram.createSocket('udp4');
    udp.on('message', (message, from) => {
      const response = answer(message, 'udp');
      if (response) udp.send(response, from.port, from.address);
    });
    udp.bind(0, LOOPBACK);
    await once(udp, 'listening');
    port = boundPort(udp);
    try {
      tcp.listen(port, LOOPBACK);
      await once(tcp, 'listening');
      socket = udp;
    } catch (err) {
      udp.close();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw err;
    }
  }
  const udp = socket;
  return {
    address: LOOPBACK,
    port,
    queries,
    set: (behaviour) => Object.assign(state, behaviour),
    close: async () => {
      const closed = once(udp, 'close');
      udp.close();
      for (const conn of connections) conn.destroy();
      const tcpClosed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      await Promise.all([closed, tcpClosed]);
    },
  };
}
