/**
 * The DNS server on real sockets (127.0.0.1 and ::1, port 0), asked by the real `dig` and by
 * dns2's client over UDP and TCP. Covers: AA answers, rotation, NXDOMAIN/NODATA with the
 * negative SOA, empty non-terminals, REFUSED, CNAME chains and loops, wildcards and their
 * blocking, referrals with glue, ANY, EDNS echo (DO, ECS), BADVERS, TC over UDP and the whole
 * answer over TCP, FORMERR, NOTIMP, dropped responses, case echo, and surviving garbage.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../bench/lib/dns-decode.js';
import { parseQuery } from '../../../dns/wire/parse-query.js';
import { presentMessage } from '../../helpers/presentation.js';
import { dig, expectRR, expectSection } from '../../helpers/dig.js';
import { buildQuery, dns2Query, ecsOption, tcpExchange, tcpQuery, udpExchange, udpQuery } from '../../helpers/dns-client.js';
import { startDnsServer } from '../../helpers/dns-server.js';
import { fixtureZone, zoneFromText, zoneSet } from '../../helpers/dns-zones.js';
import { seededRandom } from '../../../lib/random.js';

const SOA_NEG = 'example.test. 30 IN SOA ns1.example.test. hostmaster.example.test. 2026112101 7200 900 1209600 30';

/** A zone whose answers do not fit in 512 octets: a big TXT RRset and a 60-member pool. */
function bigZone(): string {
  const lines = ['$ORIGIN big.test.', '$TTL 60', '@ IN SOA ns1 hostmaster 1 7200 900 1209600 30', '@ IN NS ns1', 'ns1 IN A 192.0.2.53'];
  for (let i = 0; i < 12; i++) lines.push(`txt IN TXT "${`chunk ${i} `.padEnd(80, 'x')}"`);
  for (let i = 1; i <= 60; i++) lines.push(`pool IN A 192.0.2.${i}`);
  return lines.join('\n') + '\n';
}

const zones = zoneSet(fixtureZone('example.test.zone'), zoneFromText(bigZone(), 'big.test.zone'));
const { server, target, targets } = await startDnsServer(zones, {
  listen: [
    { host: '127.0.0.1', port: 0 },
    { host: '::1', port: 0 },
  ],
});

