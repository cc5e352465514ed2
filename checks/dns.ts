import dgram from 'node:dgram';
import net from 'node:net';
import type { Random } from '../lib/random.js';
import { systemRandom } from '../lib/random.js';
import type { Target } from '../model/zone.js';
import { abortReason, elapsedMs, errorReason } from './abort-reason.js';
import { buildQuery, parseResponseHeader, qtypeValue, rcodeName, rcodeValue } from './dns-packet.js';
import type { Probe, ProbeResult } from './types.js';

/**
 * One UDP query for `qname`/`qtype` (default: the zone's apex, SOA) to the target; up when the
 * answer's rcode is the expected one (`rcode=`, default NOERROR). Only datagrams from the target's
 * address and port with the query's ID and the QR bit count; anything else is ignored until the
 * deadline.
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
        query = buildQuery(id, spec.qname ?? target.zone, qtype);
      } catch (err) {
        return Promise.resolve({ ok: false, latencyMs: 0, reason: errorReason(err) });
      }

      return new Promise<ProbeResult>((resolve) => {
        const socket = dgram.createSocket(net.isIPv6(target.address) ? 'udp6' : 'udp4');
        let settled = false;
        const finish = (result: ProbeResult) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          socket.close();
          resolve(result);
        };
        const onAbort = () => finish({ ok: false, latencyMs: elapsedMs(start), reason: abortReason(signal, target) });
        signal.addEventListener('abort', onAbort, { once: true });
        socket.on('error', (err) => finish({ ok: false, latencyMs: elapsedMs(start), reason: errorReason(err) }));
        socket.on('message', (message, from) => {
          if (from.port !== target.port) return;
          const header = parseResponseHeader(message);
          if (!header || header.id !== id || !header.isResponse) return;
          const latencyMs = elapsedMs(start);
          if (header.rcode === expected) finish({ ok: true, latencyMs });
          else finish({ ok: false, latencyMs, reason: `rcode ${rcodeName(header.rcode)}` });
        });
        // connect() makes the kernel drop datagrams from anyone else and report ICMP port
        // unreachable as ECONNREFUSED on the next send/receive.
        socket.connect(target.port, target.address, () => {
          if (settled) return;
          socket.send(query, (err) => {
            if (err) finish({ ok: false, latencyMs: elapsedMs(start), reason: errorReason(err) });
          });
        });
      });
    },
  };
}

export const dnsProbe: Probe = createDnsProbe();
