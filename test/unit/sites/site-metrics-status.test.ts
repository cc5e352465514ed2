/** Issue 12: /metrics per site, and `rondo status`'s site table from the shared state. */
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../admin/metrics.js';
import { renderSiteTable, sitesFromSharedStatus } from '../../../server/site-maps.js';
import type { StatusModel } from '../../../health/status.js';
import { HEAD, loadOk } from '../zones/helpers.js';

describe('site metrics', () => {
  it('counts answers per site and state changes, and shows each site against its threshold', async () => {
    const metrics = createMetrics(
      {
        version: '0.1.0',
        nodeId: 'n',
        siteAnswers: () => [
          { pool: 'www.example.test./A', site: 'eu', count: 7 },
          { pool: 'www.example.test./A', site: '-', count: 1 },
        ],
        siteChanges: () => [{ pool: 'www.example.test./A', site: 'us', to: 'down', count: 2 }],
        siteStates: () => [{ pool: 'www.example.test./A', site: 'us', up: false, upShare: 1 / 3, threshold: 0.5 }],
      },
      { processMetrics: false },
    );
    const text = await metrics.render();
    expect(text).toContain('rondo_site_answers_total{pool="www.example.test./A",site="eu"} 7');
    expect(text).toContain('rondo_site_answers_total{pool="www.example.test./A",site="-"} 1');
    expect(text).toContain('rondo_site_state_changes_total{pool="www.example.test./A",site="us",to="down"} 2');
    expect(text).toContain('rondo_site_up{pool="www.example.test./A",site="us"} 0');
    expect(text).toMatch(/rondo_site_up_share\{pool="www.example.test.\/A",site="us"\} 0\.333/);
    expect(text).toContain('rondo_site_threshold{pool="www.example.test./A",site="us"} 0.5');
  });
});

describe('rondo status: sites', () => {
  it('decides each site from the shared verdicts and member overrides', () => {
    const { zone } = loadOk(
      HEAD +
        ';@check web tcp port=80\n;@map m net:198.51.100.0/24=eu default=us\n;@pool www map=m check=web site-threshold=60%\n' +
        'www A 192.0.2.10 ;@ site=us weight=2\nwww A 192.0.2.11 ;@ site=us\nwww A 192.0.2.20 ;@ site=eu\n',
    );
    const ids = zone.pools[0]!.members.map((m) => m.targetId!);
    const model = {
      generatedAt: 0,
      prefix: 'rondo',
      targets: [
        { id: ids[0], effective: 'up' },
        { id: ids[1], effective: 'down' },
        { id: ids[2], effective: 'up' },
      ],
      memberOverrides: [{ pool: 'www.example.test.', address: '192.0.2.20', kind: 'drain' }],
      nodes: [],
    } as unknown as StatusModel;
    const sites = sitesFromSharedStatus(model, [zone]);
    expect(sites.map((s) => `${s.site} ${s.up ? 'up' : 'down'} ${s.upWeight}/${s.totalWeight}`)).toEqual(['eu down 0/1', 'us up 2/3']);
    const table = renderSiteTable(sites);
    expect(table).toMatch(/^Sites \(2\)\nPOOL\s+SITE\s+STATE\s+UP WEIGHT\s+UP SHARE\s+THRESHOLD\n/);
    expect(table).toMatch(/www\.example\.test\.\/A\s+us\s+up\s+2\/3\s+67%\s+60%/);
  });
});