describe.each(['udp', 'tcp'] as const)('answers over %s (dig)', (transport) => {
  const tcp = transport === 'tcp';

  it('answers with AA and no RA, RD copied', async () => {
    const r = await dig(target, 'static.example.test.', 'A', { tcp });
    expect(r.status).toBe('NOERROR');
    expect(r.flags).toEqual(['qr', 'aa', 'rd']);
    expectSection(r.answer, ['static.example.test. 300 IN A 192.0.2.40']);
    const norec = await dig(target, 'static.example.test.', 'A', { tcp, recurse: false });
    expect(norec.flags).toEqual(['qr', 'aa']);
  });

  it('rotates the first address of a pool', async () => {
    const firsts = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await dig(target, 'www.example.test.', 'A', { tcp });
      expect(r.answer).toHaveLength(3);
      firsts.add(r.answer[0] ?? '');
    }
    expect(firsts.size).toBe(3);
  });

  it('answers NXDOMAIN with the SOA at the negative TTL', async () => {
    const r = await dig(target, 'nope.example.test.', 'A', { tcp });
    expect(r.status).toBe('NXDOMAIN');
    expect(r.flags).toContain('aa');
    expectSection(r.authority, [SOA_NEG]);
  });

  it('answers NODATA, and NODATA for an empty non-terminal', async () => {
    for (const name of ['static.example.test.', 'b.c.example.test.']) {
      const r = await dig(target, name, 'AAAA', { tcp });
      expect(r.status).toBe('NOERROR');
      expect(r.answer).toEqual([]);
      expectSection(r.authority, [SOA_NEG]);
    }
  });

  it('REFUSES names outside its zones, without AA', async () => {
    const r = await dig(target, 'www.example.org.', 'A', { tcp });
    expect(r.status).toBe('REFUSED');
    expect(r.flags).not.toContain('aa');
  });

  it('follows a CNAME chain and stops on a loop', async () => {
    const chain = await dig(target, 'chain1.example.test.', 'A', { tcp });
    expect(chain.answer).toEqual([
      'chain1.example.test. 300 IN CNAME chain2.example.test.',
      'chain2.example.test. 300 IN CNAME static.example.test.',
      'static.example.test. 300 IN A 192.0.2.40',
    ]);
    const loop = await dig(target, 'loop1.example.test.', 'A', { tcp });
    expect(loop.status).toBe('NOERROR');
    expect(loop.answer).toHaveLength(2);
    const dangling = await dig(target, 'dangling.example.test.', 'A', { tcp });
    expect(dangling.status).toBe('NXDOMAIN');
    expect(dangling.flags).toContain('aa');
  });

  it('synthesises from a wildcard unless an empty non-terminal blocks it', async () => {
    const r = await dig(target, 'Some.Wild.example.test.', 'A', { tcp });
    expectSection(r.answer, ['Some.Wild.example.test. 300 IN A 192.0.2.60']);
    const blocked = await dig(target, 'zzz.sub.wild.example.test.', 'A', { tcp });
    expect(blocked.status).toBe('NXDOMAIN');
  });

  it('refers below a delegation with AA=0 and glue', async () => {
    const r = await dig(target, 'host.sub.example.test.', 'A', { tcp });
    expect(r.status).toBe('NOERROR');
    expect(r.flags).not.toContain('aa');
    expectSection(r.authority, ['sub.example.test. 300 IN NS ns.sub.example.test.', 'sub.example.test. 300 IN NS ns.elsewhere.example.org.']);
    expectSection(r.additional, ['ns.sub.example.test. 300 IN A 192.0.2.80', 'ns.sub.example.test. 300 IN AAAA 2001:db8::80']);
  });

  it('echoes the question case', async () => {
    const r = await dig(target, 'sTaTiC.Example.TEST.', 'A', { tcp });
    expect(r.question).toEqual(['sTaTiC.Example.TEST. IN A']);
    expectRR(r.answer, 'sTaTiC.Example.TEST. 300 IN A 192.0.2.40');
  });

  it('echoes EDNS: our payload size, the DO bit, ECS with scope 0', async () => {
    const plain = await dig(target, 'static.example.test.', 'A', { tcp });
    expect(plain.edns).toEqual({ version: 0, flags: [], udp: 1232 });
    const withDo = await dig(target, 'static.example.test.', 'A', { tcp, dnssec: true });
    expect(withDo.edns?.flags).toEqual(['do']);
    const withEcs = await dig(target, 'static.example.test.', 'A', { tcp, subnet: '198.51.100.0/24' });
    expect(withEcs.edns?.subnet).toBe('198.51.100.0/24/0');
    const noEdns = await dig(target, 'static.example.test.', 'A', { tcp, edns: false });
    expect(noEdns.edns).toBeUndefined();
  });

  it('answers EDNS version 1 with BADVERS', async () => {
    const r = await dig(target, 'static.example.test.', 'A', { tcp, edns: 1 });
    expect(r.status).toBe('BADVERS');
    expect(r.edns?.version).toBe(0);
    expect(r.answer).toEqual([]);
  });
});

describe('ANY (RFC 8482)', () => {
  it('answers one RRset over UDP and all of them over TCP', async () => {
    const udp = await dig(target, 'static.example.test.', 'ANY');
    expect(udp.status).toBe('NOERROR');
    expect(udp.answer).toHaveLength(1);
    const tcp = await dig(target, 'static.example.test.', 'ANY', { tcp: true });
    expectSection(tcp.answer, ['static.example.test. 300 IN A 192.0.2.40', 'static.example.test. 300 IN TXT "hello"']);
  });
});

