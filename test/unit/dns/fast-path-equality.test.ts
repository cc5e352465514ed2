/**
 * Issue 6: the UDP fast path and the full path give byte-for-byte the same answer for the same
 * question and state. Two worlds (same zones, same seeded selector, same health events) answer
 * the same stream of queries: one through the fast path first, the other through the full path
 * only. The stream mixes every policy (a pool with map=, issue 12, from several client
 * addresses, and skew=correct pools, issue 11), random case, with and without OPT (small, large and odd
 * payload sizes, the DO bit, cookies, ECS, EDNS version 1), odd flags, other types, names that go
 * elsewhere (CNAME, wildcard, referral, NXDOMAIN, not ours), truncation, all-down pools and
 * malformed messages, with health changes and a zone reload in between.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom, type Random } from '../../../lib/random.js';
import type { Zone } from '../../../model/zone.js';
import { buildQuery, ecsOption, wireName, type QuerySpec } from '../../helpers/dns-client.js';
import { zoneFromText } from '../../helpers/dns-zones.js';
import { World } from './fast-path-world.js';

function zoneText(serial: number, extra = ''): string {
  const bigPool = Array.from({ length: 40 }, (_, i) => `big 60 IN AAAA 2001:db8::${(i + 1).toString(16)}`).join('\n');
  return `
$ORIGIN lb.example.test.
$TTL 300
@    IN SOA ns1 hostmaster ${serial} 7200 900 1209600 30
     IN NS  ns1
ns1  IN A   192.0.2.53
ns1  IN AAAA 2001:db8::53
one  IN A   192.0.2.1
one  IN AAAA 2001:db8::1
txt  IN TXT "only text"
gen  IN TYPE1 \\# 4 C0000263
gen6 IN TYPE28 \\# 16 20010DB8000000000000000000000099
alias IN CNAME rr
*.wild IN A 192.0.2.99
sub  IN NS  ns.sub
ns.sub IN A 192.0.2.98

;@check web tcp port=80
;@check api http port=8080 path=/healthz load-header=X-Load

;@pool rr policy=round-robin check=web
rr   20 IN A 192.0.2.10
rr   20 IN A 192.0.2.11
rr   20 IN A 192.0.2.12
rr   20 IN AAAA 2001:db8::10
rr   20 IN AAAA 2001:db8::11

;@pool w policy=weighted answers=2 check=web
w    20 IN A 192.0.2.20 ;@ weight=3
w    20 IN A 192.0.2.21 ;@ weight=5
w    20 IN A 192.0.2.22 ;@ weight=1
w    20 IN A 192.0.2.23 ;@ backup

;@pool r policy=random check=web
r    IN A 192.0.2.30
r    IN A 192.0.2.31
r    IN A 192.0.2.32

;@pool wr policy=weighted-random answers=1 check=web
wr   IN A 192.0.2.40 ;@ weight=10
wr   IN A 192.0.2.41 ;@ weight=1

;@pool fo policy=failover check=web all-down=nodata
fo   IN A 192.0.2.50 ;@ priority=1
fo   IN A 192.0.2.51 ;@ priority=2

;@pool st policy=sticky answers=1 check=web all-down=servfail
st   IN A 192.0.2.60
st   IN A 192.0.2.61
st   IN A 192.0.2.62
st   IN AAAA 2001:db8::60
st   IN AAAA 2001:db8::61

;@pool fast policy=fastest check=api answers=1
fast IN A 192.0.2.70
fast IN A 192.0.2.71

;@pool ll policy=least-loaded check=api answers=2
ll   IN A 192.0.2.80
ll   IN A 192.0.2.81
ll   IN A 192.0.2.82

;@pool big policy=round-robin answers=all
${bigPool}

;@map m net:198.51.100.0/25=eu>us net:2001:db8:1::/48=ap>us default=us>eu
;@pool geo policy=weighted answers=1 check=web map=m all-down=cname:sorry.example.org.
geo  20 IN A 192.0.2.60 ;@ site=us weight=2
geo  20 IN A 192.0.2.61 ;@ site=us
geo  20 IN A 192.0.2.62 ;@ site=eu
geo  20 IN A 192.0.2.63 ;@ site=ap
geo  20 IN AAAA 2001:db8::60 ;@ site=us
geo  20 IN AAAA 2001:db8::62 ;@ site=eu

;@pool sk skew=correct answers=1 ttl=5 ttl-min=1 check=web
sk   IN A 192.0.2.90
sk   IN A 192.0.2.91
sk   IN A 192.0.2.92
sk   IN A 192.0.2.93
sk   IN AAAA 2001:db8::90
sk   IN AAAA 2001:db8::91

;@pool skw skew=correct policy=weighted answers=2 ttl=30 ttl-max=20 check=web
skw  IN A 192.0.2.94 ;@ weight=3
skw  IN A 192.0.2.95 ;@ weight=1
skw  IN A 192.0.2.96 ;@ weight=1
${extra}
`;
}

const NAMES = ['rr', 'w', 'r', 'wr', 'fo', 'st', 'fast', 'll', 'big', 'geo', 'geo', 'sk', 'sk', 'skw', 'one', 'ns1', 'txt', 'gen', 'gen6', 'alias', 'x.wild', 'sub', 'ns.sub', 'nope', '@', 'a.nope'];
const TYPES = [1, 1, 1, 28, 28, 16, 15, 255, 5, 6];
const CLIENTS: [string, 4 | 6][] = [
  ['198.51.100.7', 4],
  ['198.51.100.200', 4],
  ['203.0.113.9', 4],
  ['2001:db8:1:2::5', 6],
  ['2001:db8:99::1', 6],
];

function pick<T>(rng: Random, items: readonly T[]): T {
  return items[Math.floor(rng.next() * items.length)] as T;
}

function randomCase(rng: Random, text: string): string {
  return [...text].map((c) => (rng.next() < 0.5 ? c.toUpperCase() : c)).join('');
}

function randomQuery(rng: Random): Buffer {
  const label = pick(rng, NAMES);
  const name = randomCase(rng, label === '@' ? 'lb.example.test.' : `${label}.lb.example.test.`);
  const spec: { -readonly [K in keyof QuerySpec]: QuerySpec[K] } = { id: Math.floor(rng.next() * 65536), name, type: pick(rng, TYPES), rd: rng.next() < 0.7 };
  const r = rng.next();
  if (r < 0.5) {
    const options: { code: number; data: Buffer }[] = [];
    if (rng.next() < 0.3) options.push({ code: 10, data: Buffer.from('0011223344556677', 'hex') }); // a client cookie
    if (rng.next() < 0.1) options.push(ecsOption(1, 24, Buffer.from([198, 51, 100])));
    spec.edns = { udpSize: pick(rng, [0, 512, 1232, 4096, 65000, 600]), dnssecOk: rng.next() < 0.1, version: rng.next() < 0.05 ? 1 : 0, options };
  }
  let message = buildQuery(spec);
  const twist = rng.next();
  if (twist < 0.03) message[3] = (message[3] ?? 0) | 0x20; // AD set, as dig sends
  else if (twist < 0.05) message[3] = (message[3] ?? 0) | 0x10; // CD
  else if (twist < 0.06) message[2] = (message[2] ?? 0) | 0x04; // AA in a query
  else if (twist < 0.07) message[3] = (message[3] ?? 0) | 0x40; // Z
  else if (twist < 0.08) message[2] = (message[2] ?? 0) | 0x10; // opcode 2
  else if (twist < 0.09) message = message.subarray(0, message.length - 1); // cut short
  else if (twist < 0.1) message = Buffer.concat([message, Buffer.from([0])]); // trailing octet
  else if (twist < 0.11) message.writeUInt16BE(3, message.length - (spec.edns ? 13 : 2)); // class CH (no options)
  return message;
}

/** Compressed question name: header, `www` + pointer to a name written nowhere else. */
function compressedQuery(): Buffer {
  const header = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, wireName('rr.lb.example.test.'), Buffer.from([0, 1, 0, 1])]);
}

