/** The `;@` grammar (DESIGN.md "Zone files"): every key of ;@check, ;@pool and member settings, valid then invalid. */
import { describe, expect, it } from 'vitest';
import { RRType } from '../../../model/zone.js';
import { HEAD, codeLines, loadErrors, loadOk } from './helpers.js';

const WWW = 'www A 192.0.2.10\nwww A 192.0.2.11\n';

function check(line: string) {
  const { zone } = loadOk(HEAD + line + '\n;@pool www check=c\n' + WWW);
  const spec = zone.checks.get('c');
  if (!spec) throw new Error('check c missing');
  return spec;
}

describe(';@check', () => {
  it('fills the defaults', () => {
    const spec = check(';@check c http');
    expect(spec).toMatchObject({
      name: 'c',
      kind: 'http',
      port: 80,
      intervalMs: 5000,
      timeoutMs: 2000,
      rise: 2,
      fall: 3,
      jitterMs: 500,
      path: '/',
      host: undefined,
      method: 'GET',
      expect: [[200, 399]],
      body: undefined,
      bodyRegex: undefined,
      loadHeader: undefined,
      loadJson: undefined,
      insecure: false,
      qname: undefined,
      qtype: 'A',
      rcode: 'NOERROR',
      source: { file: 'zones/example.test.zone', line: 6, column: 1 },
    });
  });

  it.each([
    ['https', 443],
    ['dns', 53],
    ['icmp', undefined],
  ] as const)('defaults the port of %s checks', (kind, port) => {
    expect(check(`;@check c ${kind}`).port).toBe(port);
  });

  it('reads every common key', () => {
    const spec = check(';@check c tcp port=8080 interval=2s timeout=500ms rise=4 fall=1 jitter=100ms');
    expect(spec).toMatchObject({ kind: 'tcp', port: 8080, intervalMs: 2000, timeoutMs: 500, rise: 4, fall: 1, jitterMs: 100 });
  });

  it('reads bare numbers as seconds and minutes as 1m', () => {
    expect(check(';@check c tcp port=1 interval=1m timeout=3').intervalMs).toBe(60_000);
    expect(check(';@check c tcp port=1 interval=1m timeout=3').timeoutMs).toBe(3000);
  });

  it('defaults jitter to 10% of the interval', () => {
    expect(check(';@check c tcp port=1 interval=10s').jitterMs).toBe(1000);
  });

  it('reads every http key', () => {
    const spec = check(
      ';@check c https path=/healthz host=www.example.org method=head expect=200,204,300-399 body=ok body-regex="^up( and running)?$" load-header=X-Load load-json=stats.load insecure',
    );
    expect(spec).toMatchObject({
      kind: 'https',
      path: '/healthz',
      host: 'www.example.org',
      method: 'HEAD',
      expect: [
        [200, 200],
        [204, 204],
        [300, 399],
      ],
      body: 'ok',
      bodyRegex: '^up( and running)?$',
      loadHeader: 'X-Load',
      loadJson: 'stats.load',
      insecure: true,
    });
  });

  it('reads quoted values with escapes', () => {
    expect(check(';@check c http body="say \\"ok\\""').body).toBe('say "ok"');
  });

  it('reads every dns key', () => {
    const spec = check(';@check c dns qname=probe qtype=aaaa rcode=nxdomain');
    expect(spec).toMatchObject({ kind: 'dns', port: 53, qname: 'probe.example.test.', qtype: 'AAAA', rcode: 'NXDOMAIN' });
  });

  it('may be defined after the pool that uses it', () => {
    const { zone } = loadOk(HEAD + ';@pool www check=late\n' + WWW + ';@check late icmp\n');
    expect(zone.pools[0]?.config.check).toBe('late');
  });

  it('ignores plain comments, including ones mentioning @', () => {
    loadOk(HEAD + '; @check is not an annotation\n;; @pool neither\n' + WWW);
  });

  // [annotation, code, column]
  const invalid: [string, string, number][] = [
    [';@check', 'ZONE_MISSING_ARGUMENT', 1],
    [';@check c', 'ZONE_MISSING_ARGUMENT', 1],
    [';@check c ftp', 'ZONE_BAD_VALUE', 11],
    [';@check c! tcp', 'ZONE_BAD_VALUE', 9],
    [';@check c http colour=red', 'ZONE_UNKNOWN_KEY', 16],
    [';@check c http port=80 port=81', 'ZONE_DUPLICATE_KEY', 24],
    [';@check c http port', 'ZONE_BAD_VALUE', 16],
    [';@check c http port=', 'ZONE_BAD_VALUE', 16],
    [';@check c http port=0', 'ZONE_BAD_VALUE', 16],
    [';@check c http port=65536', 'ZONE_BAD_VALUE', 16],
    [';@check c http interval=soon', 'ZONE_BAD_VALUE', 16],
    [';@check c http interval=0', 'ZONE_BAD_VALUE', 16],
    [';@check c http timeout=2s interval=2s', 'ZONE_BAD_VALUE', 16],
    [';@check c http interval=1s', 'ZONE_BAD_VALUE', 16],
    [';@check c http rise=0', 'ZONE_BAD_VALUE', 16],
    [';@check c http fall=x', 'ZONE_BAD_VALUE', 16],
    [';@check c http jitter=10s', 'ZONE_BAD_VALUE', 16],
    [';@check c http path=healthz', 'ZONE_BAD_VALUE', 16],
    [';@check c http method=G3T', 'ZONE_BAD_VALUE', 16],
    [';@check c http expect=200-99', 'ZONE_BAD_VALUE', 16],
    [';@check c http expect=2xx', 'ZONE_BAD_VALUE', 16],
    [';@check c http body-regex=(unclosed', 'ZONE_BAD_VALUE', 16],
    [';@check c http load-header=a:b', 'ZONE_BAD_VALUE', 16],
    [';@check c http load-json=a..b', 'ZONE_BAD_VALUE', 16],
    [';@check c http insecure', 'ZONE_UNKNOWN_KEY', 16],
    [';@check c https insecure=yes', 'ZONE_BAD_VALUE', 17],
    [';@check c tcp port=1 path=/', 'ZONE_UNKNOWN_KEY', 22],
    [';@check c icmp port=1', 'ZONE_UNKNOWN_KEY', 16],
    [';@check c dns qtype=BOGUS', 'ZONE_BAD_VALUE', 15],
    [';@check c dns rcode=MAYBE', 'ZONE_BAD_VALUE', 15],
    [';@check c dns qname=a..b', 'ZONE_BAD_VALUE', 15],
    [';@check c http body="open', 'ZONE_BAD_VALUE', 16],
    [';@checks c http', 'ZONE_UNKNOWN_ANNOTATION', 1],
    [';@frobnicate', 'ZONE_UNKNOWN_ANNOTATION', 1],
    [';@', 'ZONE_UNKNOWN_ANNOTATION', 1],
    [';@ weight=3', 'ZONE_UNKNOWN_ANNOTATION', 1],
  ];
  it.each(invalid)('refuses %s', (line, code, column) => {
    const errors = loadErrors(HEAD + line + '\n' + WWW);
    expect(codeLines(errors)).toEqual([`${code}@6`]);
    expect(errors[0]?.column).toBe(column);
  });

  it('refuses two checks with one name, pointing at the second', () => {
    const errors = loadErrors(HEAD + ';@check c icmp\n;@check c icmp\n;@pool www check=c\n' + WWW);
    expect(codeLines(errors)).toEqual(['ZONE_DUPLICATE_CHECK@7']);
    expect(errors[0]?.column).toBe(9);
  });

  it('warns about a check nothing uses', () => {
    const { warnings } = loadOk(HEAD + ';@check idle icmp\n' + WWW);
    expect(codeLines(warnings)).toEqual(['ZONE_CHECK_UNUSED@6']);
  });
});

