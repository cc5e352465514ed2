/**
 * Issue 16, without Redis: one `rondo serve` keeps the API's members in its state file (written
 * atomically) and a restart keeps them. Bad input (malformed JSON, unknown keys, a bad address, a
 * missing check, the wrong media type, no token or a wrong one, an unknown zone or type) gives a
 * clear 4xx with the zone-check code and message where there is one, and changes nothing: the
 * overlay's version, the state file and the answers stay as they were. Every change is audited in
 * the log (who, what, from where) and counted in /metrics.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runRondo, stopAllRondo } from '../../../bench/lib/rondo-process.js';
import { queryA, waitForAnswers, zoneDir, type DnsNode, type ZoneDir } from '../cluster/fixture.js';
import { api, listPools, memberPath, restartApiNode, startApiNode, TOKEN_SECRET, type ApiNode } from './fixture.js';

const ZONE = 'example.org';
const HEAD = [
  '$ORIGIN example.org.',
  '$TTL 300',
  '@    IN SOA ns1 hostmaster 1 7200 900 1209600 30',
  '     IN NS  ns1',
  'ns1  IN A   192.0.2.53',
  ';@check web http port=9 path=/healthz interval=10s timeout=1s',
  ';@pool www',
  'www  5 IN A 192.0.2.10',
];

let zones: ZoneDir;
let node: ApiNode;
let stateFile: string;
const dns = (): DnsNode[] => [{ name: node.name, port: node.port, process: node.process }];

beforeAll(async () => {
  zones = await zoneDir();
  await zones.write('example.org.zone', HEAD.join('\n'));
  stateFile = path.join(zones.dir, 'state', 'rondo-state.json');
  node = await startApiNode('solo', { zones: path.join(zones.dir, 'example.org.zone'), stateFile });
}, 30_000);

afterAll(async () => {
  await stopAllRondo();
  await zones?.remove();
});

describe('the state file (issue 16)', () => {
  it('keeps API members across a restart, and a removal too', async () => {
    const put = await api(node.adminPort, memberPath(ZONE, 'www', 'A', '192.0.2.11'), { method: 'PUT', body: { weight: 3 } });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    await waitForAnswers(dns(), 'www.example.org', ['192.0.2.10', '192.0.2.11']);
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { zones: { zone: string; version: number }[] };
    expect(saved.zones[0]).toMatchObject({ zone: 'example.org.', version: 1 });

    await restartApiNode(node);
    expect((await queryA(node.port, 'www.example.org')).addresses).toEqual(['192.0.2.10', '192.0.2.11']);
    const member = (await listPools(node.adminPort, ZONE)).pools[0]?.members.find((m) => m.address === '192.0.2.11');
    expect(member).toMatchObject({ source: 'api', weight: 3 });

    expect((await api(node.adminPort, memberPath(ZONE, 'www', 'A', '192.0.2.11'), { method: 'DELETE' })).status).toBe(204);
    await waitForAnswers(dns(), 'www.example.org', ['192.0.2.10']);
    await restartApiNode(node);
    expect((await queryA(node.port, 'www.example.org')).addresses).toEqual(['192.0.2.10']);
  }, 40_000);

  it('creates a pool for a new name, sets pool keys, and lists sources and health', async () => {
    const pool = await api(node.adminPort, `/api/v1/zones/${ZONE}/pools/api/A`, { method: 'PUT', body: { policy: 'weighted', answers: 1, check: 'web', unknown: 'up' } });
    expect(pool.status, JSON.stringify(pool.body)).toBe(201);
    expect((await api(node.adminPort, memberPath(ZONE, 'api', 'A', '192.0.2.20'), { method: 'PUT', body: { weight: 5 } })).status).toBe(201);
    expect((await api(node.adminPort, memberPath(ZONE, 'api.example.org.', 'A', '192.0.2.21'), { method: 'PUT', body: { weight: 1, backup: true } })).status).toBe(201);
    const listing = await listPools(node.adminPort, ZONE);
    const apiPool = listing.pools.find((p) => p.owner === 'api.example.org.');
    expect(apiPool?.members.map((m) => [m.address, m.source, m.weight])).toEqual([
      ['192.0.2.20', 'api', 5],
      ['192.0.2.21', 'api', 1],
    ]);
    // Checked (port 9 refuses or times out): the health is known, or unknown until the first probe ends.
    expect(apiPool?.members.every((m) => ['unknown', 'down'].includes(m.health))).toBe(true);
    expect(listing.pools.find((p) => p.owner === 'www.example.org.')?.members.map((m) => m.source)).toEqual(['file']);
    expect((await api(node.adminPort, `/api/v1/zones/${ZONE}/pools/api/A`, { method: 'DELETE' })).status).toBe(204);
    expect((await listPools(node.adminPort, ZONE)).pools.find((p) => p.owner === 'api.example.org.')).toBeUndefined();
  });
});

describe('bad input changes nothing (issue 16)', () => {
  const path5 = memberPath(ZONE, 'www', 'A', '192.0.2.50');
  const cases: { name: string; path?: string; request: Parameters<typeof api>[2]; status: number; code: string; zoneLine?: string }[] = [
    { name: 'malformed JSON', request: { method: 'PUT', raw: '{"weight": 3', contentType: 'application/json' }, status: 400, code: 'ADMIN_API_BAD_JSON' },
    { name: 'an unknown key', request: { method: 'PUT', body: { colour: 'blue' } }, status: 400, code: 'ZONE_UNKNOWN_KEY', zoneLine: 'www 5 IN A 192.0.2.50 ;@ colour=blue' },
    { name: 'a value out of range', request: { method: 'PUT', body: { weight: 5000 } }, status: 400, code: 'ZONE_BAD_VALUE', zoneLine: 'www 5 IN A 192.0.2.50 ;@ weight=5000' },
    { name: 'a missing check', request: { method: 'PUT', body: { check: 'nope' } }, status: 400, code: 'ZONE_UNKNOWN_CHECK', zoneLine: 'www 5 IN A 192.0.2.50 ;@ check=nope' },
    { name: 'a bad address', path: memberPath(ZONE, 'www', 'A', '192.0.2.500'), request: { method: 'PUT', body: {} }, status: 400, code: 'ZONE_BAD_IPV4', zoneLine: 'www 5 IN A 192.0.2.500' },
    { name: 'an IPv6 address in an A pool', path: memberPath(ZONE, 'www', 'A', '2001:db8::5'), request: { method: 'PUT', body: {} }, status: 400, code: 'ZONE_BAD_IPV4' },
    { name: 'a body that is not an object', request: { method: 'PUT', body: [1, 2] }, status: 400, code: 'ZONE_BAD_VALUE' },
    { name: 'the wrong media type', request: { method: 'PUT', raw: 'weight=3', contentType: 'text/plain' }, status: 415, code: 'ADMIN_API_MEDIA_TYPE' },
    { name: 'no token', request: { method: 'PUT', body: {}, token: null }, status: 401, code: 'ADMIN_API_UNAUTHORIZED' },
    { name: 'a wrong token', request: { method: 'PUT', body: {}, token: 'not-the-secret-at-all' }, status: 401, code: 'ADMIN_API_UNAUTHORIZED' },
    { name: 'no token on DELETE', request: { method: 'DELETE', token: null }, status: 401, code: 'ADMIN_API_UNAUTHORIZED' },
    { name: 'an unknown zone', path: memberPath('example.net', 'www', 'A', '192.0.2.50'), request: { method: 'PUT', body: {} }, status: 404, code: 'ADMIN_API_UNKNOWN_ZONE' },
    { name: 'a type that is not a pool', path: memberPath(ZONE, 'www', 'CNAME', '192.0.2.50'), request: { method: 'PUT', body: {} }, status: 400, code: 'ADMIN_API_BAD_TYPE' },
    { name: 'a name outside the zone', path: memberPath(ZONE, 'www.example.net.', 'A', '192.0.2.50'), request: { method: 'PUT', body: {} }, status: 400, code: 'ZONE_OUT_OF_ZONE' },
    { name: 'a method the route does not take', request: { method: 'POST', body: {} }, status: 405, code: 'ADMIN_API_METHOD' },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.status} ${c.code}`, async () => {
      const before = await listPools(node.adminPort, ZONE);
      const fileBefore = await readFile(stateFile, 'utf8');
      const r = await api(node.adminPort, c.path ?? path5, c.request);
      expect(r.status, JSON.stringify(r.body)).toBe(c.status);
      const error = (r.body as { error: { code: string; message: string } }).error;
      expect(error.code).toBe(c.code);
      expect(error.message.length).toBeGreaterThan(10);
      if (c.zoneLine) {
        // The same message `rondo zone check` prints for the same setting in a zone file.
        await zones.write('bad/example.org.zone', [...HEAD, c.zoneLine].join('\n'));
        const check = await runRondo(['zone', 'check', path.join(zones.dir, 'bad', 'example.org.zone')]);
        expect(check.code).toBe(1);
        expect(check.stdout + check.stderr).toContain(`: ${error.message}`);
      }
      expect(await listPools(node.adminPort, ZONE)).toEqual(before);
      expect(await readFile(stateFile, 'utf8')).toBe(fileBefore);
      expect((await queryA(node.port, 'www.example.org')).addresses).toEqual(['192.0.2.10']);
    });
  }

  it('writes need the token even though reads on loopback without one would not', async () => {
    const r = await api(node.adminPort, path5, { method: 'PUT', body: {}, token: null });
    expect(r.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('audits every change (who, what, from where) and counts it in /metrics', async () => {
    expect((await api(node.adminPort, memberPath(ZONE, 'www', 'A', '192.0.2.61'), { method: 'PUT', body: {}, token: null })).status).toBe(401);
    expect((await api(node.adminPort, memberPath(ZONE, 'www', 'A', '192.0.2.61'), { method: 'PUT', body: { weight: -1 } })).status).toBe(400);
    expect((await api(node.adminPort, memberPath(ZONE, 'www', 'A', '192.0.2.60'), { method: 'PUT', body: {} })).status).toBe(201);
    const line = await vi.waitFor(() => {
      const found = node.process.logRecords().find((r) => r.msg === 'membership change applied' && r.address === '192.0.2.60');
      if (!found) throw new Error(`no audit line yet\n${node.process.logTail(10)}`);
      return found;
    });
    expect(line).toMatchObject({ level: 30, by: 'ops', action: 'put-member', zone: ZONE, owner: 'www', type: 'A', status: 201 });
    expect(String(line?.from)).toMatch(/^127\.0\.0\.1:\d+$/);
    const metrics = await api(node.adminPort, '/metrics', { token: TOKEN_SECRET });
    const text = String(metrics.body);
    expect(text).toMatch(/rondo_membership_changes_total\{by="ops",action="put-member",result="applied"\} [1-9]/);
    expect(text).toMatch(/rondo_membership_changes_total\{by="anonymous",action="put-member",result="unauthorized"\} [1-9]/);
    expect(text).toMatch(/rondo_membership_changes_total\{by="ops",action="put-member",result="refused"\} [1-9]/);
    expect(text).toMatch(/rondo_membership_members\{zone="example.org."\} 1/);
  });
});
