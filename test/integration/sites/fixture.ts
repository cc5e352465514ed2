/**
 * Issue 12 fixture: the real Runtime (zone watcher, checks, memory health store, planned selector,
 * DNS server on 127.0.0.1 port 0) with a GeoIP database the test builds (test/helpers/mmdb-writer),
 * read through the same `maxmind` reader `rondo serve --geoip` uses.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { Runtime } from '../../../server/runtime.js';
import { loadGeoIp } from '../../../server/geoip.js';
import { silentLogger } from '../../../lib/logger.js';
import { parseZoneText } from '../../../zones/load.js';
import type { DnsTarget } from '../../helpers/dig.js';
import { buildMmdb, type GeoNetwork } from '../../helpers/mmdb-writer.js';

export interface SitesUnderTest {
  readonly runtime: Runtime;
  readonly target: DnsTarget;
  readonly dir: string;
}

/** Writes the GeoIP database to a temporary file and returns its path. */
export async function writeMmdb(networks: readonly GeoNetwork[]): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-geo-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'test.mmdb');
  await writeFile(file, buildMmdb(networks));
  return file;
}

export async function startSites(zone: string, options: { geo?: readonly GeoNetwork[]; checks?: boolean } = {}): Promise<SitesUnderTest> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-sites-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const zoneFile = path.join(dir, 'example.test.zone');
  const parsed = parseZoneText(zone, zoneFile);
  if (!parsed.ok) throw new Error(`test zone refused:\n${parsed.errors.map((e) => e.message).join('\n')}`);
  await writeFile(zoneFile, zone);
  const geo = options.geo ? await loadGeoIp(await writeMmdb(options.geo)) : undefined;
  const runtime = new Runtime({ zonePaths: [dir], listen: [{ host: '127.0.0.1', port: 0 }], checks: options.checks ?? true, nodeId: 'sites', logger: silentLogger(), geo });
  onTestFinished(() => runtime.stop());
  await runtime.start();
  const bound = runtime.server?.addresses()[0];
  if (!bound) throw new Error('runtime has no DNS listener');
  return { runtime, target: { host: bound.host, port: bound.port }, dir };
}
