/** Issue 12: the skew report and its renderers show a mapped pool per site. */
import { describe, expect, it } from 'vitest';
import { Observer } from '../../../report/observe.js';
import { resolverKeyFromAddress } from '../../../report/resolver-key.js';
import { buildReport } from '../../../report/build-report.js';
import { renderPoolTable } from '../../../report/render/table.js';
import { rondoPoolSection } from '../../../report/render/charts.js';

describe('report per site', () => {
  it('adds each site up and measures the skew within it', () => {
    const o = new Observer({ startMs: 0 });
    const p = o.registerPool({
      key: 'www.example.test./A',
      name: 'www.example.test.',
      type: 1,
      ttl: 30,
      config: { policy: 'round-robin', answers: 1 },
      members: [
        { address: '192.0.2.10', weight: 1, site: 'us' },
        { address: '192.0.2.11', weight: 1, site: 'us' },
        { address: '192.0.2.20', weight: 1, site: 'eu' },
      ],
    });
    const r1 = resolverKeyFromAddress('198.51.100.1');
    const r2 = resolverKeyFromAddress('203.0.113.1');
    for (let i = 0; i < 30; i++) o.record(p, [i % 2], r1, i * 1000);
    for (let i = 0; i < 10; i++) o.record(p, [2], r2, i * 1000);
    const pool = buildReport(o.toSnapshot(60_000)).pools[0]!;
    expect(pool.members.map((m) => m.site)).toEqual(['us', 'us', 'eu']);
    expect(pool.sites?.map((s) => [s.site, s.members.join(' '), s.answeredShare])).toEqual([
      ['us', '192.0.2.10 192.0.2.11', 0.75],
      ['eu', '192.0.2.20', 0.25],
    ]);
    expect(pool.sites?.[0]?.skew?.cv).toBe(0);
    expect(pool.sites?.[1]?.skew).toBeNull();
    expect(renderPoolTable(pool)).toMatch(/site\s+members\s+answered[\s\S]*us\s+192\.0\.2\.10 192\.0\.2\.11\s+75/);
    expect(rondoPoolSection(pool)).toContain('<table class="sites">');
    expect(rondoPoolSection(pool)).toContain('192.0.2.20 @eu');
  });
});