describe(';@pool', () => {
  function pool(line: string, records = WWW) {
    const { zone } = loadOk(HEAD + ';@check c icmp\n' + line + '\n' + records);
    const p = zone.pools.find((x) => x.name === 'www.example.test.' && x.type === RRType.A);
    if (!p) throw new Error('pool missing');
    return p;
  }

  it('fills the defaults', () => {
    expect(pool(';@pool www').config).toEqual({
      policy: 'round-robin',
      answers: 'all',
      ttl: undefined,
      check: undefined,
      allDown: 'serve-all',
      unknown: 'up',
      quorum: 'majority',
      stickyV4Prefix: 24,
      stickyV6Prefix: 56,
      skew: 'off',
    });
  });

  it.each([
    ['weighted', 1],
    ['weighted-random', 1],
    ['random', 'all'],
    ['failover', 'all'],
    ['sticky', 'all'],
    ['fastest', 'all'],
    ['least-loaded', 'all'],
    ['round-robin', 'all'],
  ] as const)('defaults answers for policy %s to %s', (policy, answers) => {
    expect(pool(`;@pool www policy=${policy}`).config.answers).toBe(answers);
  });

  it('reads every key', () => {
    const p = pool(';@pool www policy=sticky answers=2 ttl=1m check=c all-down=serve-backup unknown=down quorum=all sticky-v4=16 sticky-v6=48');
    expect(p.config).toEqual({
      policy: 'sticky',
      answers: 2,
      ttl: 60,
      check: 'c',
      allDown: 'serve-backup',
      unknown: 'down',
      quorum: 'all',
      stickyV4Prefix: 16,
      stickyV6Prefix: 48,
      skew: 'off',
    });
    expect(p.ttl).toBe(60);
  });

  it.each([
    ['answers=all', { answers: 'all' }],
    ['quorum=2', { quorum: 2 }],
    ['quorum=majority', { quorum: 'majority' }],
    ['all-down=nodata', { allDown: 'nodata' }],
    ['all-down=servfail', { allDown: 'servfail' }],
    ['ttl=30', { ttl: 30 }],
    ['ttl=0', { ttl: 0 }],
  ])('reads %s', (kv, expected) => {
    expect(pool(`;@pool www ${kv}`).config).toMatchObject(expected);
  });

  it('accepts @ and absolute owners', () => {
    const { zone } = loadOk(HEAD + ';@pool @ policy=random\n@ A 192.0.2.1\n;@pool www.example.test. policy=failover\n' + WWW);
    expect(zone.pools.map((p) => `${p.key} ${p.config.policy}`)).toEqual(['example.test./A random', 'www.example.test./A failover']);
  });

  it('resolves the owner against the $ORIGIN in force', () => {
    const { zone } = loadOk(HEAD + '$ORIGIN sub.example.test.\n;@pool www policy=random\nwww A 192.0.2.1\n');
    expect(zone.pools.map((p) => p.key)).toEqual(['www.sub.example.test./A']);
  });

  it('makes a single address a pool', () => {
    const { zone } = loadOk(HEAD + ';@pool one all-down=servfail\none A 192.0.2.1\n');
    expect(zone.pools.map((p) => p.key)).toEqual(['one.example.test./A']);
  });

  it('applies to both the A and the AAAA records of the owner', () => {
    const { zone } = loadOk(HEAD + ';@pool www policy=random\nwww A 192.0.2.1\nwww AAAA 2001:db8::1\n');
    expect(zone.pools.map((p) => `${p.key} ${p.config.policy}`)).toEqual(['www.example.test./A random', 'www.example.test./AAAA random']);
  });

  const invalid: [string, string, number][] = [
    [';@pool', 'ZONE_MISSING_ARGUMENT', 1],
    [';@pool policy=random', 'ZONE_MISSING_ARGUMENT', 1],
    [';@pool www policy=fair', 'ZONE_BAD_VALUE', 12],
    [';@pool www answers=0', 'ZONE_BAD_VALUE', 12],
    [';@pool www answers=some', 'ZONE_BAD_VALUE', 12],
    [';@pool www ttl=2147483648', 'ZONE_BAD_VALUE', 12],
    [';@pool www ttl=soon', 'ZONE_BAD_VALUE', 12],
    [';@pool www check=missing', 'ZONE_UNKNOWN_CHECK', 12],
    [';@pool www all-down=panic', 'ZONE_BAD_VALUE', 12],
    [';@pool www unknown=maybe', 'ZONE_BAD_VALUE', 12],
    [';@pool www quorum=0', 'ZONE_BAD_VALUE', 12],
    [';@pool www quorum=most', 'ZONE_BAD_VALUE', 12],
    [';@pool www sticky-v4=33', 'ZONE_BAD_VALUE', 12],
    [';@pool www sticky-v6=129', 'ZONE_BAD_VALUE', 12],
    [';@pool www weight=3', 'ZONE_UNKNOWN_KEY', 12],
    [';@pool www policy=random policy=weighted', 'ZONE_DUPLICATE_KEY', 26],
    [';@pool nothing', 'ZONE_POOL_WITHOUT_ADDRESSES', 8],
    [';@pool a..b', 'ZONE_BAD_NAME', 8],
  ];
  it.each(invalid)('refuses %s', (line, code, column) => {
    const errors = loadErrors(HEAD + line + '\n' + WWW);
    expect(codeLines(errors)).toEqual([`${code}@6`]);
    expect(errors[0]?.column).toBe(column);
  });

  it('refuses a pool over names with only other types', () => {
    expect(codeLines(loadErrors(HEAD + ';@pool mail\nmail TXT "x"\n'))).toEqual(['ZONE_POOL_WITHOUT_ADDRESSES@6']);
  });

  it('refuses two pools for one owner', () => {
    expect(codeLines(loadErrors(HEAD + ';@pool www\n;@pool www.example.test.\n' + WWW))).toEqual(['ZONE_DUPLICATE_POOL@7']);
  });
});

