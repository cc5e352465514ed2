/** Issue 12: the `;@map` grammar, pool keys map=/site-threshold=/all-down=cname:, member site=; valid, then invalid with codes and columns. */
import { describe, expect, it } from 'vitest';
import { HEAD, codeLines, loadErrors, loadOk } from './helpers.js';

const ISSUE_EXAMPLE = `;@map geo net:198.51.100.0/24,2001:db8:100::/48=eu>us country:KR,JP=ap>us continent:EU=eu>us default=us>eu
;@pool www policy=weighted answers=1 map=geo site-threshold=50% all-down=cname:sorry.example.net.
www  30 IN A 192.0.2.10     ;@ site=us weight=2
www  30 IN A 192.0.2.11     ;@ site=us
www  30 IN A 203.0.113.10   ;@ site=eu
www  30 IN A 203.0.113.11   ;@ site=eu
www  30 IN A 198.51.100.77  ;@ site=ap
`;

describe(';@map', () => {
  it('compiles the issue example', () => {
    const { zone, warnings } = loadOk(HEAD + ISSUE_EXAMPLE);
    expect(warnings).toEqual([]);
    const pool = zone.pools[0]!;
    expect(pool.config).toMatchObject({ map: 'geo', siteThreshold: 0.5, allDown: 'cname', cnameTarget: 'sorry.example.net.' });
    expect(pool.members.map((m) => m.site)).toEqual(['us', 'us', 'eu', 'eu', 'ap']);
    const map = pool.siteMap!;
    expect(map.rules.map((r) => `${r.kind}=${r.sites.join('>')}`)).toEqual(['net=eu>us', 'country=ap>us', 'continent=eu>us', 'default=us>eu']);
    expect(map.nets.map((n) => `${n.text}→${n.rule}`)).toEqual(['198.51.100.0/24→0', '2001:db8:100::/48→0']);
    expect([...map.countries]).toEqual([['KR', 1], ['JP', 1]]);
    expect([...map.continents]).toEqual([['EU', 2]]);
    expect(map.defaultRule).toBe(3);
    expect(map.usesGeo).toBe(true);
    expect(map.sites).toEqual(['eu', 'us', 'ap']);
    expect(zone.maps?.get('geo')).toBe(map);
  });

  it('adds up the rules of several lines of one map, and takes relative cname targets from $ORIGIN', () => {
    const { zone } = loadOk(HEAD + ';@map m net:198.51.100.0/24=eu\n;@map m net:203.0.113.0/24=us default=us\n;@pool www map=m all-down=cname:sorry\nwww A 192.0.2.1 ;@ site=eu\nwww A 192.0.2.2 ;@ site=us\n');
    const pool = zone.pools[0]!;
    expect(pool.siteMap?.nets.map((n) => n.text)).toEqual(['198.51.100.0/24', '203.0.113.0/24']);
    expect(pool.siteMap?.usesGeo).toBe(false);
    expect(pool.config.cnameTarget).toBe('sorry.example.test.');
    expect(pool.config.siteThreshold).toBe(0.5);
  });

  it.each([
    [';@map m bogus=eu default=us', 'ZONE_MAP_BAD_RULE', 9],
    [';@map m net:198.51.100.0/24 default=us', 'ZONE_MAP_BAD_RULE', 9],
    [';@map m net:198.51.100.0/24=eu>>us default=us', 'ZONE_MAP_BAD_RULE', 32],
    [';@map m net:198.51.100.0/24=eu>eu default=us', 'ZONE_MAP_BAD_RULE', 32],
    [';@map m net:198.51.100.1/24=eu default=us', 'ZONE_MAP_BAD_NET', 13],
    [';@map m net:192.0.2.0/24,198.51.100.0/33=eu default=us', 'ZONE_MAP_BAD_NET', 26],
    [';@map m net:2001:db8::1/32=eu default=us', 'ZONE_MAP_BAD_NET', 13],
    [';@map m net:nothing/8=eu default=us', 'ZONE_MAP_BAD_NET', 13],
    [';@map m country:JP,JPN=eu default=us', 'ZONE_MAP_BAD_COUNTRY', 20],
    [';@map m continent:EU,XX=eu default=us', 'ZONE_MAP_BAD_CONTINENT', 22],
    [';@map m country:JP=eu country:jp=us default=us', 'ZONE_MAP_DUPLICATE_MATCH', 31],
    [';@map m net:198.51.100.0/24=eu default=us default=eu', 'ZONE_MAP_DUPLICATE_MATCH', 43],
    [';@map m net:198.51.100.0/24=eu', 'ZONE_MAP_NO_DEFAULT', 7],
    [';@map', 'ZONE_MISSING_ARGUMENT', 1],
  ])('refuses %s with %s at its column', (line, code, column) => {
    const errors = loadErrors(HEAD + line + '\n;@pool www map=m\nwww A 192.0.2.1 ;@ site=eu\nwww A 192.0.2.2 ;@ site=us\n');
    expect(codeLines(errors)).toContain(`${code}@6`);
    expect(errors.find((e) => e.code === code)?.column).toBe(column);
  });

  it('checks how pools and members use maps', () => {
    const errors = loadErrors(
      HEAD +
        [
          ';@map m default=us',
          ';@pool a map=nope',
          'a A 192.0.2.1 ;@ site=us',
          ';@pool b map=m',
          'b A 192.0.2.1 ;@ site=us',
          'b A 192.0.2.2',
          ';@pool c site-threshold=40%',
          'c A 192.0.2.1 ;@ site=us',
          'c A 192.0.2.2',
          ';@pool d map=m site-threshold=0% all-down=cname:',
          'd A 192.0.2.1 ;@ site=us',
        ].join('\n') +
        '\n',
    );
    expect(codeLines(errors)).toEqual([
      'ZONE_UNKNOWN_MAP@7',
      'ZONE_MEMBER_NO_SITE@11',
      'ZONE_SITE_WITHOUT_MAP@12',
      'ZONE_SITE_WITHOUT_MAP@13',
      'ZONE_BAD_VALUE@15',
      'ZONE_BAD_VALUE@15',
    ]);
  });

  it('warns about unused maps and sites no rule names', () => {
    const { warnings } = loadOk(HEAD + ';@map idle default=us\n;@map m default=us\n;@pool www map=m\nwww A 192.0.2.1 ;@ site=us\nwww A 192.0.2.2 ;@ site=spare\n');
    expect(codeLines(warnings)).toEqual(['ZONE_MAP_UNUSED@6', 'ZONE_SITE_UNUSED@10']);
  });
});
