import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../../dns/wire/parse-query.js';
import { encodeResponse } from '../../../dns/wire/encode.js';
import { Rcode } from '../../../dns/wire/constants.js';
import type { ParsedQuery } from '../../../dns/wire/message.js';
import { buildQuery, ecsOption, optRecord, wireName } from '../../helpers/dns-client.js';
import { seededRandom } from '../../../lib/random.js';

function reject(parsed: ParsedQuery): Extract<ParsedQuery, { kind: 'reject' }> {
  if (parsed.kind !== 'reject') throw new Error(`expected a reject, got ${parsed.kind}`);
  return parsed;
}

function accepted(parsed: ParsedQuery): Extract<ParsedQuery, { kind: 'query' }>['query'] {
  if (parsed.kind !== 'query') throw new Error(`expected a query, got ${JSON.stringify(parsed)}`);
  return parsed.query;
}

/** A query with a hand-made question section (name octets as given). */
function withQuestionBytes(nameBytes: number[], extra: number[] = [0, 1, 0, 1]): Buffer {
  const header = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, Buffer.from(nameBytes), Buffer.from(extra)]);
}

describe('parseQuery: accepted queries', () => {
  it('reads the header, keeps the question case for echo and lowercases the lookup name', () => {
    const q = accepted(parseQuery(buildQuery({ id: 4242, name: 'WwW.Example.TEST.', type: 28 })));
    expect(q.id).toBe(4242);
    expect(q.recursionDesired).toBe(true);
    expect(q.question.name).toBe('www.example.test.');
    expect(q.question.display).toBe('WwW.Example.TEST.');
    expect(q.question.labelStarts).toEqual([0, 4, 12]);
    expect(q.question.type).toBe(28);
    expect(q.question.class).toBe(1);
    expect(q.edns).toBeUndefined();
  });

  it('reads the root name', () => {
    expect(accepted(parseQuery(buildQuery({ name: '.', type: 2 }))).question.name).toBe('.');
  });

  it('escapes special octets in the presentation name', () => {
    const q = accepted(parseQuery(withQuestionBytes([3, 0x61, 0x2e, 0x20, 4, 0x74, 0x65, 0x73, 0x74, 0])));
    expect(q.question.name).toBe('a\\.\\032.test.');
  });

  it('reads EDNS: payload size (at least 512), DO bit, version 0', () => {
    const q = accepted(parseQuery(buildQuery({ edns: { udpSize: 4000, dnssecOk: true } })));
    expect(q.edns).toEqual({ udpSize: 4000, version: 0, dnssecOk: true });
    expect(accepted(parseQuery(buildQuery({ edns: { udpSize: 100 } }))).edns?.udpSize).toBe(512);
  });

  it('reads an RFC 7871 client subnet option', () => {
    const q = accepted(parseQuery(buildQuery({ edns: { options: [ecsOption(1, 24, Buffer.from([198, 51, 100]))] } })));
    expect(q.edns?.ecs).toEqual({ family: 1, sourcePrefix: 24, scopePrefix: 0, address: Buffer.from([198, 51, 100]) });
    const v6 = accepted(parseQuery(buildQuery({ edns: { options: [ecsOption(2, 0, Buffer.alloc(0))] } })));
    expect(v6.edns?.ecs?.sourcePrefix).toBe(0);
  });

  it('skips other EDNS options such as COOKIE', () => {
    const q = accepted(parseQuery(buildQuery({ edns: { options: [{ code: 10, data: Buffer.alloc(8, 7) }] } })));
    expect(q.edns?.ecs).toBeUndefined();
  });
});

describe('parseQuery: dropped packets', () => {
  it('drops packets shorter than a header', () => {
    expect(parseQuery(Buffer.alloc(11)).kind).toBe('drop');
    expect(parseQuery(Buffer.alloc(0)).kind).toBe('drop');
  });

  it('drops responses (QR=1)', () => {
    expect(parseQuery(buildQuery({ qr: true })).kind).toBe('drop');
  });
});

