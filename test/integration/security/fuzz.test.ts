/**
 * Fuzzing the listeners (issue 7): seeded, bounded in count and time, reproducible with
 * RONDO_FUZZ_SEED. Each packet belongs to a category whose expected outcome is stated here,
 * independently of the parser:
 * - shorter than a header, or QR=1 (a response sent to us): never answered;
 * - headered but malformed (truncated body, QDCOUNT 0 or >1, label/name overflow, pointer loops
 *   and forward pointers, bad OPT records): FORMERR with the same ID;
 * - unknown classes and types, random bytes, mutated queries with QR=0: answered with the same ID,
 *   a message that decodes, never SERVFAIL.
 * Every batch ends with a normal query that must be answered correctly; packets are matched to
 * answers by ID, and a packet that must stay unanswered is checked by order (the server answers
 * in order, so its answer would arrive before the probe's). A sample of responses also gets a
 * 200 ms window in which nothing may arrive.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom, type Random } from '../../../lib/random.js';
import { decodeMessage } from '../../../bench/lib/dns-decode.js';
import { buildQuery, optRecord, wireName } from '../../helpers/dns-client.js';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.js';
import { fixtureZone, zoneSet } from '../../helpers/dns-zones.js';

const SEED = Number(process.env.RONDO_FUZZ_SEED ?? 0x7e57);
const UDP_PACKETS = 5000;
const TCP_MESSAGES = 300;
const BATCH = 50;
const DEADLINE_MS = 30_000;
const PROBE_ID = 0xfff0;

type Outcome = 'silent' | 'formerr' | 'answered';
interface Case {
  readonly category: string;
  readonly packet: Buffer;
  readonly expect: Outcome;
}

const NAMES = ['www.example.test.', 'static.example.test.', 'example.test.', 'nothere.example.test.', 'a.sub.example.test.', 'x.wild.example.test.', 'www.example.org.'];
const TYPES = [1, 28, 16, 15, 6, 2, 5, 255, 33];

const int = (rng: Random, n: number): number => Math.floor(rng.next() * n);
const pick = <T>(rng: Random, items: readonly T[]): T => items[int(rng, items.length)] as T;
const bytes = (rng: Random, n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(rng, 256)));

function validQuery(rng: Random): Buffer {
  return buildQuery({ name: pick(rng, NAMES), type: pick(rng, TYPES), edns: rng.next() < 0.5 ? { udpSize: 512 + int(rng, 4000) } : undefined });
}

/** A header (QR=0, QUERY) with the given counts, then `body`. */
function headered(counts: [number, number, number, number], body: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0x0100, 2);
  counts.forEach((c, i) => h.writeUInt16BE(c, 4 + i * 2));
  return Buffer.concat([h, body]);
}

const question = (name: Buffer, type = 1, klass = 1): Buffer => Buffer.concat([name, Buffer.from([type >> 8, type & 0xff, klass >> 8, klass & 0xff])]);
const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
/** A resource record header + rdata: owner, type, class, ttl, rdlength (may lie), rdata. */
const record = (owner: Buffer, type: number, klass: number, rdata: Buffer, rdlength = rdata.length): Buffer =>
  Buffer.concat([owner, u16(type), u16(klass), Buffer.from([0, 0, 0, 0]), u16(rdlength), rdata]);

