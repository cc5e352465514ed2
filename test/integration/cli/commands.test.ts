/**
 * The CLI as a user runs it (issue 2): `rondo zone check` exit codes and error lines, --help on
 * every command, and clear start-up errors.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRondo, startRondo, stopAllRondo, freeDnsPort } from '../../../bench/lib/rondo-process.js';

const dir = mkdtempSync(path.join(tmpdir(), 'rondo-cli-'));
afterAll(async () => {
  await stopAllRondo();
  rmSync(dir, { recursive: true, force: true });
});

const THREE_ERRORS = `$ORIGIN bad.example.test.
$TTL 300
@    IN SOA ns1 hostmaster 1 7200 900 1209600 30
     IN NS  ns1
ns1  IN A    192.0.2.300
www  IN AAAA 2001:db8::zz
;@pool www policy=fastest-ever
`;

describe('rondo zone check', () => {
  it('exits 0 on the example zones', async () => {
    const run = await runRondo(['zone', 'check', 'zones/examples']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/example\.test\.zone: zone example\.test\. OK/);
    expect(run.code).toBe(0);
  });

  it('prints every error as file:line:column: message and exits 1', async () => {
    const file = path.join(dir, 'bad.example.test.zone');
    writeFileSync(file, THREE_ERRORS);
    const run = await runRondo(['zone', 'check', file]);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toEqual([
      `${file}:5:14: bad IPv4 address "192.0.2.300" in A record`,
      `${file}:6:14: bad IPv6 address "2001:db8::zz" in AAAA record`,
      expect.stringMatching(new RegExp(`^${file.replace(/[.]/g, '\\.')}:7:\\d+: policy must be one of .*\\(got "fastest-ever"\\)$`)),
    ]);
  });
});

describe('rondo --help', () => {
  it.each(['serve', 'check', 'zone check', 'status', 'drain', 'undrain', 'force', 'report', 'simulate', 'demo'])('%s --help exits 0 with a usage line', async (cmd) => {
    const run = await runRondo([...cmd.split(' '), '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: rondo ${cmd}`));
  });
});

describe('rondo serve TCP limits', () => {
  it('--tcp-idle-timeout closes a connection that sends nothing', async () => {
    const port = await freeDnsPort();
    const server = await startRondo(['serve', '--zones', 'zones/examples', '--listen', `127.0.0.1:${port}`, '--tcp-idle-timeout', '300ms']);
    const socket = net.connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    const opened = performance.now();
    socket.resume();
    await once(socket, 'close');
    const idleMs = performance.now() - opened;
    expect(idleMs).toBeGreaterThan(250);
    expect(idleMs).toBeLessThan(5000);
    await server.stop();
  });
});

describe('rondo serve start-up errors', () => {
  it('names the address already in use and exits 1', async () => {
    const port = await freeDnsPort();
    const first = await startRondo(['serve', '--zones', 'zones/examples', '--listen', `127.0.0.1:${port}`]);
    const second = await runRondo(['serve', '--zones', 'zones/examples', '--listen', `127.0.0.1:${port}`]);
    expect(second.code).toBe(1);
    expect(second.stdout + second.stderr).toContain(`127.0.0.1:${port}`);
    expect(second.stdout + second.stderr).toMatch(/in use/i);
    await first.stop();
  });

  it('refuses to start when no zone loads, saying why', async () => {
    const file = path.join(dir, 'only-bad.example.test.zone');
    writeFileSync(file, THREE_ERRORS);
    const run = await runRondo(['serve', '--zones', file, '--listen', '127.0.0.1:0']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('192.0.2.300');
    expect(run.stderr).toContain('no zone loaded');
  });
});