describe('parseQuery: rejected queries echo the ID', () => {
  it('QDCOUNT 0 → FORMERR without a question', () => {
    const r = reject(parseQuery(buildQuery({ id: 7, questions: 0 })));
    expect(r).toMatchObject({ rcode: Rcode.FORMERR, id: 7 });
    expect(r.question).toBeUndefined();
  });

  it('QDCOUNT 2 → FORMERR', () => {
    expect(reject(parseQuery(buildQuery({ questions: 2 }))).rcode).toBe(Rcode.FORMERR);
  });

  it('opcode other than QUERY → NOTIMP, question echoed', () => {
    const r = reject(parseQuery(buildQuery({ opcode: 2 })));
    expect(r.rcode).toBe(Rcode.NOTIMP);
    expect(r.question?.name).toBe('www.example.test.');
  });

  it.each<[string, number[]]>([
    ['a label longer than 63 octets', [64, ...new Array<number>(64).fill(0x61), 0]],
    ['a name longer than 255 octets', [...Array.from({ length: 5 }, () => [63, ...new Array<number>(63).fill(0x61)]).flat(), 0]],
    ['a pointer to itself', [0xc0, 12]],
    ['a forward pointer', [0xc0, 20]],
    ['an extended label type', [0x41, 0x61, 0]],
    ['a name past the end', [5, 0x61, 0x62]],
  ])('%s → FORMERR', (_what, bytes) => {
    const r = reject(parseQuery(withQuestionBytes(bytes)));
    expect(r.rcode).toBe(Rcode.FORMERR);
    expect(r.id).toBe(0xabcd);
  });

  it('a question cut short → FORMERR', () => {
    expect(reject(parseQuery(withQuestionBytes([1, 0x61, 0], [0, 1]))).rcode).toBe(Rcode.FORMERR);
  });

  it('a pointer loop in a record owner → FORMERR', () => {
    // Answer record whose owner points back at itself: backwards-only pointers make loops impossible.
    const q = buildQuery();
    q.writeUInt16BE(1, 6);
    const loop = Buffer.from([0xc0, q.length, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(reject(parseQuery(Buffer.concat([q, loop]))).rcode).toBe(Rcode.FORMERR);
  });

  it('two OPT records → FORMERR without EDNS in the response', () => {
    const r = reject(parseQuery(buildQuery({ edns: {}, tail: optRecord({}), extraAdditional: 1 })));
    expect(r.rcode).toBe(Rcode.FORMERR);
    expect(r.edns).toBeUndefined();
    expect(r.question?.name).toBe('www.example.test.');
  });

  it('OPT owned by a name other than the root → FORMERR', () => {
    const opt = optRecord({});
    const bad = Buffer.concat([wireName('x.'), opt.subarray(1)]);
    const q = buildQuery({ tail: bad, extraAdditional: 1 });
    expect(reject(parseQuery(q)).rcode).toBe(Rcode.FORMERR);
  });

  it('EDNS version 1 → BADVERS, with EDNS kept for the response', () => {
    const r = reject(parseQuery(buildQuery({ edns: { version: 1, dnssecOk: true } })));
    expect(r.rcode).toBe(Rcode.BADVERS);
    expect(r.edns).toEqual({ udpSize: 1232, version: 1, dnssecOk: true });
  });

  it.each([
    ['an unknown family', ecsOption(3 as 1, 8, Buffer.from([1]))],
    ['a source prefix over 32 for IPv4', ecsOption(1, 33, Buffer.alloc(5))],
    ['an address longer than the prefix needs', ecsOption(1, 8, Buffer.from([10, 0]))],
    ['bits set beyond the prefix', ecsOption(1, 20, Buffer.from([198, 51, 0x0f]))],
    ['an option shorter than 4 octets', { code: 8, data: Buffer.from([0, 1]) }],
  ])('ECS with %s → FORMERR', (_what, option) => {
    expect(reject(parseQuery(buildQuery({ edns: { options: [option] } }))).rcode).toBe(Rcode.FORMERR);
  });

  it('two ECS options → FORMERR', () => {
    const o = ecsOption(1, 24, Buffer.from([198, 51, 100]));
    expect(reject(parseQuery(buildQuery({ edns: { options: [o, o] } }))).rcode).toBe(Rcode.FORMERR);
  });

  it('an EDNS option running past the OPT rdata → FORMERR', () => {
    const q = buildQuery({ edns: { options: [{ code: 10, data: Buffer.alloc(8) }] } });
    q.writeUInt16BE(0xff, q.length - 8 - 2); // option length
    expect(reject(parseQuery(q)).rcode).toBe(Rcode.FORMERR);
  });

  it('trailing octets → FORMERR', () => {
    expect(reject(parseQuery(Buffer.concat([buildQuery(), Buffer.from([1, 2, 3])]))).rcode).toBe(Rcode.FORMERR);
  });

  it('qtype OPT → FORMERR', () => {
    expect(reject(parseQuery(buildQuery({ type: 41 }))).rcode).toBe(Rcode.FORMERR);
  });
});

describe('parseQuery survives any input', () => {
  it('never throws on random mutations of valid queries, and every reject encodes', () => {
    const rng = seededRandom(20260101);
    const seeds = [
      buildQuery({ name: 'www.example.test.' }),
      buildQuery({ edns: { options: [ecsOption(1, 24, Buffer.from([198, 51, 100]))] } }),
      buildQuery({ questions: 2, edns: { dnssecOk: true } }),
    ];
    const counts = { query: 0, reject: 0, drop: 0 };
    for (let i = 0; i < 20_000; i++) {
      const seed = seeds[i % seeds.length] ?? Buffer.alloc(0);
      const buf = Buffer.from(seed);
      const flips = 1 + Math.floor(rng.next() * 4);
      for (let f = 0; f < flips; f++) buf[Math.floor(rng.next() * buf.length)] = Math.floor(rng.next() * 256);
      const cut = rng.next() < 0.2 ? Math.floor(rng.next() * buf.length) : buf.length;
      const parsed = parseQuery(buf.subarray(0, cut));
      counts[parsed.kind]++;
      if (parsed.kind === 'reject') {
        const enc = encodeResponse(parsed, { rcode: parsed.rcode, authoritative: false, answer: [], authority: [], additional: [] }, 512);
        expect(enc.message.readUInt16BE(0)).toBe(parsed.id);
      }
    }
    // The mutations reach all three outcomes.
    expect(counts.query).toBeGreaterThan(0);
    expect(counts.reject).toBeGreaterThan(0);
    expect(counts.drop).toBeGreaterThan(0);
  });
});