const GENERATORS: Record<string, (rng: Random) => Case> = {
  'random-bytes': (rng) => {
    const packet = bytes(rng, int(rng, 600));
    const silent = packet.length < 12 || ((packet[2] ?? 0) & 0x80) !== 0;
    return { category: 'random-bytes', packet, expect: silent ? 'silent' : 'answered' };
  },
  'truncated-header': (rng) => ({ category: 'truncated-header', packet: validQuery(rng).subarray(0, int(rng, 12)), expect: 'silent' }),
  'truncated-body': (rng) => {
    const q = validQuery(rng);
    return { category: 'truncated-body', packet: q.subarray(0, 12 + int(rng, q.length - 12)), expect: 'formerr' };
  },
  qdcount: (rng) => {
    const written = int(rng, 4);
    const claimed = rng.next() < 0.5 ? 0 : 2 + int(rng, 65534);
    const packet = buildQuery({ name: pick(rng, NAMES), questions: written, qdcount: written === 1 && claimed === 1 ? 2 : claimed });
    return { category: 'qdcount', packet, expect: 'formerr' };
  },
  'label-overflow': (rng) => {
    const variants = [
      // A label longer than what is left of the message.
      () => headered([1, 0, 0, 0], Buffer.concat([Buffer.from([63]), bytes(rng, int(rng, 40))])),
      // Label types 01 and 10 (extended, obsolete).
      () => headered([1, 0, 0, 0], question(Buffer.concat([Buffer.from([0x40 + int(rng, 0x40)]), Buffer.from('abc'), Buffer.from([0])]))),
      () => headered([1, 0, 0, 0], question(Buffer.concat([Buffer.from([0x80 + int(rng, 0x40)]), Buffer.from('abc'), Buffer.from([0])]))),
      // A name over 255 octets: five 63-octet labels.
      () => headered([1, 0, 0, 0], question(wireName(Array.from({ length: 5 }, () => 'a'.repeat(63)).join('.') + '.'))),
      // A name with no terminating root label.
      () => headered([1, 0, 0, 0], Buffer.from([3, 0x77, 0x77, 0x77, 4, 0x74, 0x65])),
    ];
    return { category: 'label-overflow', packet: pick(rng, variants)(), expect: 'formerr' };
  },
  compression: (rng) => {
    const variants = [
      // The question name points at itself.
      () => headered([1, 0, 0, 0], question(Buffer.from([0xc0, 12]))),
      // A forward pointer, to somewhere later in the message.
      () => headered([1, 0, 0, 0], Buffer.concat([question(Buffer.from([0xc0, 20 + int(rng, 100)])), bytes(rng, 120)])),
      // Two names pointing at each other: the question's tail and an additional record's owner.
      () => headered([1, 0, 0, 1], Buffer.concat([question(Buffer.from([1, 0x61, 0xc0, 22])), record(Buffer.from([0xc0, 14]), 1, 1, Buffer.alloc(4))])),
      // A record owner pointing past the end.
      () => headered([1, 0, 0, 1], Buffer.concat([question(wireName('www.example.test.')), record(Buffer.from([0xff, 0xff]), 1, 1, Buffer.alloc(4))])),
      // A pointer cut in half at the end of the message.
      () => headered([1, 0, 0, 0], Buffer.from([1, 0x61, 0xc0])),
    ];
    return { category: 'compression', packet: pick(rng, variants)(), expect: 'formerr' };
  },
  'bad-opt': (rng) => {
    const q = question(wireName(pick(rng, NAMES)));
    const opt = optRecord({ udpSize: 1232 });
    const variants = [
      // RFC 6891 §6.1.1: two OPT records.
      () => headered([1, 0, 0, 2], Buffer.concat([q, opt, opt])),
      // §6.1.2: an OPT owner other than the root.
      () => headered([1, 0, 0, 1], Buffer.concat([q, record(wireName('x.example.test.'), 41, 1232, Buffer.alloc(0))])),
      // OPT in the answer or authority section.
      () => headered([1, 1, 0, 0], Buffer.concat([q, opt])),
      () => headered([1, 0, 1, 0], Buffer.concat([q, opt])),
      // RDLENGTH running past the message.
      () => headered([1, 0, 0, 1], Buffer.concat([q, record(Buffer.from([0]), 41, 1232, Buffer.alloc(2), 10 + int(rng, 1000))])),
      // An option whose length runs past the OPT rdata.
      () => headered([1, 0, 0, 1], Buffer.concat([q, record(Buffer.from([0]), 41, 1232, Buffer.concat([u16(10), u16(50), Buffer.alloc(4)]))])),
      // An option header cut short.
      () => headered([1, 0, 0, 1], Buffer.concat([q, record(Buffer.from([0]), 41, 1232, Buffer.from([0, 8, 0]))])),
      // Client Subnet with a family we do not know, or an address longer than its prefix.
      () => headered([1, 0, 0, 1], Buffer.concat([q, record(Buffer.from([0]), 41, 1232, Buffer.concat([u16(8), u16(8), u16(3), Buffer.from([24, 0, 192, 0, 2, 0])]))])),
      () => headered([1, 0, 0, 1], Buffer.concat([q, record(Buffer.from([0]), 41, 1232, Buffer.concat([u16(8), u16(8), u16(1), Buffer.from([8, 0, 192, 0, 2, 0])]))])),
      // Bytes after the last record.
      () => headered([1, 0, 0, 1], Buffer.concat([q, opt, bytes(rng, 1 + int(rng, 20))])),
      // OPT as the question type.
      () => headered([1, 0, 0, 0], question(wireName('www.example.test.'), 41)),
    ];
    return { category: 'bad-opt', packet: pick(rng, variants)(), expect: 'formerr' };
  },
  'unknown-class-type': (rng) => {
    const klass = pick(rng, [0, 1, 2, 3, 4, 254, 255, 0x0100 + int(rng, 0xfe00)]);
    let type = rng.next() < 0.5 ? int(rng, 65536) : pick(rng, [0, 3, 4, 99, 250, 251, 252, 253, 254, 65280, 65535]);
    if (type === 41) type = 42; // OPT as a question type is a FORMERR, tested under bad-opt
    return { category: 'unknown-class-type', packet: headered([1, 0, 0, 0], question(wireName(pick(rng, NAMES)), type, klass)), expect: 'answered' };
  },
  'response-qr': (rng) => {
    const packet = rng.next() < 0.5 ? validQuery(rng) : Buffer.concat([bytes(rng, 12), bytes(rng, int(rng, 200))]);
    packet[2] = (packet[2] ?? 0) | 0x80;
    return { category: 'response-qr', packet, expect: 'silent' };
  },
  mutated: (rng) => {
    const packet = Buffer.from(validQuery(rng));
    for (let i = 1 + int(rng, 4); i > 0; i--) packet[2 + int(rng, packet.length - 2)] = int(rng, 256);
    return { category: 'mutated', packet, expect: ((packet[2] ?? 0) & 0x80) !== 0 ? 'silent' : 'answered' };
  },
};

