/**
 * Issue 14, start-up: `rondo serve` posts its first zone file's compile to the prestarted zone
 * worker before the program is imported (cli/index.ts, zones/zone-worker-start.ts). The
 * ZoneCompiler takes that compile over only for the same job on files unchanged since; otherwise
 * it compiles as usual. Either way the outcome, errors included, is the same as without it.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../lib/logger.js';
import { Runtime } from '../../../server/runtime.js';
import { compileZoneFiles, type CompileJob, type CompileOutcome } from '../../../zones/compile-files.js';
import { signature } from '../../../zones/file-signature.js';
import { ZoneCompiler } from '../../../zones/zone-compiler.js';
import { prestartZoneWorker, takeSpare, type EarlyJob } from '../../../zones/zone-worker-start.js';
import { buildQuery } from '../../helpers/dns-client.js';
import { tempZoneFile } from '../../helpers/temp-zone.js';

function zoneText(names: number, serial: number, bad = false): string {
  const lines = ['$ORIGIN example.test.', '$TTL 300', `@ IN SOA ns1 hostmaster ${serial} 7200 900 1209600 30`, '  IN NS ns1', 'ns1 IN A 192.0.2.53'];
  for (let n = 0; n < names; n++) lines.push(`;@pool host${n} policy=round-robin`, `host${n} 20 IN A 192.0.2.1`, ' 20 IN A 192.0.2.2');
  if (bad) lines.push('broken 20 IN A 192.0.2.300');
  return lines.join('\n') + '\n';
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  // A spare no test took must not be taken by the next test.
  const left = takeSpare(undefined);
  if (left) await left.worker.terminate();
});

function tempZone(text: string): string {
  return tempZoneFile(text, cleanups, 'rondo-zone-early-');
}

const OPTIONS = { allowIncludeOutside: false };

/** The job the zone watcher asks for on a first load, with the signatures it took before. */
async function firstLoad(file: string): Promise<{ job: CompileJob; seen: Map<string, string> }> {
  const dep = path.resolve(file);
  return { job: { file, deps: [dep], options: OPTIONS, shared: true }, seen: new Map([[dep, await signature(dep)]]) };
}

function compiler(): ZoneCompiler {
  const c = new ZoneCompiler({ logger: silentLogger() });
  cleanups.push(() => c.close());
  return c;
}

function prestart(file: string, options = OPTIONS): EarlyJob {
  const early = prestartZoneWorker({ file, options, shared: true });
  if (!early) throw new Error('no zone worker script (npm run build)');
  return early;
}

/** What matters of an outcome, without the timings. */
function essence(o: CompileOutcome): unknown {
  if (o.status === 'loaded') return { status: o.status, hash: o.hash, deps: o.deps, files: o.files, warnings: o.warnings, size: o.zone.size, chars: [...o.zone.chars], ipv4: [...o.zone.ipv4] };
  if (o.status === 'failed') return { status: o.status, hash: o.hash, deps: o.deps, files: o.files, errors: o.errors };
  return o;
}

describe('the first zone compiled while the program loads (issue 14)', () => {
  it('takes over the compile begun before the job was asked for, still running', async () => {
    const file = tempZone(zoneText(2000, 1));
    prestart(file);
    const zones = compiler();
    const { job, seen } = await firstLoad(file);
    const outcome = await zones.compile(job, seen);
    expect(zones.stats.earlyTaken).toBe(1);
    expect(zones.stats.starts).toBe(1);
    expect(essence(outcome)).toEqual(essence(await compileZoneFiles(job)));
  });

  it('takes over the compile begun before the job was asked for, already finished', async () => {
    const file = tempZone(zoneText(50, 1));
    const early = prestart(file);
    await vi.waitFor(() => expect(early.reply).toBeDefined(), { timeout: 10_000 });
    const zones = compiler();
    const { job, seen } = await firstLoad(file);
    const outcome = await zones.compile(job, seen);
    expect(zones.stats.earlyTaken).toBe(1);
    expect(essence(outcome)).toEqual(essence(await compileZoneFiles(job)));
  });

  it('reports a zone with errors exactly as a compile asked for (file:line:column)', async () => {
    const file = tempZone(zoneText(3, 1, true));
    prestart(file);
    const zones = compiler();
    const { job, seen } = await firstLoad(file);
    const outcome = await zones.compile(job, seen);
    expect(zones.stats.earlyTaken).toBe(1);
    expect(outcome.status).toBe('failed');
    if (outcome.status === 'failed') expect(outcome.errors[0]).toMatchObject({ code: 'ZONE_BAD_IPV4', file, line: 15, column: 16 });
    expect(essence(outcome)).toEqual(essence(await compileZoneFiles(job)));
  });

  it('compiles again when the file changed after the early compile read it', async () => {
    const file = tempZone(zoneText(50, 1));
    const early = prestart(file);
    await vi.waitFor(() => expect(early.reply).toBeDefined(), { timeout: 10_000 });
    writeFileSync(file, zoneText(60, 2)); // another size: another signature
    const zones = compiler();
    const { job, seen } = await firstLoad(file);
    const outcome = await zones.compile(job, seen);
    expect(zones.stats.earlyTaken).toBe(0);
    expect(outcome.status === 'loaded' && outcome.zone.size).toBe(3 + 60 * 2);
    expect(essence(outcome)).toEqual(essence(await compileZoneFiles(job)));
  });

  it('compiles again for other options or without signatures', async () => {
    const file = tempZone(zoneText(50, 1));
    prestart(file, { allowIncludeOutside: true });
    const zones = compiler();
    const { job, seen } = await firstLoad(file);
    expect((await zones.compile(job, seen)).status).toBe('loaded');
    expect(zones.stats.earlyTaken).toBe(0);

    prestart(file);
    const other = compiler();
    expect((await other.compile(job)).status).toBe('loaded');
    expect(other.stats.earlyTaken).toBe(0);
  });

  it('serves the zone compiled early (rondo serve: the zone watcher passes its signatures)', async () => {
    const file = tempZone(zoneText(100, 7));
    prestart(file);
    const runtime = new Runtime({ zonePaths: [file], listen: [{ host: '127.0.0.1', port: 0 }], checks: false, logger: silentLogger() });
    cleanups.push(() => runtime.stop());
    await runtime.start();
    expect(runtime.zoneCompiler?.stats.earlyTaken).toBe(1);
    const socket = dgram.createSocket('udp4');
    cleanups.push(() => {
      socket.close();
    });
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    socket.send(buildQuery({ id: 7, name: 'host99.example.test.', type: 1, rd: false }), runtime.server?.addresses()[0]?.port ?? 0, '127.0.0.1');
    const [reply] = (await once(socket, 'message')) as [Buffer];
    expect(reply.readUInt16BE(6)).toBe(2);
  });
});
