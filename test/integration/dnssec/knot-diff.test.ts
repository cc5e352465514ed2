/**
 * Differential test against Knot DNS's online signer (knotd with mod-onlinesign, its own keys) on
 * the same zone file: for each query, with DO=1, the RCODE, the AA/TC flags, which RRsets appear
 * in each section (owner and type) and which types the RRSIGs cover must agree. Signatures, key
 * tags, TTLs and NSEC contents are exempt (different keys; each signer's own policy). Differences
 * that remain are listed in EXEMPT, each with the reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../bench/lib/redis-server.js';
import { dig, type DigResult } from '../../helpers/dig.js';
import { keygen, mapLimit, RETRIES, serve, tempDir, type Served } from './fixture.js';

const KNOTD = '/usr/sbin/knotd';

const ZONE = `$ORIGIN example.test.
$TTL 300
@    IN SOA ns1 hostmaster 2026112101 7200 900 1209600 30
     IN NS  ns1
ns1  IN A   127.0.0.1
;@pool www policy=round-robin
www  20 IN A 192.0.2.10
www  20 IN A 192.0.2.11
www  20 IN A 192.0.2.12
static IN A 192.0.2.50
static IN TXT "static text"
mail IN MX 10 ns1
*.wild IN A 192.0.2.60
alias IN CNAME alias2
alias2 IN CNAME www
dangling IN CNAME nothing-here
deep.ent.example.test. IN A 192.0.2.40
secure IN NS ns.secure
secure IN TYPE43 \\# 36 30390d02 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ns.secure IN A 192.0.2.71
sub  IN NS ns.sub
ns.sub IN A 192.0.2.70
`;

const QUERIES: readonly [string, string][] = [
  ['www.example.test', 'A'],
  ['static.example.test', 'A'],
  ['static.example.test', 'TXT'],
  ['static.example.test', 'AAAA'],
  ['mail.example.test', 'MX'],
  ['missing.example.test', 'A'],
  ['ent.example.test', 'A'],
  ['deep.ent.example.test', 'A'],
  ['x.wild.example.test', 'A'],
  ['x.wild.example.test', 'TXT'],
  ['alias.example.test', 'A'],
  ['dangling.example.test', 'A'],
  ['a.sub.example.test', 'A'],
  ['a.secure.example.test', 'A'],
  ['secure.example.test', 'DS'],
  ['sub.example.test', 'DS'],
  ['example.test', 'SOA'],
  ['example.test', 'NS'],
  ['example.test', 'DNSKEY'],
  ['example.test', 'CDS'],
  ['example.test', 'CDNSKEY'],
  ['ns1.example.test', 'A'],
];

/**
 * Known differences, by query: what each server shows instead. Everything else must be equal.
 */
const EXEMPT: Record<string, { why: string; rondo: Partial<Shape>; knot: Partial<Shape> }> = {
  'a.secure.example.test/A': {
    why:
      'A referral to a signed child: Rondo puts the DS RRset and its RRSIG in authority (RFC 4035 §3.1.4); ' +
      'Knot 3.2 mod-onlinesign puts an NSEC at the cut whose bitmap has the DS bit instead (a validator then asks for DS).',
    rondo: { authority: ['secure.example.test./DS', 'secure.example.test./NS', 'secure.example.test./RRSIG:DS'] },
    knot: { authority: ['secure.example.test./NS', 'secure.example.test./NSEC', 'secure.example.test./RRSIG:NSEC'] },
  },
};

interface Shape {
  rcode: string;
  flags: string[];
  answer: string[];
  authority: string[];
  additional: string[];
}

/** owner/TYPE for records, owner/RRSIG:COVERED for signatures, sorted and deduplicated. */
function section(lines: readonly string[]): string[] {
  const set = new Set<string>();
  for (const line of lines) {
    const f = line.split(/\s+/);
    const owner = (f[0] ?? '').toLowerCase();
    const type = f[3] ?? '';
    if (type === 'OPT') continue;
    set.add(type === 'RRSIG' ? `${owner}/RRSIG:${f[4] ?? ''}` : `${owner}/${type}`);
  }
  return [...set].sort();
}

function shape(res: DigResult): Shape {
  return {
    rcode: res.status,
    flags: res.flags.filter((f) => f === 'aa' || f === 'tc').sort(),
    answer: section(res.answer),
    authority: section(res.authority),
    additional: section(res.additional),
  };
}

