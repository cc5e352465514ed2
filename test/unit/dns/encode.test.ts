import { describe, expect, it } from 'vitest';
import { encodeResponse } from '../../../dns/wire/encode.js';
import { parseQuery } from '../../../dns/wire/parse-query.js';
import { presentMessage } from '../../helpers/presentation.js';
import { decodeMessage } from '../../../bench/lib/dns-decode.js';
import { Rcode } from '../../../dns/wire/constants.js';
import type { OutRecord, QueryMessage, ResponseMessage } from '../../../dns/wire/message.js';
import type { Rdata } from '../../../model/zone.js';
import { buildQuery, ecsOption, type QuerySpec } from '../../helpers/dns-client.js';

const txt = (s: string): Uint8Array => new TextEncoder().encode(s);

function query(spec: QuerySpec = {}): QueryMessage {
  const parsed = parseQuery(buildQuery(spec));
  if (parsed.kind !== 'query') throw new Error(`bad test query: ${JSON.stringify(parsed)}`);
  return parsed.query;
}

function rr(owner: string, type: number, ttl: number, rdata: Rdata, requiredGlue = false): OutRecord {
  return requiredGlue ? { owner, type, ttl, rdata, requiredGlue } : { owner, type, ttl, rdata };
}

function msg(parts: Partial<ResponseMessage>): ResponseMessage {
  return { rcode: Rcode.NOERROR, authoritative: true, answer: [], authority: [], additional: [], ...parts };
}

const soa: Rdata = { kind: 'SOA', mname: 'ns1.example.test.', rname: 'hostmaster.example.test.', serial: 2026112101, refresh: 7200, retry: 900, expire: 1209600, minimum: 30 };

describe('encodeResponse round trip', () => {
  it('encodes every rdata form and decodes to the same presentation', () => {
    const q = query({ name: 'www.example.test.' });
    const records: OutRecord[] = [
      rr('www.example.test.', 1, 20, { kind: 'A', address: '192.0.2.10' }),
      rr('www.example.test.', 28, 20, { kind: 'AAAA', address: '2001:db8::10' }),
      rr('example.test.', 2, 300, { kind: 'NS', host: 'ns1.example.test.' }),
      rr('alias.example.test.', 5, 300, { kind: 'CNAME', target: 'www.example.test.' }),
      rr('10.2.0.192.in-addr.arpa.', 12, 300, { kind: 'PTR', target: 'www.example.test.' }),
      rr('example.test.', 15, 300, { kind: 'MX', preference: 10, exchange: 'mail.example.test.' }),
      rr('example.test.', 6, 300, soa),
      rr('example.test.', 16, 300, { kind: 'TXT', strings: [txt('v=spf1 -all'), txt('say "hi"\\')] }),
      rr('_http._tcp.example.test.', 33, 300, { kind: 'SRV', priority: 0, weight: 5, port: 8080, target: 'www.example.test.' }),
      rr('example.test.', 257, 300, { kind: 'CAA', flags: 0, tag: 'issue', value: txt('ca.example.org') }),
      rr('example.test.', 65280, 300, { kind: 'generic', data: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]) }),
    ];
    const enc = encodeResponse(q, msg({ answer: records }), 65535);
    const p = presentMessage(enc.message);
    expect(p.rcode).toBe('NOERROR');
    expect(p.flags).toEqual(['qr', 'aa', 'rd']);
    expect(p.question).toEqual(['www.example.test. IN A']);
    expect(p.answer).toEqual([
      'www.example.test. 20 IN A 192.0.2.10',
      'www.example.test. 20 IN AAAA 2001:db8::10',
      'example.test. 300 IN NS ns1.example.test.',
      'alias.example.test. 300 IN CNAME www.example.test.',
      '10.2.0.192.in-addr.arpa. 300 IN PTR www.example.test.',
      'example.test. 300 IN MX 10 mail.example.test.',
      'example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 2026112101 7200 900 1209600 30',
      'example.test. 300 IN TXT "v=spf1 -all" "say \\"hi\\"\\\\"',
      '_http._tcp.example.test. 300 IN SRV 0 5 8080 www.example.test.',
      'example.test. 300 IN CAA 0 issue "ca.example.org"',
      'example.test. 300 IN TYPE65280 \\# 4 DEADBEEF',
    ]);
    expect(enc.truncated).toBe(false);
  });

  it('echoes the question exactly as asked and compresses owners to it', () => {
    const q = query({ name: 'WWW.Example.Test.' });
    const enc = encodeResponse(q, msg({ answer: [rr('www.example.test.', 1, 20, { kind: 'A', address: '192.0.2.10' })] }), 512);
    const p = presentMessage(enc.message);
    expect(p.question).toEqual(['WWW.Example.Test. IN A']);
    expect(p.answer).toEqual(['WWW.Example.Test. 20 IN A 192.0.2.10']);
    // Owner is a 2-octet pointer to offset 12 (the question name).
    const ownerAt = 12 + 'WWW.Example.Test.'.length + 1 + 4;
    expect([...enc.message.subarray(ownerAt, ownerAt + 2)]).toEqual([0xc0, 0x0c]);
  });

  it('compresses names in RFC 1035 rdata (MX) but not in SRV (RFC 3597 §4)', () => {
    const q = query({ name: 'example.test.', type: 15 });
    const mx = encodeResponse(q, msg({ answer: [rr('example.test.', 15, 300, { kind: 'MX', preference: 10, exchange: 'mail.example.test.' })] }), 512);
    // MX rdata: preference (2) + "mail" label (5) + pointer (2).
    const mxRdlength = mx.message.readUInt16BE(mx.message.length - 11);
    expect(mxRdlength).toBe(9);
    const srvQ = query({ name: '_sip._udp.example.test.', type: 33 });
    const srv = encodeResponse(srvQ, msg({ answer: [rr('_sip._udp.example.test.', 33, 300, { kind: 'SRV', priority: 1, weight: 1, port: 5060, target: 'example.test.' })] }), 512);
    const srvRdlength = srv.message.readUInt16BE(srv.message.length - 6 - 14 - 2);
    // 6 fixed octets + full "example.test." (14 octets) although it is in the question.
    expect(srvRdlength).toBe(20);
    expect(presentMessage(srv.message).answer).toEqual(['_sip._udp.example.test. 300 IN SRV 1 1 5060 example.test.']);
  });

  it('writes the OPT record with our payload size, the DO bit echoed and an ECS scope', () => {
    const q = query({ edns: { udpSize: 4096, dnssecOk: true, options: [ecsOption(1, 24, Buffer.from([198, 51, 100]))] } });
    const enc = encodeResponse(q, msg({ ecsScope: 16 }), 4096);
    const d = decodeMessage(enc.message);
    if (!d.ok) throw new Error(d.reason);
    expect(d.message.edns).toMatchObject({ udpSize: 1232, version: 0, dnssecOk: true, extendedRcode: 0 });
    expect(d.message.edns?.ecs).toEqual({ family: 1, sourcePrefix: 24, scopePrefix: 16, address: Buffer.from([198, 51, 100]) });
  });

  it('puts the upper RCODE bits of BADVERS in the OPT record (RFC 6891 §6.1.3)', () => {
    const parsed = parseQuery(buildQuery({ edns: { version: 1 } }));
    if (parsed.kind !== 'reject') throw new Error('expected reject');
    const enc = encodeResponse(parsed, msg({ rcode: Rcode.BADVERS, authoritative: false }), 512);
    expect(enc.message.readUInt16BE(2) & 0xf).toBe(0);
    const d = decodeMessage(enc.message);
    if (!d.ok) throw new Error(d.reason);
    expect(d.message.rcode).toBe(16);
    expect(d.message.edns?.version).toBe(0);
    expect(presentMessage(enc.message).rcode).toBe('BADVERS');
  });

  it('answers without a question when none could be read', () => {
    const parsed = parseQuery(buildQuery({ id: 99, questions: 0 }));
    if (parsed.kind !== 'reject') throw new Error('expected reject');
    const enc = encodeResponse(parsed, msg({ rcode: Rcode.FORMERR, authoritative: false }), 512);
    expect(enc.message.length).toBe(12);
    expect(enc.message.readUInt16BE(0)).toBe(99);
    expect(presentMessage(enc.message).rcode).toBe('FORMERR');
  });
});

