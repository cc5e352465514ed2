/**
 * Issue 16: the ExternalDNS webhook provider (`rondo serve --externaldns`), replaying the request
 * bodies ExternalDNS sends (test/fixtures/externaldns, shaped by its `api/webhook.yaml`): negotiate,
 * records, adjust endpoints, and apply changes with create, updateOld/updateNew and delete. Checks
 * the responses (status, media type, Vary) and the answers with `dig`: weighted targets from
 * SetIdentifier + `webhook/weight`, the registry's TXT records, CNAMEs, health checks from the
 * zone's default `externaldns` check (a dead backend drops out) and from a pool template. Bad
 * bodies (malformed JSON, unknown fields, the wrong media type, one bad target in a batch) are a
 * 4xx and change nothing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stopAllRondo } from '../../../bench/lib/rondo-process.js';
import { dig } from '../../helpers/dig.js';
import { queryA, startBackends, waitForAnswers, zoneDir, type Backends, type DnsNode, type ZoneDir } from '../cluster/fixture.js';
import { api, listPools, startApiNode, type ApiNode } from './fixture.js';

const MEDIA = 'application/external.dns.webhook+json;version=1';
const FIXTURES = path.join(import.meta.dirname, '..', '..', 'fixtures', 'externaldns');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');
const BACKENDS = ['127.0.0.51', '127.0.0.52', '127.0.0.53', '127.0.0.54', '127.0.0.55', '127.0.0.56'];

let zones: ZoneDir;
let backends: Backends;
let node: ApiNode;
const dnsNode = (): DnsNode[] => [{ name: node.name, port: node.port, process: node.process }];
const target = () => ({ host: '127.0.0.1', port: node.port });
const hook = (p: string, request: Parameters<typeof api>[2] = {}) => api(node.webhookPort ?? 0, p, { token: null, ...request });

beforeAll(async () => {
  backends = await startBackends(BACKENDS);
  zones = await zoneDir();
  await zones.write(
    'example.org.zone',
    [
      '$ORIGIN example.org.',
      '$TTL 300',
      '@    IN SOA ns1 hostmaster 1 7200 900 1209600 30',
      '     IN NS  ns1',
      'ns1  IN A   192.0.2.53',
      // The zone's default check for webhook pools, and a template pool (www) to copy settings from.
      `;@check externaldns http port=${backends.port} path=/healthz expect=200 interval=400ms timeout=300ms rise=1 fall=1`,
      ';@pool www policy=random answers=2 all-down=nodata',
      'www  20 IN A 192.0.2.10',
      'www  20 IN A 192.0.2.11',
    ].join('\n'),
  );
  node = await startApiNode('webhook', { zones: zones.dir, stateFile: path.join(zones.dir, 'state.json'), externaldns: true });
}, 30_000);

afterAll(async () => {
  await stopAllRondo();
  await backends?.close();
  await zones?.remove();
});

describe('ExternalDNS webhook provider (issue 16)', () => {
  it('negotiates: the domain filter, in the webhook media type, with Vary: Content-Type', async () => {
    const r = await hook('/', { accept: MEDIA });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(MEDIA);
    expect(r.headers.get('vary')).toBe('Content-Type');
    expect(r.body).toMatchObject({ filters: ['example.org'] });
    expect((await hook('/', { accept: 'text/html' })).status).toBe(406);
    expect((await hook('/healthz')).status).toBe(200);
  });

  it('lists the records it holds (the zone file\'s pools to start with)', async () => {
    const r = await hook('/records', { accept: MEDIA });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(MEDIA);
    expect(r.body).toEqual([{ dnsName: 'www.example.org', targets: ['192.0.2.10', '192.0.2.11'], recordType: 'A', recordTTL: 20, labels: {}, providerSpecific: [] }]);
  });

  it('adjusts endpoints: keeps what it can hold, drops other types', async () => {
    const r = await hook('/adjustendpoints', { method: 'POST', raw: fixture('adjust.json'), contentType: MEDIA, accept: MEDIA });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(MEDIA);
    const body = r.body as { dnsName: string; recordType: string }[];
    expect(body.map((e) => `${e.dnsName}/${e.recordType}`)).toEqual(['app.example.org/A']);
    expect(body[0]).toEqual((JSON.parse(fixture('adjust.json')) as unknown[])[0]);
  });

  it('applies creates: weighted set identifiers, registry TXT, CNAME, checks from the zone default and a template', async () => {
    // ExternalDNS's Go client sends the POST without a Content-Type.
    const r = await hook('/records', { method: 'POST', raw: fixture('create.json'), contentType: null });
    expect(r.status, JSON.stringify(r.body)).toBe(204);

    // Weighted: blue (weight 3) and green (weight 1), one answer each (policy=weighted, answers=1).
    await vi.waitFor(async () => expect((await queryA(node.port, 'app.example.org')).addresses).toHaveLength(1), { timeout: 5000 });
    const counts = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const a = (await queryA(node.port, 'app.example.org')).addresses[0] ?? '';
      counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['127.0.0.51', '127.0.0.52']);
    expect(counts.get('127.0.0.51') ?? 0).toBeGreaterThan(counts.get('127.0.0.52') ?? 0);

    const txt = await dig(target(), 'a-app.example.org', 'TXT');
    expect(txt.status).toBe('NOERROR');
    expect(txt.answer.map((l) => l.split(' ').slice(4).join(' ')).sort()).toEqual([
      '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/app-blue"',
      '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/app-green"',
    ]);
    const cname = await dig(target(), 'docs.example.org', 'CNAME');
    expect(cname.answer).toEqual(['docs.example.org. 60 IN CNAME lb.example.net.']);

    // svc: checked by the zone's `externaldns` check; both backends up.
    await waitForAnswers(dnsNode(), 'svc.example.org', ['127.0.0.53', '127.0.0.54']);
    const listing = await listPools(node.adminPort, 'example.org');
    const svc = listing.pools.find((p) => p.owner === 'svc.example.org.') as unknown as { config: { check: string; ttl: number }; members: { health: string; source: string }[] };
    expect(svc.config).toMatchObject({ check: 'externaldns', ttl: 10 });
    await vi.waitFor(async () => {
      const m = (await listPools(node.adminPort, 'example.org')).pools.find((p) => p.owner === 'svc.example.org.')?.members;
      expect(m?.map((x) => [x.source, x.health])).toEqual([['api', 'up'], ['api', 'up']]);
    }, { timeout: 5000 });
    // tpl: the settings of the template pool www.
    const tpl = listing.pools.find((p) => p.owner === 'tpl.example.org.') as unknown as { config: { policy: string; answers: number; allDown: string } };
    expect(tpl.config).toMatchObject({ policy: 'random', answers: 2, allDown: 'nodata' });
  });

  it('a dead backend drops out of the webhook\'s pool', async () => {
    await backends.stop('127.0.0.54');
    await waitForAnswers(dnsNode(), 'svc.example.org', ['127.0.0.53'], undefined, 8000);
    await backends.start('127.0.0.54');
    await waitForAnswers(dnsNode(), 'svc.example.org', ['127.0.0.53', '127.0.0.54'], undefined, 8000);
  });

  it('lists the records back as ExternalDNS wrote them (set identifiers, weights, TXT values)', async () => {
    const r = await hook('/records', { accept: MEDIA });
    const records = r.body as { dnsName: string; recordType: string; setIdentifier?: string; targets: string[]; providerSpecific: unknown[] }[];
    const app = records.filter((e) => e.dnsName === 'app.example.org');
    expect(app.map((e) => [e.setIdentifier, e.targets, e.providerSpecific])).toEqual([
      ['blue', ['127.0.0.51'], [{ name: 'webhook/weight', value: '3' }]],
      ['green', ['127.0.0.52'], [{ name: 'webhook/weight', value: '1' }]],
    ]);
    const created = (JSON.parse(fixture('create.json')) as { create: { dnsName: string; recordType: string; targets: string[] }[] }).create;
    for (const e of created.filter((x) => x.recordType === 'TXT' || x.recordType === 'CNAME')) {
      expect(records.some((x) => x.dnsName === e.dnsName && x.recordType === e.recordType && x.targets.join() === e.targets.join())).toBe(true);
    }
  });

  it('applies updateOld/updateNew pairs', async () => {
    const r = await hook('/records', { method: 'POST', raw: fixture('update.json'), contentType: MEDIA });
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    await vi.waitFor(
      async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 16; i++) seen.add((await queryA(node.port, 'app.example.org')).addresses[0] ?? '');
        expect([...seen].sort()).toEqual(['127.0.0.51', '127.0.0.56']);
      },
      { timeout: 5000 },
    );
  });

  it('applies deletes: the members, the registry TXT and the CNAME are gone', async () => {
    const r = await hook('/records', { method: 'POST', raw: fixture('delete.json'), contentType: MEDIA });
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    await waitForAnswers(dnsNode(), 'app.example.org', ['127.0.0.56']);
    const txt = await dig(target(), 'a-app.example.org', 'TXT');
    expect(txt.answer).toEqual(['a-app.example.org. 300 IN TXT "heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/app-green"']);
    expect((await dig(target(), 'docs.example.org', 'CNAME')).status).toBe('NXDOMAIN');
  });

  it('refuses bad bodies with a 4xx and changes nothing', async () => {
    const before = JSON.stringify((await hook('/records', { accept: MEDIA })).body);
    const bad: { raw: string; contentType: string | null; status: number; code: string }[] = [
      { raw: '{"create": [', contentType: MEDIA, status: 400, code: 'ADMIN_API_BAD_JSON' },
      { raw: '{"create": [{"dnsName": "x.example.org", "targets": ["192.0.2.1"], "recordType": "A", "colour": "blue"}]}', contentType: MEDIA, status: 400, code: 'ADMIN_API_UNKNOWN_FIELD' },
      { raw: '{"upsert": []}', contentType: MEDIA, status: 400, code: 'ADMIN_API_UNKNOWN_FIELD' },
      { raw: fixture('create.json'), contentType: 'text/plain', status: 415, code: 'ADMIN_API_MEDIA_TYPE' },
      { raw: fixture('create.json'), contentType: 'application/external.dns.webhook+json;version=2', status: 415, code: 'ADMIN_API_MEDIA_TYPE' },
      { raw: fixture('bad-batch.json'), contentType: MEDIA, status: 400, code: 'ZONE_BAD_IPV4' },
      { raw: '{"create": [{"dnsName": "www.example.net", "targets": ["192.0.2.1"], "recordType": "A"}]}', contentType: MEDIA, status: 400, code: 'ADMIN_API_UNKNOWN_ZONE' },
    ];
    for (const b of bad) {
      const r = await hook('/records', { method: 'POST', raw: b.raw, contentType: b.contentType });
      expect(r.status, b.raw).toBe(b.status);
      expect((r.body as { error: { code: string } }).error.code).toBe(b.code);
    }
    expect(JSON.stringify((await hook('/records', { accept: MEDIA })).body)).toBe(before);
    // The good half of the refused batch was not applied either.
    expect((await dig(target(), 'ok.example.org', 'A')).status).toBe('NXDOMAIN');
    expect((await hook('/records', { method: 'PUT' })).status).toBe(405);
  });
});
