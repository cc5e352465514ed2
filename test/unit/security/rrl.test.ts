/**
 * Response rate limiting (issue 7), without sockets: responses are made by the real query
 * handler from the dns/ fixture zone, then passed through the limiter with a manual clock.
 * Covers the token bucket (burst, refill), slip cadence and the truncated copy, the accounts
 * (answer per name+type, empty per zone, errors per prefix), client prefixes, exemptions, the
 * memory bound, and config errors.
 */
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../../lib/clock.js';
import { silentLogger } from '../../../lib/logger.js';
import { ConfigError } from '../../../lib/errors.js';
import { newStats, QueryHandler } from '../../../dns/query-handler.js';
import { RoundRobinSelector } from '../../helpers/round-robin-selector.js';
import { ResponseRateLimiter, type RrlOptions } from '../../../dns/rrl.js';
import { buildQuery, type QuerySpec } from '../../helpers/dns-client.js';
import { fixtureZone, zoneSet } from '../../helpers/dns-zones.js';

const zones = zoneSet(fixtureZone('example.test.zone'));
const handler = new QueryHandler(() => zones, new RoundRobinSelector(), silentLogger(), newStats());

function response(spec: QuerySpec): Buffer {
  const out = handler.handle(buildQuery(spec), { address: '192.0.2.1', family: 4, transport: 'udp' });
  if (!out) throw new Error('the handler dropped the query');
  return out;
}

function limiter(options: Partial<RrlOptions> = {}) {
  const clock = manualClock(1_000);
  const rrl = new ResponseRateLimiter({ responsesPerSecond: 5, exemptLoopback: false, now: () => clock.now(), ...options });
  return { rrl, clock };
}

type Outcome = 'sent' | 'slipped' | 'dropped';

function outcome(original: Buffer, out: Buffer | undefined): Outcome {
  if (out === undefined) return 'dropped';
  return out === original ? 'sent' : 'slipped';
}

function send(rrl: ResponseRateLimiter, message: Buffer, address: string, times: number): Outcome[] {
  const family = address.includes(':') ? 6 : 4;
  return Array.from({ length: times }, () => outcome(message, rrl.filter(message, address, family)));
}

const www = response({ name: 'www.example.test.', type: 1 });

describe('ResponseRateLimiter: the bucket', () => {
  it('passes a burst of rate × window, then slips every 2nd limited response and drops the rest', () => {
    const { rrl } = limiter({ windowSeconds: 2 });
    const outcomes = send(rrl, www, '192.0.2.7', 20);
    expect(outcomes.slice(0, 10)).toEqual(new Array(10).fill('sent'));
    expect(outcomes.slice(10)).toEqual(['dropped', 'slipped', 'dropped', 'slipped', 'dropped', 'slipped', 'dropped', 'slipped', 'dropped', 'slipped']);
    expect(rrl.stats()).toEqual({ checked: 20, exempt: 0, limited: 10, slipped: 5, dropped: 5, entries: 1 });
  });

  it('refills at the rate: one more response per 200 ms at 5/s, never more than the window holds', () => {
    const { rrl, clock } = limiter();
    send(rrl, www, '192.0.2.7', 5);
    expect(send(rrl, www, '192.0.2.7', 1)).toEqual(['dropped']);
    clock.advance(200);
    expect(send(rrl, www, '192.0.2.7', 2)).toEqual(['sent', 'slipped']);
    clock.advance(60_000);
    expect(send(rrl, www, '192.0.2.7', 6).filter((o) => o === 'sent')).toHaveLength(5);
  });

  it('slip 0 drops every limited response; slip 1 truncates every one', () => {
    const dropAll = limiter({ slip: 0 }).rrl;
    expect(send(dropAll, www, '192.0.2.7', 9).slice(5)).toEqual(['dropped', 'dropped', 'dropped', 'dropped']);
    const slipAll = limiter({ slip: 1 }).rrl;
    expect(send(slipAll, www, '192.0.2.7', 9).slice(5)).toEqual(['slipped', 'slipped', 'slipped', 'slipped']);
  });

  it('slips a truncated copy: same ID and question, TC=1, no records', () => {
    const { rrl } = limiter({ slip: 1 });
    const query = response({ id: 0xbeef, name: 'WWW.example.test.', type: 1 });
    send(rrl, query, '192.0.2.7', 5);
    const slipped = rrl.filter(query, '192.0.2.7', 4);
    expect(slipped).toBeDefined();
    if (!slipped) return;
    expect(slipped.readUInt16BE(0)).toBe(0xbeef);
    expect(slipped.readUInt16BE(2) & 0x0200).toBe(0x0200); // TC
    expect(slipped.readUInt16BE(2) & 0x8400).toBe(0x8400); // QR, AA kept
    expect([slipped.readUInt16BE(4), slipped.readUInt16BE(6), slipped.readUInt16BE(8), slipped.readUInt16BE(10)]).toEqual([1, 0, 0, 0]);
    // The question, case kept, and nothing after it.
    expect(slipped.subarray(12)).toEqual(query.subarray(12, 12 + 'WWW.example.test.'.length + 1 + 4));
    expect(query.readUInt16BE(6)).toBeGreaterThan(0); // the original is untouched
  });

  it('passes everything when the rate is 0 (off)', () => {
    const { rrl } = limiter({ responsesPerSecond: 0 });
    expect(rrl.enabled).toBe(false);
    expect(send(rrl, www, '192.0.2.7', 50)).toEqual(new Array(50).fill('sent'));
  });
});