const CATEGORIES = Object.keys(GENERATORS);

function generate(rng: Random, count: number): Case[] {
  // Every category in turn, so each is covered whatever the count.
  return Array.from({ length: count }, (_, i) => (GENERATORS[CATEGORIES[i % CATEGORIES.length] ?? ''] as (r: Random) => Case)(rng));
}

/** Gives each packet of a batch its own ID (when it is long enough to have one). */
function stamp(batch: readonly Case[], base: number): Case[] {
  return batch.map((c, i) => {
    if (c.packet.length < 2) return c;
    const packet = Buffer.from(c.packet);
    packet.writeUInt16BE((base + i) & 0xffff, 0);
    return { ...c, packet };
  });
}

const probe = buildQuery({ id: PROBE_ID, name: 'static.example.test.', type: 1 });

function checkProbe(response: Buffer | undefined, where: string): void {
  expect(response, `no answer to the probe ${where}`).toBeDefined();
  const decoded = decodeMessage(response ?? Buffer.alloc(0));
  expect(decoded.ok, where).toBe(true);
  if (!decoded.ok) return;
  expect(decoded.message.rcode, where).toBe(0);
  expect(decoded.message.answer.map((r) => (r.rdata.kind === 'A' ? r.rdata.address : '')), where).toEqual(['192.0.2.40']);
}

/** Checks each case against the responses carrying its ID. */
function checkBatch(batch: readonly Case[], responses: readonly Buffer[], where: string): void {
  const byId = new Map<number, Buffer[]>();
  for (const r of responses) {
    const id = r.readUInt16BE(0);
    byId.set(id, [...(byId.get(id) ?? []), r]);
  }
  for (const c of batch) {
    const what = `${where} (seed ${SEED}) ${c.category} ${c.packet.toString('hex')}`;
    const got = c.packet.length >= 2 ? (byId.get(c.packet.readUInt16BE(0)) ?? []) : [];
    if (c.expect === 'silent') {
      expect(got, `answered a packet that must be dropped: ${what}`).toHaveLength(0);
      continue;
    }
    expect(got, `no single answer: ${what}`).toHaveLength(1);
    const decoded = decodeMessage(got[0] ?? Buffer.alloc(0));
    expect(decoded.ok, `answer does not decode: ${what}`).toBe(true);
    if (!decoded.ok) continue;
    expect(decoded.message.flags.qr, what).toBe(true);
    if (c.expect === 'formerr') expect(decoded.message.rcode, what).toBe(1);
    else expect(decoded.message.rcode, `SERVFAIL: ${what}`).not.toBe(2);
  }
}

