/**
 * DNS clients for tests: dns2's UDP/TCP clients (an independent decoder, rendered to the same
 * presentation lines dig prints), a query builder for hand-made (also malformed) packets, and raw
 * UDP/TCP exchanges returning the response bytes.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import dns2 from 'dns2';
import type { DnsTarget } from './dig.js';

export type Dns2Packet = Awaited<ReturnType<ReturnType<typeof dns2.UDPClient>>>;
type Dns2Resource = Dns2Packet['answers'][number];

export interface ClientAnswer {
  readonly rcode: number;
  readonly flags: readonly string[];
  readonly answer: readonly string[];
  readonly authority: readonly string[];
  readonly additional: readonly string[];
  readonly packet: Dns2Packet;
}

const TYPE_NAMES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV' };

const abs = (name: string | undefined): string => (name === undefined || name === '' ? '.' : name.endsWith('.') ? name : `${name}.`);

/** dns2 resource → `owner ttl IN TYPE rdata`, as dig prints it. */
export function dns2Line(rr: Dns2Resource): string {
  const type = TYPE_NAMES[rr.type] ?? `TYPE${rr.type}`;
  let rdata: string;
  switch (type) {
    case 'A':
    case 'AAAA':
      rdata = rr.address ?? '';
      break;
    case 'NS':
      rdata = abs(rr.ns);
      break;
    case 'CNAME':
    case 'PTR':
      rdata = abs(rr.domain);
      break;
    case 'MX':
      rdata = `${rr.priority} ${abs(rr.exchange)}`;
      break;
    case 'SRV':
      rdata = `${rr.priority} ${rr.weight} ${rr.port} ${abs(rr.target)}`;
      break;
    case 'SOA':
      rdata = `${abs(rr.primary)} ${abs(rr.admin)} ${rr.serial} ${rr.refresh} ${rr.retry} ${String(rr.expiration)} ${rr.minimum}`;
      break;
    case 'TXT':
      rdata = (Array.isArray(rr.data) ? rr.data : [String(rr.data)]).map((s) => JSON.stringify(s)).join(' ');
      break;
    default:
      rdata = Buffer.isBuffer(rr.data) ? `\\# ${rr.data.length} ${rr.data.toString('hex').toUpperCase()}` : String(rr.data);
  }
  return `${abs(rr.name)} ${rr.ttl} IN ${type} ${rdata}`;
}

function toAnswer(packet: Dns2Packet): ClientAnswer {
  const h = packet.header;
  const flags = (['qr', 'aa', 'tc', 'rd', 'ra'] as const).filter((f) => h[f] === 1);
  return {
    rcode: h.rcode,
    flags,
    answer: packet.answers.map(dns2Line),
    authority: packet.authorities.map(dns2Line),
    // The OPT pseudo-record is not a record.
    additional: packet.additionals.filter((r) => r.type !== 41).map(dns2Line),
    packet,
  };
}

/** One query through dns2's client over UDP (no TCP retry: a TC answer is returned as is) or TCP. */
export async function dns2Query(target: DnsTarget, name: string, type = 'A', transport: 'udp' | 'tcp' = 'udp'): Promise<ClientAnswer> {
  if (transport === 'udp') {
    const client = dns2.UDPClient({ dns: target.host, port: target.port, timeout: 5000, retryOverTCP: false, socketType: net.isIPv6(target.host) ? 'udp6' : 'udp4' });
    return toAnswer(await client(name, type));
  }
  const client = dns2.TCPClient({ dns: target.host, port: target.port });
  return toAnswer(await client(name, type));
}

export interface QuerySpec {
  readonly id?: number;
  readonly name?: string;
  readonly type?: number;
  readonly klass?: number;
  readonly opcode?: number;
  readonly qr?: boolean;
  readonly rd?: boolean;
  /** Override QDCOUNT (the question is still written once unless `questions` says otherwise). */
  readonly qdcount?: number;
  /** How many times to write the question. Default 1. */
  readonly questions?: number;
  /** Add an OPT record. */
  readonly edns?: { readonly udpSize?: number; readonly version?: number; readonly dnssecOk?: boolean; readonly options?: readonly { code: number; data: Buffer }[] };
  /** Raw octets appended after everything (e.g. a second OPT); counted in ARCOUNT by `extraAdditional`. */
  readonly tail?: Buffer;
  readonly extraAdditional?: number;
}

/** Wire name from text; labels are written as given (no escapes), case kept. */
export function wireName(name: string): Buffer {
  const labels = name === '.' ? [] : name.replace(/\.$/, '').split('.');
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
}

export function ecsOption(family: 1 | 2, sourcePrefix: number, address: Buffer, scopePrefix = 0): { code: number; data: Buffer } {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(family, 0);
  head[2] = sourcePrefix;
  head[3] = scopePrefix;
  return { code: 8, data: Buffer.concat([head, address]) };
}

