import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDnsProbe } from '../../../checks/dns.js';
import { seededRandom } from '../../../lib/random.js';
import type { CheckSpec } from '../../../model/zone.js';
import { checkTarget } from '../../helpers/check-targets.js';
import { refusedPort, startDnsResponder, type DnsResponder } from '../../helpers/backends.js';

let responder: DnsResponder;
const dnsProbe = createDnsProbe(seededRandom(7));

beforeAll(async () => {
  responder = await startDnsResponder();
});
afterAll(async () => {
  await responder?.close();
});
beforeEach(() => {
  responder.set({ rcode: 0, silent: false, truncate: false, silentTcp: false });
  responder.queries.length = 0;
});

function probe(spec: Partial<CheckSpec> = {}, timeoutMs = 1000) {
  return dnsProbe.run(checkTarget('dns', responder, { timeoutMs, ...spec }), AbortSignal.timeout(timeoutMs));
}

describe('dns probe', () => {
  it('asks for the zone apex SOA by default, without recursion, and is ok on NOERROR', async () => {
    expect(await probe()).toMatchObject({ ok: true });
    expect(responder.queries).toEqual([expect.objectContaining({ qname: 'example.org.', qtype: 6, recursionDesired: false })]);
  });

  it('asks for qname/qtype as configured', async () => {
    expect(await probe({ qname: 'WWW.example.org.', qtype: 'AAAA' })).toMatchObject({ ok: true });
    expect(responder.queries[0]).toMatchObject({ qname: 'www.example.org.', qtype: 28 });
  });

  it('fails when the rcode differs from the expected one, and passes when it is the expected one', async () => {
    responder.set({ rcode: 3 });
    expect(await probe({ qname: 'nothing.example.org.' })).toMatchObject({ ok: false, reason: 'rcode NXDOMAIN' });
    expect(await probe({ qname: 'nothing.example.org.', rcode: 'NXDOMAIN' })).toMatchObject({ ok: true });
    responder.set({ rcode: 2 });
    expect(await probe()).toMatchObject({ ok: false, reason: 'rcode SERVFAIL' });
  });

  it('times out when the server does not answer', async () => {
    responder.set({ silent: true });
    expect(await probe({}, 200)).toMatchObject({ ok: false, reason: 'timeout after 200ms' });
    expect(responder.queries).toHaveLength(1);
  });

  it('fails fast with ECONNREFUSED when nothing listens on the port', async () => {
    const port = await refusedPort();
    const result = await dnsProbe.run(checkTarget('dns', { address: '127.0.0.1', port }, { timeoutMs: 1000 }), AbortSignal.timeout(1000));
    expect(result).toMatchObject({ ok: false, reason: 'ECONNREFUSED' });
  });

  it('asks again over TCP when the UDP answer is truncated, and judges the TCP answer', async () => {
    responder.set({ truncate: true, rcode: 3 });
    expect(await probe({ qname: 'big.example.org.', qtype: 'TXT', rcode: 'NXDOMAIN' })).toMatchObject({ ok: true });
    expect(responder.queries.map((q) => [q.transport, q.qname, q.qtype, q.recursionDesired])).toEqual([
      ['udp', 'big.example.org.', 16, false],
      ['tcp', 'big.example.org.', 16, false],
    ]);
    responder.set({ rcode: 2 });
    expect(await probe()).toMatchObject({ ok: false, reason: 'rcode SERVFAIL' });
  });

  it('times out when the TCP retry is never answered, within the one deadline', async () => {
    responder.set({ truncate: true, silentTcp: true });
    const started = performance.now();
    expect(await probe({}, 300)).toMatchObject({ ok: false, reason: 'timeout after 300ms' });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(responder.queries.map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('reports an unknown qtype without sending anything', async () => {
    expect(await probe({ qtype: 'BOGUS' })).toMatchObject({ ok: false, reason: 'unknown qtype BOGUS' });
    expect(responder.queries).toHaveLength(0);
  });
});