describe('ResponseRateLimiter: who shares a bucket', () => {
  it('groups IPv4 clients by /24 and IPv6 clients by /56', () => {
    const { rrl } = limiter();
    send(rrl, www, '192.0.2.1', 5);
    expect(send(rrl, www, '192.0.2.254', 1)).toEqual(['dropped']);
    expect(send(rrl, www, '198.51.100.1', 5)).toEqual(new Array(5).fill('sent'));
    send(rrl, www, '2001:db8:0:1::1', 5);
    expect(send(rrl, www, '2001:db8:0:ff::2', 1)).toEqual(['dropped']); // same /56
    expect(send(rrl, www, '2001:db8:0:100::1', 1)).toEqual(['sent']); // next /56
  });

  it('counts an IPv4-mapped IPv6 client in its IPv4 /24', () => {
    const { rrl } = limiter();
    send(rrl, www, '::ffff:192.0.2.1', 5);
    expect(send(rrl, www, '192.0.2.9', 1)).toEqual(['dropped']);
    expect(send(rrl, www, '::ffff:198.51.100.1', 1)).toEqual(['sent']);
  });

  it('honours other prefix lengths', () => {
    const { rrl } = limiter({ ipv4PrefixLength: 32 });
    send(rrl, www, '192.0.2.1', 5);
    expect(send(rrl, www, '192.0.2.2', 1)).toEqual(['sent']);
  });

  it('counts positive answers per name and type', () => {
    const { rrl } = limiter();
    send(rrl, www, '192.0.2.7', 5);
    expect(send(rrl, response({ name: 'www.example.test.', type: 28 }), '192.0.2.7', 1)).toEqual(['sent']);
    expect(send(rrl, response({ name: 'static.example.test.', type: 1 }), '192.0.2.7', 1)).toEqual(['sent']);
    // Case does not make a new name (RFC 4343).
    expect(send(rrl, response({ name: 'WwW.Example.TEST.', type: 1 }), '192.0.2.7', 1)).toEqual(['dropped']);
  });

  it('counts NXDOMAIN and NODATA per zone, so random names do not each get a bucket', () => {
    const { rrl } = limiter({ slip: 0 });
    const outcomes = Array.from({ length: 8 }, (_, i) => {
      const message = response({ name: `random${i}.example.test.`, type: 1 });
      expect((message[3] ?? 0) & 0x0f).toBe(3); // NXDOMAIN
      return outcome(message, rrl.filter(message, '192.0.2.7', 4));
    });
    expect(outcomes).toEqual(['sent', 'sent', 'sent', 'sent', 'sent', 'dropped', 'dropped', 'dropped']);
    // NODATA in the same zone shares the bucket.
    expect(send(rrl, response({ name: 'static.example.test.', type: 28 }), '192.0.2.7', 1)).toEqual(['dropped']);
    // Positive answers are another account.
    expect(send(rrl, www, '192.0.2.7', 1)).toEqual(['sent']);
  });

  it('counts referrals per delegation', () => {
    const { rrl } = limiter({ slip: 0 });
    const a = response({ name: 'a.sub.example.test.', type: 1 });
    const b = response({ name: 'b.sub.example.test.', type: 1 });
    send(rrl, a, '192.0.2.7', 3);
    expect(send(rrl, b, '192.0.2.7', 3)).toEqual(['sent', 'sent', 'dropped']);
  });

  it('counts every error RCODE in one account per prefix', () => {
    const { rrl } = limiter({ slip: 0 });
    const refused = Array.from({ length: 4 }, (_, i) => response({ name: `name${i}.example.org.`, type: 1 }));
    expect((refused[0]?.[3] ?? 0) & 0x0f).toBe(5); // REFUSED: not our zone
    const formerr = response({ qdcount: 2, questions: 2 });
    expect((formerr[3] ?? 0) & 0x0f).toBe(1);
    const outcomes = [...refused, formerr, formerr].map((m) => outcome(m, rrl.filter(m, '192.0.2.7', 4)));
    expect(outcomes).toEqual(['sent', 'sent', 'sent', 'sent', 'sent', 'dropped']);
  });
});

