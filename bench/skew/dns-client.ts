/**
 * A tiny UDP DNS client for the skew testbed: one socket, responses matched by ID, no cache, no
 * retries (the virtual clients keep answers themselves, by class).
 */
import dgram from 'node:dgram';

export interface DnsAnswer {
  readonly rcode: number;
  /** A records of the answer section, in order. */
  readonly addresses: readonly string[];
  /** TTL of the first A record (seconds), 0 without one. */
  readonly ttl: number;
}

/** Skips a (possibly compressed) name; returns the offset after it. */
function skipName(msg: Buffer, at: number): number {
  for (let i = 0; i < 128; i++) {
    const len = msg[at];
    if (len === undefined) throw new Error('truncated name');
    if (len === 0) return at + 1;
    if ((len & 0xc0) === 0xc0) return at + 2;
    at += len + 1;
  }
  throw new Error('name too long');
}

function encodeQuery(id: number, name: string, qtype: number): Buffer {
  const labels = name.replace(/\.$/, '').split('.');
  const parts = [Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'ascii'));
  parts.push(Buffer.from([0, qtype >> 8, qtype & 0xff, 0, 1]));
  return Buffer.concat(parts);
}

function decodeAnswer(msg: Buffer): DnsAnswer {
  const rcode = (msg[3] ?? 0) & 0x0f;
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  let at = 12;
  for (let i = 0; i < qd; i++) at = skipName(msg, at) + 4;
  const addresses: string[] = [];
  let ttl = 0;
  for (let i = 0; i < an; i++) {
    at = skipName(msg, at);
    const type = msg.readUInt16BE(at);
    const rdlength = msg.readUInt16BE(at + 8);
    if (type === 1 && addresses.length === 0) ttl = msg.readUInt32BE(at + 4);
    at += 10;
    if (type === 1 && rdlength === 4) addresses.push(`${msg[at]}.${msg[at + 1]}.${msg[at + 2]}.${msg[at + 3]}`);
    at += rdlength;
  }
  return { rcode, addresses, ttl };
}

/** A UDP DNS client on one socket; matches responses by ID. No cache, no retries. */
export class DnsClient {
  private readonly socket = dgram.createSocket('udp4');
  private readonly pending = new Map<number, { resolve: (a: DnsAnswer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private nextId = Math.floor(Math.random() * 0xffff);

  /** `localAddress`: send from this address (a client's own address, for ECS tests). */
  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs = 2000,
    localAddress?: string,
  ) {
    if (localAddress !== undefined) this.socket.bind({ address: localAddress, port: 0 });
    this.socket.on('message', (msg) => {
      if (msg.length < 12) return;
      const entry = this.pending.get(msg.readUInt16BE(0));
      if (!entry) return;
      this.pending.delete(msg.readUInt16BE(0));
      clearTimeout(entry.timer);
      try {
        entry.resolve(decodeAnswer(msg));
      } catch (err) {
        entry.reject(err as Error);
      }
    });
    this.socket.unref();
  }

  query(name: string, qtype = 1): Promise<DnsAnswer> {
    let id = (this.nextId = (this.nextId + 1) & 0xffff);
    for (let i = 0; this.pending.has(id) && i < 0x10000; i++) id = (this.nextId = (this.nextId + 1) & 0xffff);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer for ${name} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.send(encodeQuery(id, name, qtype), this.port, this.host);
    });
  }

  close(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('client closed'));
    }
    this.pending.clear();
    this.socket.close();
  }
}
