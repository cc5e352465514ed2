/** Issue 12: site plans (balance/sites.ts), the compiled prefix table and the router's ECS scopes. */
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../balance/plan.js';
import { siteStates } from '../../../balance/sites.js';
import type { AnswerPlan } from '../../../balance/types.js';
import { seededRandom } from '../../../lib/random.js';
import type { HealthView, TargetState } from '../../../model/health.js';
import type { Pool } from '../../../model/zone.js';
import { PrefixTable, ipv4Number } from '../../../dns/fast/prefix-table.js';
import { SiteRouter } from '../../../dns/site-router.js';
import { parseCidr } from '../../../zones/map-annotation.js';
import { HEAD, loadOk } from '../zones/helpers.js';

function pool(body: string): Pool {
  return loadOk(HEAD + ';@check web tcp port=80\n' + body).zone.pools[0]!;
}

function health(p: Pool, states: Record<string, TargetState>): HealthView {
  const byTarget = new Map<string, TargetState>();
  for (const m of p.members) if (m.targetId && states[m.address]) byTarget.set(m.targetId, states[m.address]!);
  return { version: 1, get: (id) => (byTarget.has(id) ? { state: byTarget.get(id)!, latencyMs: undefined, load: undefined, reason: 'test', since: 0 } : undefined) };
}

/** The addresses a route answers (all variants), or the plan kind. */
function answers(p: Pool, plan: AnswerPlan, route: number): string {
  if (plan.kind !== 'answer') return plan.kind === 'cname' ? `cname ${plan.target}` : plan.kind;
  const outcome = plan.routing?.routes[route];
  if (outcome?.kind === 'down') return 'down';
  const seen = new Set<string>();
  for (let seq = 0; seq < 20; seq++) {
    const v = plan.variants[plan.pick({ seq, random: seededRandom(seq), clientKey: '', route })]!;
    seen.add(v.map((i) => p.members[i]!.address).sort().join('+'));
  }
  return [...seen].sort().join(' ');
}

const ZONE = `;@map geo net:198.51.100.0/24=eu>us default=us>eu
;@pool www map=geo check=web all-down=cname:sorry.example.org.
www A 192.0.2.10 ;@ site=us weight=2
www A 192.0.2.11 ;@ site=us
www A 192.0.2.20 ;@ site=eu
www A 192.0.2.21 ;@ site=eu backup
`;

describe('site plans', () => {
  it('answers each route from the first site of its list that is up', () => {
    const p = pool(ZONE);
    const plan = buildPlan(p, health(p, {}));
    expect(plan.kind).toBe('answer');
    if (plan.kind !== 'answer') return;
    expect(plan.routing?.ruleRoute).toEqual([0, 1]);
    expect(answers(p, plan, 0)).toBe('192.0.2.20');
    expect(answers(p, plan, 1)).toBe('192.0.2.10+192.0.2.11');
    expect(plan.allDown).toBe(false);
    expect(plan.shares?.reduce((a, b) => a + b, 0)).toBeCloseTo(1);
  });

  it('fails a site over below its threshold, and uses its backups while it is up', () => {
    const p = pool(ZONE);
    // us: 1 of 3 weight up (33% < 50%): down. eu: primary down, backup up: 50% of weight, up.
    const plan = buildPlan(p, health(p, { '192.0.2.10': 'down', '192.0.2.20': 'down' }));
    expect(answers(p, plan, 1)).toBe('192.0.2.21');
    expect(answers(p, plan, 0)).toBe('192.0.2.21');
    expect(siteStates(p, health(p, { '192.0.2.10': 'down' }))).toEqual([
      { name: 'eu', upWeight: 2, totalWeight: 2, threshold: 0.5, up: true },
      { name: 'us', upWeight: 1, totalWeight: 3, threshold: 0.5, up: false },
    ]);
  });

  it('honours site-threshold, and gives the cname: fallback when no site of any list is up', () => {
    const low = pool(ZONE.replace('all-down=cname', 'site-threshold=30% all-down=cname'));
    expect(answers(low, buildPlan(low, health(low, { '192.0.2.10': 'down' })), 1)).toBe('192.0.2.11');
    const p = pool(ZONE);
    const all = buildPlan(p, health(p, { '192.0.2.10': 'down', '192.0.2.11': 'down', '192.0.2.20': 'down', '192.0.2.21': 'down' }));
    expect(all).toEqual({ kind: 'cname', allDown: true, target: 'sorry.example.org.' });
  });

  it('marks only the routes with no site up as down when the all-down rule gives no members', () => {
    const p = pool(`;@map geo net:198.51.100.0/24=eu default=us
;@pool www map=geo check=web all-down=nodata
www A 192.0.2.10 ;@ site=us
www A 192.0.2.20 ;@ site=eu
`);
    const plan = buildPlan(p, health(p, { '192.0.2.20': 'down' }));
    expect(answers(p, plan, 0)).toBe('down');
    expect(answers(p, plan, 1)).toBe('192.0.2.10');
  });

  it('serves every member through serve-all when a list has no site up', () => {
    const p = pool(`;@map geo net:198.51.100.0/24=eu default=us
;@pool www map=geo check=web
www A 192.0.2.10 ;@ site=us
www A 192.0.2.20 ;@ site=eu
`);
    const plan = buildPlan(p, health(p, { '192.0.2.20': 'down' }));
    expect(plan.kind === 'answer' && plan.routing?.routes[0]?.kind).toBe('all-down');
    expect(answers(p, plan, 0)).toBe('192.0.2.10+192.0.2.20');
  });
});