let dir: string;
let rondo: Served;
let knot: ChildProcess | undefined;
let knotPort = 0;
let knotLog = '';

beforeAll(async () => {
  dir = await tempDir('rondo-knot-diff-');
  const keys = path.join(dir, 'keys');
  await mkdir(keys);
  await keygen(keys, 'example.test', ['-a', '13', '-f', 'KSK']);
  const zoneFile = path.join(dir, 'example.test.zone');
  await writeFile(zoneFile, ZONE);
  rondo = await serve([zoneFile], keys);
  knotPort = await freePort();
  const knotDir = path.join(dir, 'knot');
  await mkdir(knotDir);
  const conf = path.join(knotDir, 'knot.conf');
  await writeFile(
    conf,
    [
      'server:',
      `  listen: 127.0.0.1@${knotPort}`,
      `  rundir: ${knotDir}`,
      'database:',
      `  storage: ${knotDir}`,
      'log:',
      '  - target: stderr',
      '    any: warning',
      'zone:',
      '  - domain: example.test',
      `    storage: ${dir}`,
      '    file: example.test.zone',
      '    module: mod-onlinesign',
      '',
    ].join('\n'),
  );
  knot = spawn(KNOTD, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  knot.stderr?.on('data', (c: Buffer) => (knotLog += c.toString()));
  const target = { host: '127.0.0.1', port: knotPort };
  for (let i = 0; i < 100; i++) {
    const ok = await dig(target, 'example.test', 'DNSKEY', { dnssec: true, timeoutMs: 1000 }).then((r) => r.answer.some((l) => l.includes('DNSKEY')), () => false);
    if (ok) break;
    if (i === 99) throw new Error(`knotd did not start:\n${knotLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 30_000);

afterAll(async () => {
  if (knot && knot.exitCode === null) {
    knot.kill('SIGTERM');
    await once(knot, 'exit');
  }
  await rondo?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.runIf(existsSync(KNOTD))('differential against Knot DNS mod-onlinesign', () => {
  it('agrees on rcode, flags, RRsets and RRSIG types (DO=1), but for the exempt cases', async () => {
    const mismatches: string[] = [];
    const opts = { dnssec: true, recurse: false, extra: RETRIES } as const;
    const answers = await mapLimit(QUERIES, 3, ([name, type]) => Promise.all([dig({ host: rondo.host, port: rondo.port }, name, type, opts), dig({ host: '127.0.0.1', port: knotPort }, name, type, opts)]));
    for (const [i, [name, type]] of QUERIES.entries()) {
      const [ours, theirs] = answers[i]!;
      const key = `${name}/${type}`;
      const a = shape(ours);
      const b = shape(theirs);
      const exempt = EXEMPT[key];
      if (exempt) {
        expect({ ...a, ...exempt.rondo }, `${key} (ours, exempt: ${exempt.why})`).toEqual(a);
        expect({ ...b, ...exempt.knot }, `${key} (knot, exempt: ${exempt.why})`).toEqual(b);
        continue;
      }
      if (JSON.stringify(a) !== JSON.stringify(b)) mismatches.push(`${key}\n  rondo ${JSON.stringify(a)}\n  knot  ${JSON.stringify(b)}`);
    }
    expect(mismatches.join('\n')).toBe('');
  });

  it('both answer a name that does not exist with NOERROR and an NSEC at the name (compact denial / black lies)', async () => {
    const opts = { dnssec: true, recurse: false } as const;
    for (const port of [rondo.port, knotPort]) {
      const res = await dig({ host: '127.0.0.1', port }, 'missing.example.test', 'A', opts);
      expect(res.status).toBe('NOERROR');
      const nsec = res.authority.find((l) => /\sNSEC\s/.test(l)) ?? '';
      // Owner the name itself, next name its immediate successor.
      expect(nsec).toMatch(/^missing\.example\.test\.\s+\d+\s+IN\s+NSEC\s+\\000\.missing\.example\.test\./);
    }
    // Rondo's bitmap is RFC 9824's: RRSIG NSEC NXNAME (TYPE128); Knot 3.2 predates it and lists other types.
    const ours = await dig({ host: rondo.host, port: rondo.port }, 'missing.example.test', 'A', opts);
    expect(ours.authority.find((l) => /\sNSEC\s/.test(l))).toMatch(/RRSIG NSEC TYPE128$/);
  });
});