describe('truncation', () => {
  it('sets TC over UDP when the answer exceeds 512 octets without EDNS', async () => {
    for (const [name, type] of [
      ['txt.big.test.', 'TXT'],
      ['pool.big.test.', 'A'],
    ] as const) {
      const r = await dig(target, name, type, { edns: false });
      expect(r.flags).toContain('tc');
      expect(r.answer).toEqual([]);
      expect(r.question).toEqual([`${name} IN ${type}`]);
    }
  });

  it('keeps the OPT record in a truncated response', async () => {
    const r = await dig(target, 'txt.big.test.', 'TXT', { bufsize: 512 });
    expect(r.flags).toContain('tc');
    expect(r.edns?.udp).toBe(1232);
  });

  it('honours a larger advertised size, and answers whole over TCP', async () => {
    const udp = await dig(target, 'txt.big.test.', 'TXT', { bufsize: 4096 });
    expect(udp.flags).not.toContain('tc');
    expect(udp.answer).toHaveLength(12);
    const tcp = await dig(target, 'pool.big.test.', 'A', { tcp: true, edns: false });
    expect(tcp.flags).not.toContain('tc');
    expect(tcp.answer).toHaveLength(60);
  });

  it('hands dns2 the TC bit over UDP and the whole RRset over TCP', async () => {
    const udp = await dns2Query(target, 'pool.big.test', 'A', 'udp');
    expect(udp.flags).toContain('tc');
    const tcp = await dns2Query(target, 'pool.big.test', 'A', 'tcp');
    expect(tcp.answer).toHaveLength(60);
  });
});

describe.each(['udp', 'tcp'] as const)('dns2 client over %s', (transport) => {
  it('gets an authoritative answer and a negative one with the SOA', async () => {
    const ok = await dns2Query(target, 'static.example.test', 'A', transport);
    expect(ok.flags).toContain('aa');
    expect(ok.answer).toEqual(['static.example.test. 300 IN A 192.0.2.40']);
    const nx = await dns2Query(target, 'nope.example.test', 'A', transport);
    expect(nx.rcode).toBe(3);
    expect(nx.authority).toEqual([SOA_NEG]);
  });

  it('gets MX with the exchange address in additional', async () => {
    const r = await dns2Query(target, 'example.test', 'MX', transport);
    expect(r.answer).toEqual(['example.test. 300 IN MX 10 mail.example.test.']);
    expect(r.additional).toEqual(['mail.example.test. 300 IN A 192.0.2.25']);
  });
});

