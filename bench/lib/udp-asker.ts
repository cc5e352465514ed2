/**
 * Plain DNS A questions over UDP for the benchmarks: a query builder, an answer's addresses, and
 * one socket asking one server with answers matched by id.
 */
import dgram from 'node:dgram';

/** Query for `name` A with this id (RD off). */
export function aQuery(id: number, name: string): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(1, 4);
  const labels = name.replace(/\.$/, '').split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

/** The A addresses in an answer section, sorted. */
export function answerAddresses(msg: Buffer): string[] {
  let offset = 12;
  const skipName = () => {
    for (;;) {
      const len = msg[offset] ?? 0;
      if ((len & 0xc0) === 0xc0) return void (offset += 2);
      offset += 1 + len;
      if (len === 0) return;
    }
  };
  for (let i = msg.readUInt16BE(4); i > 0; i--) {
    skipName();
    offset += 4;
  }
  const out: string[] = [];
  for (let i = msg.readUInt16BE(6); i > 0 && offset < msg.length; i--) {
    skipName();
    const type = msg.readUInt16BE(offset);
    const len = msg.readUInt16BE(offset + 8);
    offset += 10;
    if (type === 1 && len === 4) out.push([...msg.subarray(offset, offset + 4)].join('.'));
    offset += len;
  }
  return out.sort();
}

/** One UDP socket asking one server for `name` A, matched by id; answers the sorted addresses. */
export class UdpAsker {
  private readonly socket = dgram.createSocket('udp4');
  private readonly waiting = new Map<number, (addresses: string[] | undefined) => void>();
  private nextId = 1;

  constructor(private readonly port: number) {
    this.socket.on('message', (msg) => {
      if (msg.length < 12) return;
      const resolve = this.waiting.get(msg.readUInt16BE(0));
      if (!resolve) return;
      this.waiting.delete(msg.readUInt16BE(0));
      resolve((msg.readUInt16BE(2) & 0xf) === 0 ? answerAddresses(msg) : undefined);
    });
  }

  ask(name: string, timeoutMs = 200): Promise<string[] | undefined> {
    const id = (this.nextId = (this.nextId % 0xffff) + 1);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(id, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
      this.socket.send(aQuery(id, name), this.port, '127.0.0.1');
    });
  }

  close(): void {
    this.socket.close();
  }
}


export function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}
