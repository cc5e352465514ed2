/**
 * `rondo member add|remove|list`: dynamic pool members, through a server's write API
 * (`--api http://127.0.0.1:8053 --token NAME:SECRET`) or straight into Redis (`--redis URL`), where
 * every server picks the change up as if it came through the API.
 *
 *   rondo member add example.org www A 192.0.2.10 weight=3 backup --api http://127.0.0.1:8053
 *   rondo member remove example.org www A 192.0.2.10 --redis redis://127.0.0.1:6379
 *   rondo member list example.org --api http://127.0.0.1:8053
 *
 * Settings are zone-grammar words (`weight=3`, `backup`, `check=web`, `probe=...`, `port=...`).
 * Through the API a server checks them against its zone files; with `--redis` they are checked
 * here (keys, values, address), and against the zone files too when `--zones` is given.
 */
import { Command, Option } from 'commander';
import { hostname } from 'node:os';
import { collect } from '../options.js';
import { rootLogger } from '../logging.js';
import { CliExit } from '../exit.js';
import { addRedisOptions, requireRedis, type RedisCliOptions } from '../redis-options.js';
import { ConfigError } from '../../lib/errors.js';
import { RedisMembershipStore } from '../../health/membership-store.js';
import { emptyOverlay, type AnnotationKeys, type ZoneOverlay } from '../../model/membership.js';
import { checkAddress, checkMemberKeys, checkOwner, compileWithOverlay, overlayError, type OverlayError } from '../../zones/overlay.js';
import { findZoneFiles, loadZoneFile } from '../../zones/load.js';
import { upsertPool } from '../../server/membership.js';

interface MemberOptions extends RedisCliOptions {
  api?: string;
  token?: string;
  zones?: string[];
  json?: boolean;
}

/** `weight=3 backup` → `{ weight: "3", backup: true }`. */
export function settingsFromWords(words: readonly string[]): AnnotationKeys {
  const out: Record<string, string | true> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) out[w] = true;
    else out[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return out;
}

function secretOf(token: string | undefined): string | undefined {
  if (token === undefined || token === '') return undefined;
  const colon = token.indexOf(':');
  return colon >= 0 ? token.slice(colon + 1) : token;
}

function fail(error: OverlayError): never {
  console.error(`${error.code}: ${error.message}`);
  throw new CliExit(1);
}