describe('ResponseRateLimiter: exemptions and bounds', () => {
  it('never limits loopback by default', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 1 });
    expect(send(rrl, www, '127.0.0.2', 20)).toEqual(new Array(20).fill('sent'));
    expect(send(rrl, www, '::1', 20)).toEqual(new Array(20).fill('sent'));
    expect(rrl.stats()).toMatchObject({ exempt: 40, checked: 0, limited: 0 });
  });

  it('limits loopback when told to, and exempts the configured networks', () => {
    const { rrl } = limiter({ exempt: ['198.51.100.0/24', '2001:db8:1::/48', '203.0.113.9'] });
    expect(send(rrl, www, '127.0.0.2', 6)).toContain('dropped');
    expect(send(rrl, www, '198.51.100.77', 20)).toEqual(new Array(20).fill('sent'));
    expect(send(rrl, www, '2001:db8:1:2::3', 20)).toEqual(new Array(20).fill('sent'));
    expect(send(rrl, www, '203.0.113.9', 20)).toEqual(new Array(20).fill('sent'));
    expect(send(rrl, www, '203.0.113.10', 6)).toContain('dropped');
  });

  it('keeps at most maxEntries buckets, forgetting the least recently used', () => {
    const { rrl } = limiter({ maxEntries: 100, slip: 0 });
    send(rrl, www, '192.0.2.1', 5); // empties the bucket of 192.0.2.0/24
    for (let i = 0; i < 1000; i++) rrl.filter(www, `10.${i >> 8}.${i & 0xff}.1`, 4);
    expect(rrl.stats().entries).toBe(100);
    // 192.0.2.0/24 was forgotten: it starts over with a full bucket.
    expect(send(rrl, www, '192.0.2.1', 1)).toEqual(['sent']);
  });

  it.each([
    [{ responsesPerSecond: -1 }, 'responses-per-second'],
    [{ responsesPerSecond: 1.5 }, 'responses-per-second'],
    [{ responsesPerSecond: 5, slip: 11 }, 'slip'],
    [{ responsesPerSecond: 5, windowSeconds: 0 }, 'window'],
    [{ responsesPerSecond: 5, ipv4PrefixLength: 33 }, 'ipv4-prefix'],
    [{ responsesPerSecond: 5, exempt: ['not-an-address'] }, 'not-an-address'],
    [{ responsesPerSecond: 5, exempt: ['192.0.2.0/40'] }, '192.0.2.0/40'],
    [{ responsesPerSecond: 5, exempt: ['192.0.2.0/'] }, '192.0.2.0/'],
  ])('refuses %o with a ConfigError naming it', (options, word) => {
    let caught: unknown;
    try {
      new ResponseRateLimiter(options);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect(caught).toMatchObject({ code: 'RRL_CONFIG_INVALID' });
    expect((caught as Error).message).toContain(word);
  });
});
