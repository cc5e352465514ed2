/** Rondo itself (one process, and --workers 2), the plain node:dgram ceiling and the naive dns2 server. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { spawnPinned, which } from '../lib/proc.js';
import { benchSitesZone, benchZone } from '../lib/zone.js';
import { MEMBERS, QNAME, ZONE, type Peer, type PeerContext } from './types.js';

const execFileAsync = promisify(execFile);

function nodeScript(ctx: PeerContext, ...parts: string[]): string {
  return path.join(ctx.root, 'dist', ...parts);
}

function rondo(name: string, workers: number, dnssec = false, sites = false, poolKeys = ''): Peer {
  return {
    name,
    serves: sites
      ? 'the same pool with map= (1,001 net: prefixes), clients steered by source address to a site'
      : `weighted pool of 4, answers=all, http checks every 1 s${workers > 1 ? `, ${workers} workers` : ''}${dnssec ? ', signed (ECDSAP256SHA256 CSK), DO=1 queries' : ''}${poolKeys ? `, ${poolKeys}` : ''}`,
    ...(dnssec ? { dnssecOk: true } : {}),
    missing: () => (dnssec && !which('dnssec-keygen') ? 'dnssec-keygen missing (apt-get install -y bind9-utils)' : undefined),
    version: () => `rondo 0.1.0 on node ${process.version}`,
    async start(ctx) {
      const zones = path.join(ctx.dir, 'zones');
      await mkdir(zones, { recursive: true });
      await writeFile(path.join(zones, 'bench.example.test.zone'), sites ? benchSitesZone(ctx.backendPort) : benchZone(ctx.backendPort, poolKeys));
      const args = [nodeScript(ctx, 'cli', 'index.js'), 'serve', '--zones', zones, '--listen', `127.0.0.1:${ctx.port}`, '--log-level', 'warn'];
      if (workers > 1) args.push('--workers', String(workers));
      if (dnssec) {
        const keys = path.join(ctx.dir, 'keys');
        await mkdir(keys, { recursive: true });
        await execFileAsync('dnssec-keygen', ['-q', '-K', keys, '-a', '13', '-f', 'KSK', ZONE]);
        args.push('--dnssec-keys', keys);
      }
      return spawnPinned(name, ctx.cpu, process.execPath, args);
    },
  };
}

export const rondoPeer = rondo('rondo', 1);
export const rondoWorkersPeer = rondo('rondo-w2', 2);
/** The same pool, signed, asked with DO=1: the signed variants of the fast path. */
export const rondoDnssecPeer = rondo('rondo-do', 1, true);
/** Issue 12: a mapped pool (sites), answered on the fast path through the map's prefix table. */
export const rondoSitesPeer = rondo('rondo-sites', 1, false, true);
/**
 * Skew correction on (issue 11). Every query comes from the load generator's one address: after
 * the first demand table (5 s) it is a known, busy resolver, so each answer takes the whole
 * corrected pick (gap record, expiry ring, the 10 s horizon over every member, a charge per member).
 */
export const rondoSkewPeer = rondo('rondo-skew', 1, false, false, 'skew=correct ttl-min=1');

export const ceilingPeer: Peer = {
  name: 'dgram-ceiling',
  serves: 'node:dgram, answer encoded in advance, ID patched',
  missing: () => undefined,
  version: () => `node ${process.version}`,
  start: async (ctx) => spawnPinned('dgram-ceiling', ctx.cpu, process.execPath, [nodeScript(ctx, 'bench', 'servers', 'dgram-ceiling.js'), String(ctx.port), QNAME, ...MEMBERS]),
};

export const naivePeer: Peer = {
  name: 'dns2-naive',
  serves: 'dns2 server, a Packet built per query',
  missing: () => undefined,
  version: () => 'dns2 3.1.1',
  start: async (ctx) => spawnPinned('dns2-naive', ctx.cpu, process.execPath, [nodeScript(ctx, 'bench', 'servers', 'dns2-naive.js'), String(ctx.port), ...MEMBERS]),
};
