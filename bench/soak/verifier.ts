/**
 * The soak's answer checker: queries a pool name on each DNS server at a steady rate over UDP,
 * decodes every answer and counts what a client would see: answered, SERVFAIL, other errors,
 * timeouts, empty answers, and answers that still contained a backend dead for longer than the
 * detection window (the figure that must stay 0).
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { decodeMessage } from '../lib/dns-decode.js';
import { Rcode } from '../../dns/wire/constants.js';

export interface VerifierTarget {
  readonly name: string;
  readonly port: number;
}

export interface VerifierCounts {
  sent: number;
  answered: number;
  servfail: number;
  /** Other non-NOERROR answers. */
  otherErrors: number;
  timeouts: number;
  /** NOERROR with no address. */
  empty: number;
  /** Answers naming a backend dead for longer than the detection window. */
  longDead: number;
  /** The worst case: how long a dead backend was still answered, ms after its death. */
  maxDeadAnsweredMs: number;
}

export interface LongDeadSample {
  readonly server: string;
  readonly address: string;
  readonly deadForMs: number;
}

interface Outstanding {
  readonly sentAt: number;
}

const TIMEOUT_MS = 1000;

function encodeQuery(id: number, qname: string): Buffer {
  const labels = qname.replace(/\.$/, '').split('.');
  const parts = [Buffer.from([id >> 8, id & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'latin1'));
  parts.push(Buffer.from([0, 0, 1, 0, 1]));
  return Buffer.concat(parts);
}

export class Verifier {
  readonly counts = new Map<string, VerifierCounts>();
  readonly samples: LongDeadSample[] = [];
  /** When each timed-out query was sent (ms since the epoch), to tell which fault it fell in. */
  readonly timeoutTimes: number[] = [];
  private readonly sockets: dgram.Socket[] = [];
  private readonly timers: NodeJS.Timeout[] = [];

  /**
   * @param deadSince when each backend address died (absent: alive), read at answer time
   * @param windowMs the detection window: answers naming a backend dead longer than this count
   */
  constructor(
    private readonly targets: readonly VerifierTarget[],
    private readonly qname: string,
    private readonly deadSince: ReadonlyMap<string, number>,
    private readonly windowMs: number,
  ) {}

  async start(everyMs: number): Promise<void> {
    for (const target of this.targets) {
      const counts: VerifierCounts = { sent: 0, answered: 0, servfail: 0, otherErrors: 0, timeouts: 0, empty: 0, longDead: 0, maxDeadAnsweredMs: 0 };
      this.counts.set(target.name, counts);
      const outstanding = new Map<number, Outstanding>();
      const socket = dgram.createSocket('udp4');
      this.sockets.push(socket);
      socket.on('message', (m) => this.onAnswer(target, counts, outstanding, m));
      socket.bind(0, '127.0.0.1');
      await once(socket, 'listening');
      let id = 0;
      this.timers.push(
        setInterval(() => {
          const now = Date.now();
          for (const [qid, o] of outstanding) {
            if (now - o.sentAt > TIMEOUT_MS) {
              outstanding.delete(qid);
              counts.timeouts++;
              this.timeoutTimes.push(o.sentAt);
            }
          }
          id = (id + 1) & 0xffff;
          if (outstanding.has(id)) return;
          outstanding.set(id, { sentAt: now });
          counts.sent++;
          socket.send(encodeQuery(id, this.qname), target.port, '127.0.0.1');
        }, everyMs),
      );
    }
  }

  /** Stops sending; waits a timeout for the last answers, then closes. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS));
    for (const s of this.sockets) s.close();
  }

  private onAnswer(target: VerifierTarget, counts: VerifierCounts, outstanding: Map<number, Outstanding>, m: Buffer): void {
    if (m.length < 12) return;
    const id = m.readUInt16BE(0);
    if (!outstanding.delete(id)) return; // late (already counted as a timeout) or unknown
    counts.answered++;
    const decoded = decodeMessage(m);
    if (!decoded.ok) {
      counts.otherErrors++;
      return;
    }
    const { rcode, answer } = decoded.message;
    if (rcode === Rcode.SERVFAIL) counts.servfail++;
    else if (rcode !== Rcode.NOERROR) counts.otherErrors++;
    if (rcode !== Rcode.NOERROR) return;
    const addresses = answer.flatMap((r) => (r.rdata.kind === 'A' ? [r.rdata.address] : []));
    if (addresses.length === 0) counts.empty++;
    const now = Date.now();
    for (const address of addresses) {
      const since = this.deadSince.get(address);
      if (since === undefined) continue;
      const deadFor = now - since;
      counts.maxDeadAnsweredMs = Math.max(counts.maxDeadAnsweredMs, deadFor);
      if (deadFor > this.windowMs) {
        counts.longDead++;
        if (this.samples.length < 10) this.samples.push({ server: target.name, address, deadForMs: deadFor });
      }
    }
  }
}
