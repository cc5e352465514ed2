import dgram from 'node:dgram';
import net from 'node:net';
import type dns2 from 'dns2';
import type { Random } from '../lib/random.js';
import { systemRandom } from '../lib/random.js';
import { rcodeName, rcodeValue } from '../model/rcode.js';
import { RRType, type Target } from '../model/zone.js';
import { abortReason, elapsedMs, errorReason, settleProbe } from './abort-reason.js';
import type { Probe, ProbeResult } from './types.js';
import { onFirstUse } from '../lib/on-first-use.js';

/** dns2's packet codec, loaded by the first DNS check (zones without one never load it). */
const packetCodec = onFirstUse<typeof dns2>('dns2');

/** A query type written as a mnemonic (`AAAA`) or `TYPEnnn` (RFC 3597 §5); undefined when unknown. */
export function qtypeValue(text: string): number | undefined {
  const upper = text.trim().toUpperCase();
  const generic = /^TYPE(\d+)$/.exec(upper);
  if (generic) {
    const n = Number(generic[1]);
    return n <= 0xffff ? n : undefined;
  }
  return Object.hasOwn(RRType, upper) ? RRType[upper as keyof typeof RRType] : undefined;
}

/** The check's query, encoded by dns2: one question, class IN, RD clear (the checked server is expected to be authoritative). */
export function dnsCheckQuery(id: number, qname: string, qtype: number): Buffer {
  const { Packet } = packetCodec();
  const packet = new Packet();
  packet.header.id = id & 0xffff;
  packet.header.rd = 0;
  packet.questions.push(new Packet.Question(qname, qtype, Packet.CLASS.IN));
  return packet.toBuffer();
}

/** A response decoded by dns2, or undefined when it does not decode. */
function decode(message: Buffer): dns2.Packet | undefined {
  try {
    return packetCodec().Packet.parse(message);
  } catch {
    return undefined;
  }
}

/**
 * One query for `qname`/`qtype` (default: the zone's apex, SOA) to the target, encoded and decoded
 * with dns2; up when the answer's rcode is the expected one (`rcode=`, default NOERROR). Over UDP
 * first: only datagrams from the target's address and port with the query's ID and the QR bit
 * count, anything else is ignored until the deadline. A truncated answer (TC) is asked again over
 * TCP (RFC 7766 §5), within the same deadline. The probe's signal ends both.
 */
export function createDnsProbe(random: Random = systemRandom): Probe {
  return {
    run(target: Target, signal: AbortSignal): Promise<ProbeResult> {
      const spec = target.check;
      const start = performance.now();
      if (signal.aborted) return Promise.resolve({ ok: false, latencyMs: 0, reason: abortReason(signal, target) });
      const qtype = qtypeValue(spec.qtype);
      const expected = rcodeValue(spec.rcode);
      if (qtype === undefined) return Promise.resolve({ ok: false, latencyMs: 0, reason: `unknown qtype ${spec.qtype}` });
      if (expected === undefined) return Promise.resolve({ ok: false, latencyMs: 0, reason: `unknown rcode ${spec.rcode}` });
      const id = Math.floor(random.next() * 0x10000) & 0xffff;
      let query: Buffer;
      try {
        query = dnsCheckQuery(id, spec.qname ?? target.zone, qtype);
      } catch (err) {
        return Promise.resolve({ ok: false, latencyMs: 0, reason: errorReason(err) });
      }

      return new Promise<ProbeResult>((resolve) => {
        let udp: dgram.Socket | undefined = dgram.createSocket(net.isIPv6(target.address) ? 'udp6' : 'udp4');
        let tcp: net.Socket | undefined;
        const finish = settleProbe(signal, target, start, resolve, (error) => {
          udp?.close();
          udp = undefined;
          tcp?.destroy(error);
        });
        const fail = (err: unknown) => finish({ ok: false, latencyMs: elapsedMs(start), reason: signal.aborted ? abortReason(signal, target) : errorReason(err) });
        const judge = (response: dns2.Packet) => {
          const latencyMs = elapsedMs(start);
          const rcode = response.header.rcode;
          if (rcode === expected) finish({ ok: true, latencyMs });
          else finish({ ok: false, latencyMs, reason: `rcode ${rcodeName(rcode) ?? `RCODE${rcode}`}` });
        };
        const overTcp = () => {
          udp?.close();
          udp = undefined;
          const socket = net.connect({ host: target.address, port: target.port });
          tcp = socket;
          socket.on('error', fail);
          socket.once('connect', () => {
            const length = Buffer.alloc(2);
            length.writeUInt16BE(query.length, 0);
            socket.write(Buffer.concat([length, query]));
            packetCodec().Packet.readStream(socket).then((message) => {
              const response = decode(message);
              if (!response || response.header.id !== id || !response.header.qr) fail(new Error('TCP answer is not a response to the query'));
              else judge(response);
            }, fail);
          });
        };
        udp.on('error', fail);
        udp.on('message', (message, from) => {
          if (from.port !== target.port) return;
          const response = decode(message);
          if (!response || response.header.id !== id || !response.header.qr) return;
          if (response.header.tc) overTcp();
          else judge(response);
        });
        // connect() makes the kernel drop datagrams from anyone else and report ICMP port
        // unreachable as ECONNREFUSED on the next send/receive.
        const socket = udp;
        socket.connect(target.port, target.address, () => {
          if (udp !== socket) return;
          socket.send(query, (err) => {
            if (err) fail(err);
          });
        });
      });
    },
  };
}

export const dnsProbe: Probe = createDnsProbe();