describe('encodeResponse truncation (RFC 1035 §4.2.1, RFC 2181 §9)', () => {
  const many = (n: number): OutRecord[] =>
    Array.from({ length: n }, (_, i) => rr('big.example.test.', 16, 300, { kind: 'TXT', strings: [txt(`record ${i} `.padEnd(100, 'x'))] }));

  it('sets TC and keeps only the question and OPT when the answer does not fit', () => {
    const q = query({ name: 'big.example.test.', type: 16, edns: { udpSize: 512 } });
    const enc = encodeResponse(q, msg({ answer: many(10), authority: [rr('example.test.', 6, 30, soa)] }), 512);
    expect(enc.truncated).toBe(true);
    expect(enc.message.length).toBeLessThanOrEqual(512);
    const p = presentMessage(enc.message);
    expect(p.flags).toContain('tc');
    expect(p.answer).toEqual([]);
    expect(p.authority).toEqual([]);
    expect(p.question).toEqual(['big.example.test. IN TXT']);
    expect(p.edns?.udpSize).toBe(1232);
  });

  it('encodes the same answer whole within a larger limit', () => {
    const q = query({ name: 'big.example.test.', type: 16 });
    const enc = encodeResponse(q, msg({ answer: many(10) }), 65535);
    expect(enc.truncated).toBe(false);
    expect(presentMessage(enc.message).answer).toHaveLength(10);
  });

  it('drops whole additional RRsets from the end without TC', () => {
    const q = query({ name: 'example.test.', type: 2 });
    const additional = [
      ...Array.from({ length: 3 }, (_, i) => rr('ns1.example.test.', 1, 300, { kind: 'A', address: `192.0.2.${i + 1}` })),
      ...Array.from({ length: 30 }, (_, i) => rr('ns2.example.test.', 28, 300, { kind: 'AAAA', address: `2001:db8::${i + 1}` })),
    ];
    const enc = encodeResponse(q, msg({ answer: [rr('example.test.', 2, 300, { kind: 'NS', host: 'ns1.example.test.' })], additional }), 512);
    expect(enc.truncated).toBe(false);
    const p = presentMessage(enc.message);
    expect(p.answer).toHaveLength(1);
    expect(p.additional).toHaveLength(3);
    expect(enc.droppedAdditional).toBe(30);
    // The compression table forgot the dropped names: the message decodes cleanly.
    expect(decodeMessage(enc.message).ok).toBe(true);
  });

  it('sets TC when glue a referral requires is dropped', () => {
    const q = query({ name: 'www.sub.example.test.' });
    const glue = Array.from({ length: 40 }, (_, i) => rr('ns.sub.example.test.', 28, 300, { kind: 'AAAA', address: `2001:db8::${i + 1}` }, true));
    const enc = encodeResponse(q, msg({ authoritative: false, authority: [rr('sub.example.test.', 2, 300, { kind: 'NS', host: 'ns.sub.example.test.' })], additional: glue }), 512);
    expect(enc.truncated).toBe(true);
    expect(presentMessage(enc.message).flags).toContain('tc');
  });
});
