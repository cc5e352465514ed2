/**
 * Rondo's signed answers validate in real validators: unbound (trust anchor = the zone's DS, stub
 * zones to Rondo on loopback) sets AD=1, and delv says "fully validated", for a pool answer
 * before and after a backend dies and the variant changes, a static RRset, a (compact-denial)
 * NXDOMAIN, NODATA, a wildcard answer, a CNAME chain, and delegations with and without DS; with a
 * trust anchor that is not the zone's key, the same queries are SERVFAIL.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpBackend, type TcpBackend } from '../../helpers/backends.js';
import { dig } from '../../helpers/dig.js';
import { delv, dsOf, mapLimit, dsRecords, keygen, serve, startValidatingUnbound, tempDir, type Anchor, type Served, type Unbound } from './fixture.js';

const POLL = { timeout: 10_000, interval: 100 };

let dir: string;
let backends: TcpBackend[] = [];
let parent: Served;
let children: Served;
let unbound: Unbound;
let tampered: Unbound;
let anchor: Anchor;

function parentZone(childDs: string, ports: readonly number[]): string {
  return `$ORIGIN example.test.
$TTL 300
@    IN SOA ns1 hostmaster 2026112101 7200 900 1209600 30
     IN NS  ns1
ns1  IN A   127.0.0.1
;@check conn tcp interval=200ms timeout=150ms fall=1 rise=1
;@pool www check=conn
www  20 IN A 192.0.2.10 ;@ probe=127.0.0.1 port=${ports[0]}
www  20 IN A 192.0.2.11 ;@ probe=127.0.0.1 port=${ports[1]}
www  20 IN A 192.0.2.12 ;@ probe=127.0.0.1 port=${ports[2]}
static IN A 192.0.2.50
static IN TXT "static text"
*.wild IN A 192.0.2.60
alias IN CNAME alias2
alias2 IN CNAME www
secure IN NS ns.secure
${childDs}
ns.secure IN A 127.0.0.1
sub  IN NS ns.sub
ns.sub IN A 127.0.0.1
`;
}

const CHILD_SECURE = `$ORIGIN secure.example.test.
$TTL 300
@ IN SOA ns hostmaster 1 7200 900 1209600 30
  IN NS ns
ns IN A 127.0.0.1
host IN A 192.0.2.80
`;

const CHILD_INSECURE = `$ORIGIN sub.example.test.
$TTL 300
@ IN SOA ns hostmaster 1 7200 900 1209600 30
  IN NS ns
ns IN A 127.0.0.1
host IN A 192.0.2.90
`;

/** Queries whose answers must validate, with the answer each gives. */
const CASES: readonly { name: string; type: string; status: string; answers: boolean }[] = [
  { name: 'static.example.test', type: 'A', status: 'NOERROR', answers: true },
  { name: 'static.example.test', type: 'TXT', status: 'NOERROR', answers: true },
  // Compact denial (RFC 9824): a name that does not exist is NOERROR with an NXNAME NSEC.
  { name: 'missing.example.test', type: 'A', status: 'NOERROR', answers: false },
  { name: 'static.example.test', type: 'AAAA', status: 'NOERROR', answers: false },
  { name: 'anything.wild.example.test', type: 'A', status: 'NOERROR', answers: true },
  { name: 'anything.wild.example.test', type: 'MX', status: 'NOERROR', answers: false },
  { name: 'alias.example.test', type: 'A', status: 'NOERROR', answers: true },
  { name: 'example.test', type: 'DNSKEY', status: 'NOERROR', answers: true },
  { name: 'example.test', type: 'CDS', status: 'NOERROR', answers: true },
  { name: 'secure.example.test', type: 'DS', status: 'NOERROR', answers: true },
  { name: 'sub.example.test', type: 'DS', status: 'NOERROR', answers: false },
  { name: 'host.secure.example.test', type: 'A', status: 'NOERROR', answers: true },
];

beforeAll(async () => {
  dir = await tempDir('rondo-dnssec-');
  const parentKeys = path.join(dir, 'keys');
  const childKeys = path.join(dir, 'child-keys');
  // The parent: one CSK (ECDSAP256SHA256). The signed child: KSK + ZSK (ED25519).
  await keygen(parentKeys, 'example.test', ['-a', '13', '-f', 'KSK']).catch(async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(parentKeys, { recursive: true });
    await mkdir(childKeys, { recursive: true });
    return keygen(parentKeys, 'example.test', ['-a', '13', '-f', 'KSK']);
  });
  await keygen(childKeys, 'secure.example.test', ['-a', '15', '-f', 'KSK']);
  await keygen(childKeys, 'secure.example.test', ['-a', '15']);
  backends = await Promise.all([startTcpBackend(), startTcpBackend(), startTcpBackend()]);
  const childDs = dsRecords('secure', await dsOf(childKeys, 'secure.example.test'));
  await writeFile(path.join(dir, 'example.test.zone'), parentZone(childDs, backends.map((b) => b.port)));
  await writeFile(path.join(dir, 'secure.zone'), CHILD_SECURE);
  await writeFile(path.join(dir, 'sub.zone'), CHILD_INSECURE);
  parent = await serve([path.join(dir, 'example.test.zone')], parentKeys, true);
  children = await serve([path.join(dir, 'secure.zone'), path.join(dir, 'sub.zone')], childKeys);
  anchor = { zone: 'example.test', ds: await dsOf(parentKeys, 'example.test') };
  const stubs = [
    { zone: 'example.test', host: parent.host, port: parent.port },
    { zone: 'secure.example.test', host: children.host, port: children.port },
    { zone: 'sub.example.test', host: children.host, port: children.port },
  ];
  unbound = await startValidatingUnbound([anchor], stubs);
  // A key that is not the one Rondo signs with: the "tampered" anchor.
  const otherKeys = path.join(dir, 'other-keys');
  await keygen(otherKeys, 'example.test', ['-a', '13', '-f', 'KSK']).catch(async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(otherKeys, { recursive: true });
    return keygen(otherKeys, 'example.test', ['-a', '13', '-f', 'KSK']);
  });
  tampered = await startValidatingUnbound([{ zone: 'example.test', ds: await dsOf(otherKeys, 'example.test') }], stubs);
}, 30_000);