describe('member settings', () => {
  function members(records: string, head = '') {
    const { zone } = loadOk(HEAD + ';@check c tcp port=80\n;@check d icmp\n' + head + records);
    return zone.pools.flatMap((p) => p.members);
  }

  it('defaults weight 1, priority 1, not backup', () => {
    expect(members(WWW, ';@pool www check=d\n').map((m) => [m.weight, m.priority, m.backup])).toEqual([
      [1, 1, false],
      [1, 1, false],
    ]);
  });

  it('reads every key', () => {
    const ms = members('www A 192.0.2.10 ;@ weight=3 priority=2 check=c probe=192.0.2.99 port=8080\nwww A 192.0.2.11 ;@ backup weight=1000\n');
    expect(ms.map((m) => [m.address, m.weight, m.priority, m.backup, m.targetId])).toEqual([
      ['192.0.2.10', 3, 2, false, 'example.test./c/192.0.2.99/8080'],
      ['192.0.2.11', 1000, 1, true, undefined],
    ]);
  });

  it('reads an IPv6 probe in canonical form', () => {
    const ms = members('www AAAA 2001:db8::1 ;@ check=c probe=2001:DB8:0::99\nwww AAAA 2001:db8::2\n');
    expect(ms[0]?.targetId).toBe('example.test./c/2001:db8::99/80');
  });

  it('works on a multi-line record', () => {
    const ms = members('www A ( 192.0.2.10 ) ;@ weight=7\nwww A 192.0.2.11\n');
    expect(ms[0]?.weight).toBe(7);
  });

  it('warns when the record is not in a pool', () => {
    const { warnings } = loadOk(HEAD + 'solo A 192.0.2.1 ;@ weight=2\n');
    expect(codeLines(warnings)).toEqual(['ZONE_ANNOTATION_UNUSED@6']);
  });

  const invalid: [string, string, number][] = [
    ['www A 192.0.2.10 ;@ weight=0', 'ZONE_BAD_VALUE', 21],
    ['www A 192.0.2.10 ;@ weight=1001', 'ZONE_BAD_VALUE', 21],
    ['www A 192.0.2.10 ;@ weight=1.5', 'ZONE_BAD_VALUE', 21],
    ['www A 192.0.2.10 ;@ priority=0', 'ZONE_BAD_VALUE', 21],
    ['www A 192.0.2.10 ;@ backup=yes', 'ZONE_BAD_VALUE', 21],
    ['www A 192.0.2.10 ;@ check=nope', 'ZONE_UNKNOWN_CHECK', 21],
    ['www A 192.0.2.10 ;@ probe=192.0.2.256', 'ZONE_BAD_VALUE', 21],
    ['www A 192.0.2.10 ;@ port=70000', 'ZONE_BAD_VALUE', 21],
    ['www A 192.0.2.10 ;@ colour=red', 'ZONE_UNKNOWN_KEY', 21],
    ['www A 192.0.2.10 ;@ weight=2 weight=3', 'ZONE_DUPLICATE_KEY', 30],
    ['www TXT "x" ;@ weight=2', 'ZONE_MEMBER_NOT_ADDRESS', 13],
    ['www A 192.0.2.10 ;@check c icmp', 'ZONE_UNKNOWN_ANNOTATION', 18],
  ];
  it.each(invalid)('refuses %s', (line, code, column) => {
    const errors = loadErrors(HEAD + line + '\nwww A 192.0.2.11\n;@check c icmp\n;@pool www check=c\n');
    expect(codeLines(errors)).toEqual([`${code}@6`]);
    expect(errors[0]?.column).toBe(column);
  });

  it('requires a port for tcp checks, on the check or every member', () => {
    const ok = HEAD + ';@check t tcp\n;@pool www check=t\nwww A 192.0.2.10 ;@ port=80\nwww A 192.0.2.11 ;@ port=81\n';
    expect(loadOk(ok).zone.targets.map((t) => t.id)).toEqual(['example.test./t/192.0.2.10/80', 'example.test./t/192.0.2.11/81']);
    const bad = HEAD + ';@check t tcp\n;@pool www check=t\nwww A 192.0.2.10 ;@ port=80\nwww A 192.0.2.11\n';
    const errors = loadErrors(bad);
    expect(codeLines(errors)).toEqual(['ZONE_CHECK_NO_PORT@7']);
    const override = HEAD + ';@check t tcp\nwww A 192.0.2.10 ;@ check=t\nwww A 192.0.2.11\n';
    expect(codeLines(loadErrors(override))).toEqual(['ZONE_CHECK_NO_PORT@7']);
  });
});