export function optRecord(edns: NonNullable<QuerySpec['edns']>): Buffer {
  const options = Buffer.concat(
    (edns.options ?? []).map((o) => {
      const h = Buffer.alloc(4);
      h.writeUInt16BE(o.code, 0);
      h.writeUInt16BE(o.data.length, 2);
      return Buffer.concat([h, o.data]);
    }),
  );
  const rr = Buffer.alloc(11);
  rr[0] = 0;
  rr.writeUInt16BE(41, 1);
  rr.writeUInt16BE(edns.udpSize ?? 1232, 3);
  rr[5] = 0;
  rr[6] = edns.version ?? 0;
  rr.writeUInt16BE(edns.dnssecOk ? 0x8000 : 0, 7);
  rr.writeUInt16BE(options.length, 9);
  return Buffer.concat([rr, options]);
}

export function buildQuery(spec: QuerySpec = {}): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(spec.id ?? 0x1234, 0);
  let flags = (spec.opcode ?? 0) << 11;
  if (spec.qr) flags |= 0x8000;
  if (spec.rd ?? true) flags |= 0x0100;
  header.writeUInt16BE(flags, 2);
  const questions = spec.questions ?? 1;
  header.writeUInt16BE(spec.qdcount ?? questions, 4);
  const opt = spec.edns ? optRecord(spec.edns) : Buffer.alloc(0);
  header.writeUInt16BE((spec.edns ? 1 : 0) + (spec.extraAdditional ?? 0), 10);
  const q = Buffer.concat([wireName(spec.name ?? 'www.example.test.'), Buffer.from([0, 0, 0, 0])]);
  q.writeUInt16BE(spec.type ?? 1, q.length - 4);
  q.writeUInt16BE(spec.klass ?? 1, q.length - 2);
  return Buffer.concat([header, ...new Array<Buffer>(questions).fill(q), opt, spec.tail ?? Buffer.alloc(0)]);
}

/**
 * Sends each message from one UDP socket, in order, and collects responses until `expect` have
 * arrived (matched by nothing: the caller inspects IDs). Rejects after `timeoutMs`.
 */
export async function udpExchange(target: DnsTarget, messages: readonly Buffer[], expect: number, timeoutMs = 5000): Promise<Buffer[]> {
  const socket = dgram.createSocket(net.isIPv6(target.host) ? 'udp6' : 'udp4');
  const responses: Buffer[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${responses.length} of ${expect} UDP responses within ${timeoutMs} ms`)), timeoutMs);
      socket.on('error', reject);
      socket.on('message', (msg) => {
        responses.push(msg);
        if (responses.length >= expect) {
          clearTimeout(timer);
          resolve();
        }
      });
      socket.bind(0, () => {
        // Sent back to back; loopback keeps the order, and the server answers in order.
        for (const m of messages) socket.send(m, target.port, target.host);
      });
    });
  } finally {
    socket.close();
  }
  return responses;
}

export async function udpQuery(target: DnsTarget, message: Buffer, timeoutMs = 5000): Promise<Buffer> {
  const [response] = await udpExchange(target, [message], 1, timeoutMs);
  if (!response) throw new Error('no UDP response');
  return response;
}

/** Frames each message with its 2-octet length (RFC 1035 §4.2.2) on one connection; returns `expect` responses. */
export async function tcpExchange(target: DnsTarget, messages: readonly Buffer[], expect = messages.length, timeoutMs = 5000): Promise<Buffer[]> {
  const socket = net.connect({ host: target.host, port: target.port });
  const responses: Buffer[] = [];
  try {
    await once(socket, 'connect');
    for (const m of messages) {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(m.length);
      socket.write(Buffer.concat([len, m]));
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${responses.length} of ${expect} TCP responses within ${timeoutMs} ms`)), timeoutMs);
      let pending = Buffer.alloc(0);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      if (expect === 0) done();
      socket.on('error', reject);
      socket.on('close', () => {
        clearTimeout(timer);
        if (responses.length >= expect) resolve();
        else reject(new Error(`connection closed after ${responses.length} of ${expect} TCP responses`));
      });
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
          const n = pending.readUInt16BE(0);
          responses.push(pending.subarray(2, 2 + n));
          pending = pending.subarray(2 + n);
        }
        if (responses.length >= expect) done();
      });
    });
  } finally {
    socket.destroy();
  }
  return responses;
}

export async function tcpQuery(target: DnsTarget, message: Buffer, timeoutMs = 5000): Promise<Buffer> {
  const [response] = await tcpExchange(target, [message], 1, timeoutMs);
  if (!response) throw new Error('no TCP response');
  return response;
}
