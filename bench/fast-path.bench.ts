/**
 * The query path in pieces, the full path beside the UDP fast path (issue 6): parse, lookup,
 * select, encode, and a whole query. The zone has 10,000 pools (4 weighted members each, answers
 * all, as bench/run.ts serves) so lookups run against a realistic table.
 * Run: npx vitest bench --run bench/fast-path.bench.ts
 */
import { bench, describe } from 'vitest';
import { buildPlan } from '../balance/plan.js';
import { AnswerObservation } from '../server/observation.js';
import { FastPath } from '../dns/fast-path.js';
import { sectionOf } from '../dns/answer-cache.js';
import { NameTable } from '../dns/fast/name-table.js';
import { QuestionScanner } from '../dns/fast/scan.js';
import { PlannedSelector } from '../dns/planned-selector.js';
import { newStats, QueryHandler } from '../dns/query-handler.js';
import { respond } from '../dns/respond.js';
import { ZoneSnapshot } from '../dns/zone-set.js';
import { encodeResponse } from '../dns/wire/encode.js';
import { parseQuery } from '../dns/wire/parse-query.js';
import { readQuestionName } from '../dns/wire/names.js';
import { MemoryHealthStore } from '../health/memory-store.js';
import { silentLogger } from '../lib/logger.js';
import { seededRandom } from '../lib/random.js';
import { parseZoneText } from '../zones/load.js';
import type { Pool } from '../model/zone.js';

const POOLS = 10_000;

function zoneText(): string {
  const lines = ['$ORIGIN bench.example.test.', '$TTL 300', '@ IN SOA ns1 hostmaster 1 7200 900 1209600 30', '  IN NS ns1', 'ns1 IN A 192.0.2.53', ';@check web tcp port=80'];
  for (let p = 0; p < POOLS; p++) {
    const owner = p === 0 ? 'www' : `p${p}`;
    lines.push(`;@pool ${owner} policy=weighted answers=all check=web`);
    for (let m = 0; m < 4; m++) lines.push(`${owner} 20 IN A 198.${18 + (p >> 14)}.${(p >> 6) & 0xff}.${((p & 0x3f) << 2) | m} ;@ weight=${m + 1}`);
  }
  return lines.join('\n') + '\n';
}

const loaded = parseZoneText(zoneText(), 'bench.example.test.zone');
if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
const zone = loaded.zone;
const zones = new ZoneSnapshot([zone]);
const store = new MemoryHealthStore({ sweepIntervalMs: 0 });
const selector = new PlannedSelector({ health: store, buildPlan, logger: silentLogger(), random: seededRandom(1) });
selector.setPools(zone.pools);
const stats = newStats();
const handler = new QueryHandler(() => zones, selector, silentLogger(), stats);
const fast = new FastPath({ zones: () => zones, selector, stats, logger: silentLogger() });

// `www.bench.example.test. A`, as dnsperf sends it (RD set, no EDNS).
const QUERY = Buffer.from('abcd01000001000000000000037777770562656e6368076578616d706c65047465737400' + '00010001', 'hex');
const CLIENT = { address: '127.0.0.1', family: 4 as const, transport: 'udp' as const };
const www = zone.pools.find((p): p is Pool => p.name === 'www.bench.example.test.');
if (!www) throw new Error('no www pool');
// Warm both paths: the fast path learns the name and encodes the pool's variants.
fast.answer(QUERY, CLIENT.address, 4);
fast.answer(QUERY, CLIENT.address, 4);
const parsed = parseQuery(QUERY);
if (parsed.kind !== 'query') throw new Error('bench query rejected');
const query = parsed.query;

describe('parse', () => {
  bench('full: parseQuery (strings, objects)', () => {
    parseQuery(QUERY);
  });
  const scanner = new QuestionScanner();
  bench('fast: QuestionScanner.scan (in place)', () => {
    scanner.scan(QUERY);
  });
});

describe('lookup among 10,000 names', () => {
  bench('full: question text, zone find, node get', () => {
    const name = readQuestionName(QUERY, 12);
    if (name.ok) zones.find(name.lower)?.nodes.get(name.lower);
  });
  const scanner = new QuestionScanner();
  const table = new NameTable<number>();
  for (let p = 0; p < POOLS; p++) {
    const q = Buffer.from(QUERY);
    const label = p === 0 ? 'www' : `p${p}`;
    const wire = Buffer.concat([Buffer.from([label.length]), Buffer.from(label), q.subarray(16, q.length - 4)]);
    const msg = Buffer.concat([q.subarray(0, 12), wire, q.subarray(q.length - 4)]);
    scanner.scan(msg);
    table.insert(scanner.key.slice(0, scanner.keyLength), scanner.hash, scanner.qtype, p);
  }
  bench('fast: scan + NameTable.find (bytes, no string)', () => {
    scanner.scan(QUERY);
    table.find(scanner.key, scanner.keyLength, scanner.hash, scanner.qtype);
  });
});

describe('select', () => {
  bench('full: selector.select (Selection of members)', () => {
    selector.select(www, CLIENT);
  });
  const state = selector.stateOf(www);
  bench('fast: selector.pickVariant (variant index)', () => {
    selector.pickVariant(state, '', CLIENT.address, undefined);
  });
});

describe('encode', () => {
  const response = respond(query, zones, selector, CLIENT);
  bench('full: encodeResponse (names, compression)', () => {
    encodeResponse(query, response, 512);
  });
  const section = sectionOf(fast.cache.forPool(www, selector.stateOf(www).plan as Parameters<typeof fast.cache.forPool>[1])!, 0)!;
  bench('fast: copy header, question and a pre-encoded answer', () => {
    const out = Buffer.allocUnsafe(QUERY.length + section.length);
    for (let i = 0; i < QUERY.length; i++) out[i] = QUERY[i]!;
    for (let i = 0, o = QUERY.length; i < section.length; i++, o++) out[o] = section[i]!;
  });
});

describe('whole query, message in, response bytes out', () => {
  bench('full path: QueryHandler.handle', () => {
    handler.handle(QUERY, CLIENT);
  });
  bench('fast path: FastPath.answer', () => {
    fast.answer(QUERY, CLIENT.address, 4);
  });
  // What `rondo serve` runs: the skew report's counters hear every answer.
  const observed = new PlannedSelector({ health: store, buildPlan, logger: silentLogger(), random: seededRandom(1), observer: new AnswerObservation() });
  observed.setPools(zone.pools);
  const fastObserved = new FastPath({ zones: () => zones, selector: observed, stats: newStats(), logger: silentLogger() });
  fastObserved.answer(QUERY, CLIENT.address, 4);
  bench('fast path with the skew observer', () => {
    fastObserved.answer(QUERY, CLIENT.address, 4);
  });
});