describe('prefix table', () => {
  const entries = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '192.0.2.0/24', '198.51.100.0/25', '198.51.100.128/25'].map((text, rule) => {
    const c = parseCidr(text);
    if (typeof c === 'string') throw new Error(c);
    return { bytes: c.bytes, prefixLength: c.prefixLength, rule };
  });
  const table = new PrefixTable(4, entries);

  it('finds the most specific prefix, with the scope that holds around the address', () => {
    const at = (a: string) => table.match4(ipv4Number(a));
    expect(at('10.1.2.3')).toEqual({ rule: 2, scope: 24 });
    expect(at('10.1.3.3')).toEqual({ rule: 1, scope: 24 }); // not /23: 10.1.2.0/24 sits beside it
    expect(at('10.200.0.1')).toEqual({ rule: 0, scope: 9 });
    expect(at('192.0.2.99')).toEqual({ rule: 3, scope: 24 });
    // Two adjacent /25s of different rules stay apart.
    expect(at('198.51.100.1')).toEqual({ rule: 4, scope: 25 });
    expect(at('198.51.100.200')).toEqual({ rule: 5, scope: 25 });
    expect(at('203.0.113.1')).toEqual({ rule: -1, scope: 5 });
    expect(table.ruleOf4(ipv4Number('10.1.2.3'))).toBe(2);
    expect(table.ruleOf4(ipv4Number('11.0.0.1'))).toBe(-1);
  });

  it('reads dotted quads without allocating, and refuses what is not one', () => {
    expect(ipv4Number('198.51.100.7')).toBe(((198 * 256 + 51) * 256 + 100) * 256 + 7);
    expect(ipv4Number('255.255.255.255')).toBe(2 ** 32 - 1);
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '::1', '1..2.3', '']) expect(ipv4Number(bad)).toBe(-1);
  });

  it('matches IPv6 prefixes', () => {
    const six = new PrefixTable(6, ['2001:db8::/32', '2001:db8:100::/48'].map((text, rule) => {
      const c = parseCidr(text) as Exclude<ReturnType<typeof parseCidr>, string>;
      return { bytes: c.bytes, prefixLength: c.prefixLength, rule };
    }));
    const bytes = (t: string) => (parseCidr(`${t}/128`) as Exclude<ReturnType<typeof parseCidr>, string>).bytes;
    expect(six.match6(bytes('2001:db8:100::1'))).toEqual({ rule: 1, scope: 48 });
    expect(six.match6(bytes('2001:db8:200::1'))).toEqual({ rule: 0, scope: 39 });
    expect(six.match6(bytes('2001:db9::1')).rule).toBe(-1);
  });
});

describe('site router', () => {
  const p = pool(ZONE);
  const router = new SiteRouter(p.siteMap!, undefined);

  it('decides by ECS when present, else by the source address, and caches sources', () => {
    const ecs = (address: number[], sourcePrefix: number) => ({ family: 1 as const, sourcePrefix, address: Buffer.from(address) });
    expect(router.decide({ address: '127.0.0.1', family: 4, transport: 'udp', ecs: ecs([198, 51, 100], 24) })).toEqual({ rule: 0, scope: 24 });
    expect(router.decide({ address: '198.51.100.1', family: 4, transport: 'udp' })).toEqual({ rule: 0, scope: 24 });
    // ECS /0: the resolver opts out; its own address decides.
    expect(router.decide({ address: '198.51.100.1', family: 4, transport: 'udp', ecs: ecs([], 0) }).rule).toBe(0);
    expect(router.decide({ address: '::ffff:198.51.100.1', family: 6, transport: 'udp' }).rule).toBe(0);
    expect(router.decide({ address: '2001:db8::1', family: 6, transport: 'udp' })).toEqual({ rule: 1, scope: 0 });
    expect(router.ruleOfSource('198.51.100.9', 4)).toBe(0);
    expect(router.ruleOfSource('198.51.100.9', 4)).toBe(0);
    expect(router.ruleOfSource('192.0.2.9', 4)).toBe(1);
  });
});