describe('malformed and unusual queries', () => {
  const raw = async (message: Buffer, transport: 'udp' | 'tcp') => presentMessage(transport === 'udp' ? await udpQuery(target, message) : await tcpQuery(target, message));

  it.each(['udp', 'tcp'] as const)('FORMERR for QDCOUNT 0 and 2 and a bad name, echoing the ID (%s)', async (transport) => {
    const none = await raw(buildQuery({ id: 1001, questions: 0 }), transport);
    expect(none.rcode).toBe('FORMERR');
    expect(none.message.id).toBe(1001);
    const two = await raw(buildQuery({ id: 1002, questions: 2 }), transport);
    expect(two.rcode).toBe('FORMERR');
    expect(two.message.id).toBe(1002);
    const badName = Buffer.concat([buildQuery({ id: 1003, questions: 0 }).subarray(0, 12), Buffer.from([0xc0, 0x20, 0, 1, 0, 1])]);
    badName.writeUInt16BE(1, 4);
    const bad = await raw(badName, transport);
    expect(bad.rcode).toBe('FORMERR');
    expect(bad.message.id).toBe(1003);
  });

  it('NOTIMP for an opcode other than QUERY', async () => {
    const r = await raw(buildQuery({ id: 77, opcode: 4 }), 'udp');
    expect(r.rcode).toBe('NOTIMP');
    expect(r.question).toEqual(['www.example.test. IN A']);
  });

  it('drops responses (QR=1) and answers the next query', async () => {
    const dropped = server.stats().dropped;
    const responses = await udpExchange(target, [buildQuery({ id: 501, qr: true }), buildQuery({ id: 502, name: 'static.example.test.' })], 1);
    expect(responses.map((r) => r.readUInt16BE(0))).toEqual([502]);
    expect(server.stats().dropped).toBe(dropped + 1);
  });

  it('echoes an ECS option with scope 0 from a hand-made query', async () => {
    const r = await raw(buildQuery({ name: 'static.example.test.', edns: { options: [ecsOption(2, 48, Buffer.from([0x20, 0x01, 0x0d, 0xb8, 0, 1]))] } }), 'udp');
    expect(r.edns?.ecs).toBe('2/48/0/20010db80001');
  });

  it('survives garbage on both transports and keeps answering', async () => {
    const rng = seededRandom(7);
    const junk: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      const buf = buildQuery({ id: i, name: 'www.example.test.', edns: {} });
      for (let f = 0; f < 3; f++) buf[Math.floor(rng.next() * buf.length)] = Math.floor(rng.next() * 256);
      junk.push(buf.subarray(0, 1 + Math.floor(rng.next() * buf.length)));
    }
    const probe = buildQuery({ id: 9999, name: 'static.example.test.' });
    // The parser decides locally which junk deserves an answer; the server must send exactly those.
    const answered = junk.filter((m) => parseQuery(m).kind !== 'drop').length;
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(junk.length);
    // In batches: a burst of 300 datagrams would overflow loopback socket buffers, not the server.
    const udp: Buffer[] = [];
    for (let i = 0; i < junk.length; i += 25) {
      const batch = junk.slice(i, i + 25);
      const want = batch.filter((m) => parseQuery(m).kind !== 'drop').length;
      udp.push(...(await udpExchange(target, [...batch, probe], want + 1)));
    }
    expect(udp).toHaveLength(answered + Math.ceil(junk.length / 25));
    expect(udp.every((m) => decodeMessage(m).ok)).toBe(true);
    const tcp = await tcpExchange(target, [...junk, probe], answered + 1);
    expect(tcp[tcp.length - 1]?.readUInt16BE(0)).toBe(9999);
    const after = await dig(target, 'static.example.test.', 'A');
    expect(after.status).toBe('NOERROR');
    const afterTcp = await dig(target, 'static.example.test.', 'A', { tcp: true });
    expect(afterTcp.status).toBe('NOERROR');
  });
});

describe('listening', () => {
  it('listens on IPv6 ::1 over UDP and TCP', async () => {
    const v6 = targets.find((t) => t.host === '::1');
    if (!v6) throw new Error('no ::1 listener');
    const udp = await dig(v6, 'static.example.test.', 'A');
    expect(udp.flags).toContain('aa');
    const tcp = await dig(v6, 'static.example.test.', 'A', { tcp: true });
    expectSection(tcp.answer, ['static.example.test. 300 IN A 192.0.2.40']);
  });

  it('reports its addresses, and UDP and TCP share the port', () => {
    const addresses = server.addresses();
    expect(addresses.map((a) => a.family)).toEqual([4, 6]);
    expect(addresses.every((a) => a.port > 0)).toBe(true);
  });

  it('answers pipelined TCP queries on one connection, in order', async () => {
    const ids = [11, 12, 13, 14];
    const responses = await tcpExchange(target, ids.map((id) => buildQuery({ id, name: 'static.example.test.' })));
    expect(responses.map((r) => r.readUInt16BE(0))).toEqual(ids);
  });

  it('counts queries by rcode', () => {
    const stats = server.stats();
    expect(stats.received).toBeGreaterThan(0);
    expect(stats.rcodes.NOERROR).toBeGreaterThan(0);
    expect(stats.rcodes.NXDOMAIN).toBeGreaterThan(0);
    expect(stats.rcodes.REFUSED).toBeGreaterThan(0);
    expect(stats.truncated).toBeGreaterThan(0);
  });
});