function verdictEvent(rng: Random, worlds: readonly World[], zone: Zone): void {
  const target = pick(rng, zone.targets);
  const state = pick(rng, ['up', 'up', 'down', 'unknown'] as const);
  const latency = Math.floor(rng.next() * 100);
  const load = Math.floor(rng.next() * 100);
  for (const w of worlds) w.setHealth(target.id, state, latency, load);
}

describe('fast path = full path, byte for byte', () => {
  it('answers a mixed stream of 20,000 queries identically, with health changes and a reload', { timeout: 30_000 }, () => {
    let zone = zoneFromText(zoneText(1));
    const fast = new World([zone], { fast: true, seed: 11 });
    const full = new World([zone], { fast: false, seed: 11 });
    const rng = seededRandom(2026);
    const mismatches: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      if (i % 500 === 250) verdictEvent(rng, [fast, full], zone);
      // Time moves (skew correction's TTL buckets and live entries depend on it), and its demand
      // tables are rebuilt now and then, as server/skew-demand.ts does.
      fast.clock.advance(23);
      full.clock.advance(23);
      if (i % 400 === 399) {
        fast.updateDemand();
        full.updateDemand();
      }
      if (i === 12_000) {
        // A reload: new Zone and Pool objects, a changed TTL and one more member.
        zone = zoneFromText(zoneText(2, 'rr 20 IN A 192.0.2.13'));
        fast.load([zone]);
        full.load([zone]);
      }
      const message = i % 997 === 0 ? compressedQuery() : randomQuery(rng);
      const [address, family] = pick(rng, CLIENTS);
      const a = fast.ask(message, address, family);
      const b = full.ask(message, address, family);
      if (!(a === undefined ? b === undefined : b !== undefined && a.equals(b))) {
        if (mismatches.length < 5) mismatches.push(`#${i} ${message.toString('hex')}\n fast ${a?.toString('hex')}\n full ${b?.toString('hex')}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(fast.stats).toEqual(full.stats);
    // The stream must really exercise the fast path (and the full path).
    const answered = fast.fast?.stats.answered ?? 0;
    expect(answered).toBeGreaterThan(2500);
    expect(answered).toBeLessThan(16_000);
    // Skew correction really ran: resolvers got estimates and corrected answers (some with a shorter TTL).
    const ledger = fast.selector.skewLedgers().get('sk.lb.example.test./A');
    expect(ledger?.stats().estimated).toBeGreaterThan(0);
    expect(ledger?.corrected).toBeGreaterThan(100);
    // At one time: the feedback's age is counted to it.
    const at = Date.now();
    expect(ledger?.stats(at)).toEqual(full.selector.skewLedgers().get('sk.lb.example.test./A')?.stats(at));
  });

  it('keeps one rotation across both paths: a pool answered alternately by each path rotates as one', () => {
    const zone = zoneFromText(zoneText(1));
    const fast = new World([zone], { fast: true });
    const full = new World([zone], { fast: false });
    const firsts: string[] = [];
    for (let i = 0; i < 12; i++) {
      // Even queries are plain (fast path), odd ones carry a Client Subnet option (full path).
      const ecs = { edns: { options: [ecsOption(1, 24, Buffer.from([198, 51, 100]))] } };
      const message = buildQuery({ id: i, name: 'rr.lb.example.test.', type: 1, ...(i % 2 === 1 ? ecs : {}) });
      const a = fast.ask(message);
      const b = full.ask(message);
      expect(a?.equals(b ?? Buffer.alloc(0))).toBe(true);
      // First answer's address: 12 header + name (20) + 4 question + 12 record head.
      firsts.push((a ?? Buffer.alloc(0)).subarray(48, 52).join('.'));
    }
    expect(fast.fast?.stats.answered).toBe(6);
    expect(firsts).toEqual(Array.from({ length: 12 }, (_, i) => `192.0.2.${10 + (i % 3)}`));
  });
});