afterAll(async () => {
  await unbound?.stop();
  await tampered?.stop();
  await parent?.stop();
  await children?.stop();
  for (const b of backends) await b.close();
  const { rm } = await import('node:fs/promises');
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('signed answers validate in unbound and delv', () => {
  it('gives AD=1 for every kind of answer', async () => {
    const results = await mapLimit(CASES, 4, (c) => unbound.query(c.name, c.type));
    CASES.forEach((c, i) => {
      const res = results[i]!;
      expect({ q: `${c.name}/${c.type}`, status: res.status, ad: res.flags.includes('ad') }, unbound.logTail()).toEqual({ q: `${c.name}/${c.type}`, status: c.status, ad: true });
      expect(res.answer.some((rr) => !rr.includes('RRSIG')), `${c.name}/${c.type}`).toBe(c.answers);
    });
  });

  it('answers an insecure delegation without AD and without SERVFAIL', async () => {
    const res = await unbound.query('host.sub.example.test', 'A');
    expect(res.status).toBe('NOERROR');
    expect(res.flags).not.toContain('ad');
    expect(res.answer.join('\n')).toContain('192.0.2.90');
  });

  it('keeps AD=1 for a pool answer before and after a backend dies and the variant changes', async () => {
    const addresses = async (): Promise<string[]> => {
      const res = await unbound.query('www.example.test', 'A');
      expect(res.flags).toContain('ad');
      return res.answer.filter((rr) => /\sIN\s+A\s/.test(rr)).map((rr) => rr.split(/\s+/).pop() ?? '').sort();
    };
    await expect.poll(addresses, POLL).toEqual(['192.0.2.10', '192.0.2.11', '192.0.2.12']);
    const before = parent.runtime.signer?.stats.signatures ?? 0;
    await backends[1]!.stop();
    await expect.poll(addresses, POLL).toEqual(['192.0.2.10', '192.0.2.12']);
    // Only the touched pool was signed again: one member set, one key.
    expect((parent.runtime.signer?.stats.signatures ?? 0) - before).toBeLessThanOrEqual(2);
    await backends[1]!.start();
    await expect.poll(addresses, POLL).toEqual(['192.0.2.10', '192.0.2.11', '192.0.2.12']);
  });

  it('refers with DS and RRSIG, or with the NSEC proving there is no DS', async () => {
    const target = { host: parent.host, port: parent.port };
    const secure = await dig(target, 'host.secure.example.test', 'A', { dnssec: true, recurse: false });
    expect(secure.flags).not.toContain('aa');
    expect(secure.authority.some((rr) => /\sDS\s/.test(rr))).toBe(true);
    expect(secure.authority.some((rr) => /RRSIG\s+DS\s/.test(rr))).toBe(true);
    const insecure = await dig(target, 'host.sub.example.test', 'A', { dnssec: true, recurse: false });
    const nsec = insecure.authority.find((rr) => /\sNSEC\s/.test(rr));
    expect(nsec).toMatch(/NS RRSIG NSEC$/);
    expect(insecure.authority.some((rr) => /RRSIG\s+NSEC\s/.test(rr))).toBe(true);
  });

  it('delv fully validates the same names', async () => {
    const cases = CASES.filter((x) => !x.name.includes('secure.example.test') || x.type === 'DS');
    const results = await mapLimit(cases, 4, (c) => delv(dir, parent, anchor, c.name, c.type));
    cases.forEach((c, i) => {
      const res = results[i]!;
      expect({ q: `${c.name}/${c.type}`, validated: res.validated, negative: res.negative }, res.output).toEqual({ q: `${c.name}/${c.type}`, validated: true, negative: !c.answers });
    });
    const pool = await delv(dir, parent, anchor, 'www.example.test', 'A');
    expect(pool.validated, pool.output).toBe(true);
  });

  it('validates answers from a second server with the same keys (its ECDSA signatures differ)', async () => {
    const second = await serve([path.join(dir, 'example.test.zone')], path.join(dir, 'keys'));
    try {
      const sigOf = async (server: { host: string; port: number }): Promise<string> => {
        const res = await dig(server, 'static.example.test', 'A', { dnssec: true, recurse: false });
        return res.answer.find((rr) => rr.includes('RRSIG')) ?? '';
      };
      expect(await sigOf(second)).not.toBe(await sigOf(parent));
      const names = [['static.example.test', 'A'], ['www.example.test', 'A'], ['missing.example.test', 'A']] as const;
      for (const res of await mapLimit(names, 3, ([name, type]) => delv(dir, second, anchor, name, type))) expect(res.validated, res.output).toBe(true);
    } finally {
      await second.stop();
    }
  });

  it('gives SERVFAIL for the same queries when the trust anchor is not the zone key', async () => {
    const cases = [...CASES.filter((x) => !x.name.includes('secure.example.test')), { name: 'www.example.test', type: 'A' }];
    const results = await mapLimit(cases, 4, (c) => tampered.query(c.name, c.type));
    cases.forEach((c, i) => expect({ q: `${c.name}/${c.type}`, status: results[i]!.status }).toEqual({ q: `${c.name}/${c.type}`, status: 'SERVFAIL' }));
  });
});