async function udpBatch(socket: dgram.Socket, target: { host: string; port: number }, batch: readonly Case[]): Promise<Buffer[]> {
  const responses: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no probe answer within 3 s after ${responses.length} responses (seed ${SEED})`)), 3000);
    const onMessage = (m: Buffer): void => {
      if (m.readUInt16BE(0) === PROBE_ID) {
        clearTimeout(timer);
        socket.off('message', onMessage);
        responses.push(m);
        resolve();
      } else responses.push(m);
    };
    socket.on('message', onMessage);
    for (const c of batch) socket.send(c.packet, target.port, target.host);
    socket.send(probe, target.port, target.host);
  });
  return responses;
}

async function tcpBatch(target: { host: string; port: number }, batch: readonly Case[]): Promise<Buffer[]> {
  const socket = net.connect({ host: target.host, port: target.port });
  socket.on('error', () => undefined);
  try {
    await once(socket, 'connect');
    const responses: Buffer[] = [];
    let pending = Buffer.alloc(0);
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no probe answer over TCP within 3 s (seed ${SEED})`)), 3000);
      socket.on('close', () => reject(new Error(`connection closed after ${responses.length} responses (seed ${SEED})`)));
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
          const message = pending.subarray(2, 2 + pending.readUInt16BE(0));
          pending = pending.subarray(2 + message.length);
          responses.push(message);
          if (message.readUInt16BE(0) === PROBE_ID) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
    });
    socket.write(Buffer.concat([...batch.map((c) => c.packet), probe].map((m) => Buffer.concat([u16(m.length), m]))));
    await done;
    return responses;
  } finally {
    socket.destroy();
  }
}

describe(`fuzzing the listeners (seed ${SEED})`, () => {
  let dns: TestDnsServer;
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown): void => {
    uncaught.push(err);
  };

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    dns = await startDnsServer(zoneSet(fixtureZone('example.test.zone')));
  });
  afterAll(() => {
    process.off('uncaughtException', onUncaught);
  });

  it(`answers or drops ${UDP_PACKETS} malformed UDP packets as their category says, and keeps answering`, async () => {
    const rng = seededRandom(SEED);
    const cases = generate(rng, UDP_PACKETS);
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const deadline = Date.now() + DEADLINE_MS;
    const before = dns.server.stats().received;
    try {
      for (let i = 0; i < cases.length; i += BATCH) {
        expect(Date.now(), `fuzzing ran past its deadline at packet ${i}`).toBeLessThan(deadline);
        const batch = stamp(cases.slice(i, i + BATCH), i);
        const responses = await udpBatch(socket, dns.target, batch);
        checkProbe(responses[responses.length - 1], `after UDP packet ${i + batch.length}`);
        checkBatch(batch, responses.slice(0, -1), `UDP batch at ${i}`);
      }
    } finally {
      socket.close();
    }
    // Every packet reached the handler (none lost before it), and nothing escaped.
    expect(dns.server.stats().received - before).toBe(cases.length + Math.ceil(cases.length / BATCH));
    expect(uncaught).toEqual([]);
    const counts = Object.fromEntries(CATEGORIES.map((c) => [c, cases.filter((x) => x.category === c).length]));
    expect(Math.min(...Object.values(counts))).toBeGreaterThanOrEqual(Math.floor(UDP_PACKETS / CATEGORIES.length));
  });

  it(`answers or drops ${TCP_MESSAGES} malformed TCP messages, on connections that keep working`, async () => {
    const rng = seededRandom(SEED + 1);
    const cases = generate(rng, TCP_MESSAGES);
    const deadline = Date.now() + DEADLINE_MS;
    for (let i = 0; i < cases.length; i += 30) {
      expect(Date.now(), `fuzzing ran past its deadline at message ${i}`).toBeLessThan(deadline);
      const batch = stamp(cases.slice(i, i + 30), i);
      const responses = await tcpBatch(dns.target, batch);
      checkProbe(responses[responses.length - 1], `after TCP message ${i + batch.length}`);
      checkBatch(batch, responses.slice(0, -1), `TCP batch at ${i}`);
    }
    expect(uncaught).toEqual([]);
  });

  it('sends nothing at all back to responses (QR=1), within a 200 ms window', async () => {
    const rng = seededRandom(SEED + 2);
    const socket = dgram.createSocket('udp4');
    const received: Buffer[] = [];
    socket.on('message', (m) => received.push(m));
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    try {
      for (let i = 0; i < 40; i++) socket.send((GENERATORS['response-qr'] as (r: Random) => Case)(rng).packet, dns.target.port, dns.target.host);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the window in which nothing may arrive
      expect(received).toEqual([]);
    } finally {
      socket.close();
    }
  });
});
