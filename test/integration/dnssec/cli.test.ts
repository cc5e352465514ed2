/**
 * The DNSSEC parts of the CLI, as processes: `rondo dnssec ds` prints what dnssec-dsfromkey prints,
 * `rondo zone check --dnssec-keys` and `rondo status --dnssec-keys` describe the keys, and
 * `rondo serve --dnssec-keys` signs, with the signing metrics on /metrics and the keys in /status.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeDnsPort, runRondo, runRondoOk, startRondo, type RondoProcess } from '../../../bench/lib/rondo-process.js';
import { freePort } from '../../../bench/lib/redis-server.js';
import { dig } from '../../helpers/dig.js';
import { keygen, tempDir } from './fixture.js';

const run = promisify(execFile);

const ZONE = `$ORIGIN example.test.
$TTL 300
@ IN SOA ns1 hostmaster 1 7200 900 1209600 30
  IN NS ns1
ns1 IN A 192.0.2.53
www 20 IN A 192.0.2.10
www 20 IN A 192.0.2.11
`;

let dir: string;
let keys: string;
let ksk: string;
let zoneFile: string;
let serve: RondoProcess | undefined;

beforeAll(async () => {
  dir = await tempDir('rondo-dnssec-cli-');
  keys = path.join(dir, 'keys');
  await mkdir(keys);
  ksk = await keygen(keys, 'example.test', ['-a', '13', '-f', 'KSK']);
  await keygen(keys, 'example.test', ['-a', '13']);
  zoneFile = path.join(dir, 'example.test.zone');
  await writeFile(zoneFile, ZONE);
}, 20_000);

afterAll(async () => {
  await serve?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('rondo dnssec, zone check and status with keys', () => {
  it('prints the KSK\'s DS as dnssec-dsfromkey does, and fails for a zone without keys', async () => {
    const { stdout } = await run('dnssec-dsfromkey', ['-2', path.join(keys, `${ksk}.key`)]);
    expect(await runRondoOk(['dnssec', 'ds', 'example.test', '--dnssec-keys', keys])).toBe(stdout);
    const missing = await runRondo(['dnssec', 'ds', 'other.test', '--dnssec-keys', keys]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no keys for other.test.');
  });

  it('says how the zone would be signed, and lists the keys with their roles', async () => {
    const check = await runRondoOk(['zone', 'check', zoneFile, '--dnssec-keys', keys]);
    expect(check).toMatch(/signed with \d+\/13; DNSKEY \d+, \d+/);
    const status = await runRondoOk(['status', '--dnssec-keys', keys]);
    expect(status).toMatch(/example\.test\. signed\n {2}key \d+ alg 13 (ksk|zsk) active\n {2}key \d+ alg 13 (ksk|zsk) active/);
    expect(status).toContain('ksk active');
    expect(status).toContain('zsk active');
  });

  it('serves signed answers, with signing metrics and the keys in /status', async () => {
    const port = await freeDnsPort();
    const http = await freePort();
    serve = await startRondo(['serve', '--zones', zoneFile, '--listen', `127.0.0.1:${port}`, '--dnssec-keys', keys, '--http', `127.0.0.1:${http}`, '--log-level', 'info']);
    const res = await dig({ host: '127.0.0.1', port }, 'www.example.test', 'A', { dnssec: true });
    expect(res.answer.some((rr) => /RRSIG\s+A\s+13\s+3\s+20\s/.test(rr))).toBe(true);
    await serve.waitForLog('zone signed');
    const metrics = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(value('rondo_dnssec_signatures_total')).toBeGreaterThanOrEqual(5);
    expect(value('rondo_dnssec_signing_seconds_total')).toBeGreaterThan(0);
    const expiry = value('rondo_dnssec_earliest_expiry_seconds');
    expect(expiry).toBeGreaterThan(Date.now() / 1000 + 12 * 86400);
    expect(value('rondo_dnssec_signed_zones')).toBe(1);
    const status = (await (await fetch(`http://127.0.0.1:${http}/status`)).json()) as { dnssec: { zone: string; keys: { role: string; state: string }[] }[] };
    expect(status.dnssec.map((z) => z.zone)).toEqual(['example.test.']);
    expect(status.dnssec[0]?.keys.map((k) => `${k.role}/${k.state}`).sort()).toEqual(['ksk/active', 'zsk/active']);
  });
});