async function callApi(opts: MemberOptions, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const base = opts.api ?? '';
  let url: URL;
  try {
    url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw new ConfigError('CLI_MEMBER_API_INVALID', `--api must be the admin URL, e.g. http://127.0.0.1:8053 (got ${JSON.stringify(base)})`);
  }
  const secret = secretOf(opts.token);
  const headers: Record<string, string> = {};
  if (secret) headers.Authorization = `Bearer ${secret}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new ConfigError('CLI_MEMBER_API_UNREACHABLE', `${url.origin} did not answer: ${(err as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

function apiFailure(status: number, json: unknown): never {
  const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
  console.error(e ? `${e.code ?? 'ERROR'}: ${e.message ?? ''} (HTTP ${status})` : `HTTP ${status}: ${String(json)}`);
  throw new CliExit(1);
}

function route(zone: string, owner: string, type: string, address?: string): string {
  const e = encodeURIComponent;
  return `api/v1/zones/${e(zone)}/pools/${e(owner)}/${e(type)}${address === undefined ? '' : `/members/${e(address)}`}`;
}

/** A change straight in Redis: read, change, (check against --zones), compare-and-set, retried. */
async function editInRedis(opts: MemberOptions, zoneText: string, change: (current: ZoneOverlay, zone: string) => ZoneOverlay | OverlayError): Promise<number> {
  const zone = (zoneText.endsWith('.') ? zoneText : `${zoneText}.`).toLowerCase();
  const logger = rootLogger('error');
  const store = new RedisMembershipStore({ connection: requireRedis(opts, 'rondo member --redis'), prefix: opts.redisPrefix, logger, nodeId: `cli:${hostname()}:${process.pid}`, startTimeoutMs: 5000 });
  const fileZone = opts.zones ? await loadZone(opts.zones, zone) : undefined;
  try {
    await store.start([zone]);
    for (let attempt = 0; attempt < 8; attempt++) {
      const stored = await store.read(zone);
      const current = stored ?? emptyOverlay(zone);
      const next = change(current, zone);
      if ('code' in next) fail(next);
      const versioned = { ...next, version: current.version + 1 };
      if (fileZone?.parsed) {
        const compiled = compileWithOverlay(fileZone.parsed, versioned, zone);
        if (!compiled.ok) fail(overlayError(compiled.errors) ?? { code: 'ZONE_BAD_VALUE', message: 'refused' });
      }
      if (await store.write(versioned, stored?.version ?? 0)) return versioned.version;
    }
    console.error(`other writers kept changing ${zone}; try again`);
    throw new CliExit(1);
  } finally {
    await store.stop();
  }
}

async function loadZone(paths: readonly string[], origin: string) {
  for (const file of await findZoneFiles([...paths])) {
    const result = await loadZoneFile(file);
    if (result.ok && result.zone.origin === origin) return result;
  }
  throw new ConfigError('CLI_MEMBER_ZONE_NOT_FOUND', `no zone file in ${paths.join(', ')} loads zone ${origin}`);
}

function target(opts: MemberOptions): 'api' | 'redis' {
  if (opts.api && (opts.redis || opts.redisSentinel)) throw new ConfigError('CLI_MEMBER_TARGET', 'give --api or --redis, not both');
  if (opts.api) return 'api';
  if (opts.redis || opts.redisSentinel) return 'redis';
  throw new ConfigError('CLI_MEMBER_TARGET', 'rondo member needs --api <admin URL> (a server\'s write API) or --redis <url> (shared state)');
}

function common(cmd: Command): Command {
  cmd
    .addOption(new Option('--api <url>', 'a server\'s admin URL (its --http), e.g. http://127.0.0.1:8053').env('RONDO_API'))
    .addOption(new Option('--token <token>', 'the admin bearer token (NAME:SECRET or SECRET)').env('RONDO_HTTP_TOKEN'))
    .option('-z, --zones <path>', 'with --redis: also check the change against these zone files (repeatable)', collect(String));
  return addRedisOptions(cmd);
}

export function memberCommand(): Command {
  const member = new Command('member').description('add, remove and list pool members at run time (the write API, or Redis directly)');

  member.addCommand(
    common(
      new Command('add')
        .description('add or update a member: rondo member add ZONE OWNER A|AAAA ADDRESS [weight=N] [priority=N] [backup] [check=NAME] [probe=ADDRESS] [port=N]')
        .argument('<zone>', 'the zone, e.g. example.org')
        .argument('<owner>', 'the pool\'s name, relative to the zone (www) or absolute (www.example.org.)')
        .argument('<type>', 'A or AAAA')
        .argument('<address>', 'the member\'s address')
        .argument('[settings...]', 'member keys as in a zone file: weight=3 backup ...'),
    ).action(async (zone: string, owner: string, type: string, address: string, words: string[], opts: MemberOptions) => {
      const settings = settingsFromWords(words);
      if (target(opts) === 'api') {
        const { status, json } = await callApi(opts, 'PUT', route(zone, owner, type, address), settings);
        if (status >= 300) apiFailure(status, json);
        console.log(`${address} ${status === 201 ? 'added to' : 'updated in'} ${owner} ${type.toUpperCase()} of ${zone}`);
        return;
      }
      const t = type.toUpperCase() === 'AAAA' ? 'AAAA' : type.toUpperCase() === 'A' ? 'A' : fail({ code: 'ZONE_BAD_VALUE', message: `pools are A or AAAA records (got "${type}")` });
      const addr = checkAddress(t, address);
      if (!addr.ok) fail(addr.error);
      const keys = checkMemberKeys(settings);
      if (!keys.ok) fail(keys.error);
      const version = await editInRedis(opts, zone, (current, z) => {
        const o = checkOwner(owner, z);
        if (!o.ok) return o.error;
        return upsertPool(current, o.value.name, (p) => ({
          ...p,
          members: [...p.members.filter((m) => m.address !== addr.value), { address: addr.value, keys: settings, at: Date.now(), by: 'cli' }],
        }));
      });
      console.log(`${addr.value} stored in ${owner} ${t} of ${zone} (version ${version}); every server applies it`);
    }),
  );

  member.addCommand(
    common(
      new Command('remove')
        .description('remove a member the API added: rondo member remove ZONE OWNER A|AAAA ADDRESS')
        .argument('<zone>')
        .argument('<owner>')
        .argument('<type>')
        .argument('<address>'),
    ).action(async (zone: string, owner: string, type: string, address: string, opts: MemberOptions) => {
      if (target(opts) === 'api') {
        const { status, json } = await callApi(opts, 'DELETE', route(zone, owner, type, address));
        if (status >= 300) apiFailure(status, json);
        console.log(`${address} removed from ${owner} ${type.toUpperCase()} of ${zone}`);
        return;
      }
      const t = type.toUpperCase() === 'AAAA' ? 'AAAA' : 'A';
      const addr = checkAddress(t, address);
      if (!addr.ok) fail(addr.error);
      await editInRedis(opts, zone, (current, z) => {
        const o = checkOwner(owner, z);
        if (!o.ok) return o.error;
        if (!current.pools.find((p) => p.owner === o.value.name)?.members.some((m) => m.address === addr.value)) {
          return { code: 'ZONE_BAD_VALUE', message: `the API added no member ${addr.value} to ${o.value.name}/${t}` };
        }
        return upsertPool(current, o.value.name, (p) => ({ ...p, members: p.members.filter((m) => m.address !== addr.value) }));
      });
      console.log(`${addr.value} removed from ${owner} ${t} of ${zone}`);
    }),
  );

  member.addCommand(
    common(
      new Command('list')
        .description('list a zone\'s pools: with --api every member, its source (file or api) and health; with --redis what the API added')
        .argument('<zone>')
        .option('--json', 'print JSON'),
    ).action(async (zone: string, opts: MemberOptions) => {
      if (target(opts) === 'api') {
        const { status, json } = await callApi(opts, 'GET', `api/v1/zones/${encodeURIComponent(zone)}/pools`);
        if (status >= 300) apiFailure(status, json);
        if (opts.json) {
          console.log(JSON.stringify(json, null, 2));
          return;
        }
        const body = json as { pools: { owner: string; type: string; members: { address: string; source: string; health: string; weight: number }[] }[] };
        for (const p of body.pools) {
          console.log(`${p.owner} ${p.type}`);
          for (const m of p.members) console.log(`  ${m.address.padEnd(40)} ${m.source.padEnd(5)} ${m.health.padEnd(9)} weight=${m.weight}`);
        }
        return;
      }
      const store = new RedisMembershipStore({ connection: requireRedis(opts, 'rondo member list --redis'), prefix: opts.redisPrefix, logger: rootLogger('error'), nodeId: `cli:${hostname()}:${process.pid}` });
      const origin = (zone.endsWith('.') ? zone : `${zone}.`).toLowerCase();
      try {
        const overlay = (await store.start([origin])).get(origin) ?? emptyOverlay(origin);
        if (opts.json) {
          console.log(JSON.stringify(overlay, null, 2));
          return;
        }
        for (const p of overlay.pools) {
          console.log(`${p.owner}${p.keys ? ` ${Object.entries(p.keys).map(([k, v]) => (v === true ? k : `${k}=${v}`)).join(' ')}` : ''}`);
          for (const m of p.members) console.log(`  ${m.address.padEnd(40)} api   ${Object.entries(m.keys).map(([k, v]) => (v === true ? k : `${k}=${v}`)).join(' ')}`);
        }
      } finally {
        await store.stop();
      }
    }),
  );
  for (const sub of member.commands) sub.exitOverride();
  return member;
}
