/**
 * The native peers, from Debian packages, each given one worker thread (the server has one core):
 * Knot and BIND and NSD serve the zone file as four static A records; gdnsd answers with multifo
 * over an http_status monitor; PowerDNS with a LUA record (ifurlup, all up addresses) in shared
 * mode. What would skew them is off: NSD's default response rate limit, PowerDNS's security poll
 * through the system resolver.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawnPinned, versionOf, which } from '../lib/proc.js';
import { benchZone, soaAndNs } from '../lib/zone.js';
import { MEMBERS, TTL, type Peer, type PeerContext } from './types.js';

const ZONE_FILE = 'bench.example.test.zone';

async function writeZone(ctx: PeerContext): Promise<string> {
  const file = path.join(ctx.dir, ZONE_FILE);
  await writeFile(file, benchZone(ctx.backendPort));
  return file;
}

function installed(command: string, aptPackage: string): () => string | undefined {
  return () => (which(command) ? undefined : `${command} not installed (apt-get install -y ${aptPackage})`);
}

export const knotPeer: Peer = {
  name: 'knot',
  serves: 'static 4 A, udp-workers 1',
  missing: installed('knotd', 'knot'),
  version: () => versionOf('knotd', ['--version']),
  async start(ctx) {
    const zone = await writeZone(ctx);
    const conf = path.join(ctx.dir, 'knot.conf');
    await writeFile(
      conf,
      [
        'server:',
        `    listen: 127.0.0.1@${ctx.port}`,
        `    rundir: ${ctx.dir}`,
        `    pidfile: ${ctx.dir}/knot.pid`,
        '    udp-workers: 1',
        '    tcp-workers: 1',
        '    background-workers: 1',
        'database:',
        `    storage: ${ctx.dir}`,
        'log:',
        '  - target: stderr',
        '    any: warning',
        'template:',
        '  - id: default',
        `    storage: ${ctx.dir}`,
        '    zonefile-sync: -1',
        '    journal-content: none',
        'zone:',
        '  - domain: bench.example.test',
        `    file: ${zone}`,
        '',
      ].join('\n'),
    );
    return spawnPinned('knot', ctx.cpu, 'knotd', ['-c', conf]);
  },
};

export const bindPeer: Peer = {
  name: 'bind',
  serves: 'static 4 A, -n 1',
  missing: installed('named', 'bind9'),
  version: () => versionOf('named', ['-v']).replace(/ \(.*$/, ''),
  async start(ctx) {
    const zone = await writeZone(ctx);
    const conf = path.join(ctx.dir, 'named.conf');
    await writeFile(
      conf,
      [
        'options {',
        `  directory "${ctx.dir}";`,
        `  pid-file "${ctx.dir}/named.pid";`,
        `  session-keyfile "${ctx.dir}/session.key";`,
        `  managed-keys-directory "${ctx.dir}";`,
        `  listen-on port ${ctx.port} { 127.0.0.1; };`,
        '  listen-on-v6 { none; };',
        '  recursion no;',
        '  dnssec-validation no;',
        '  notify no;',
        '};',
        'controls { };',
        `zone "bench.example.test" { type primary; file "${zone}"; };`,
        '',
      ].join('\n'),
    );
    return spawnPinned('bind', ctx.cpu, 'named', ['-g', '-4', '-n', '1', '-c', conf]);
  },
};

export const nsdPeer: Peer = {
  name: 'nsd',
  serves: 'static 4 A, server-count 1, rrl off',
  missing: installed('nsd', 'nsd'),
  version: () => versionOf('nsd', ['-v'], /version/i),
  async start(ctx) {
    const zone = await writeZone(ctx);
    const conf = path.join(ctx.dir, 'nsd.conf');
    await writeFile(
      conf,
      [
        'server:',
        `  ip-address: 127.0.0.1@${ctx.port}`,
        '  do-ip6: no',
        '  server-count: 1',
        '  username: ""',
        `  zonesdir: "${ctx.dir}"`,
        '  database: ""',
        `  zonelistfile: "${ctx.dir}/zone.list"`,
        `  xfrdfile: "${ctx.dir}/xfrd.state"`,
        `  pidfile: "${ctx.dir}/nsd.pid"`,
        // NSD limits responses per client /24 by default (200 qps): one loopback client would be cut off.
        '  rrl-ratelimit: 0',
        '  rrl-whitelist-ratelimit: 0',
        '  verbosity: 0',
        'remote-control:',
        '  control-enable: no',
        'zone:',
        '  name: bench.example.test',
        `  zonefile: "${zone}"`,
        '',
      ].join('\n'),
    );
    return spawnPinned('nsd', ctx.cpu, 'nsd', ['-d', '-c', conf]);
  },
};

export const gdnsdPeer: Peer = {
  name: 'gdnsd',
  serves: 'multifo of 4, http_status every 2 s (its minimum), udp_threads 1',
  missing: installed('gdnsd', 'gdnsd'),
  version: () => versionOf('gdnsd', ['-h'], /version/),
  async start(ctx) {
    await mkdir(path.join(ctx.dir, 'zones'), { recursive: true });
    await writeFile(
      path.join(ctx.dir, 'config'),
      [
        'options => {',
        `  listen => [ 127.0.0.1:${ctx.port} ]`,
        '  udp_threads => 1',
        '  tcp_threads => 1',
        `  run_dir => ${ctx.dir}/run`,
        `  state_dir => ${ctx.dir}/state`,
        '}',
        'service_types => {',
        `  web => { plugin => http_status, port => ${ctx.backendPort}, url_path => /, interval => 2, timeout => 1, up_thresh => 1, ok_thresh => 1, down_thresh => 2 }`,
        '}',
        'plugins => {',
        '  multifo => {',
        `    www => { service_types => web, ${MEMBERS.map((a, i) => `m${i} => ${a}`).join(', ')} }`,
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    await writeFile(path.join(ctx.dir, 'zones', 'bench.example.test'), [...soaAndNs(), `www ${TTL} DYNA multifo!www`, ''].join('\n'));
    return spawnPinned('gdnsd', ctx.cpu, 'gdnsd', ['-c', ctx.dir, 'start']);
  },
};

export const pdnsPeer: Peer = {
  name: 'pdns-lua',
  serves: 'LUA ifurlup of 4 (selector all), shared mode, 1 receiver',
  missing: () => (which('pdns_server') ? undefined : 'pdns_server not installed (apt-get install -y pdns-server pdns-backend-bind)'),
  version: () => versionOf('pdns_server', ['--version'], /PowerDNS/).replace(/^.*?(PowerDNS Authoritative Server [\d.]+).*$/, '$1'),
  async start(ctx) {
    const zone = path.join(ctx.dir, ZONE_FILE);
    const url = `http://www.bench.example.test:${ctx.backendPort}/`;
    const list = MEMBERS.map((a) => `'${a}'`).join(', ');
    await writeFile(zone, [...soaAndNs(), `www ${TTL} IN LUA A "ifurlup('${url}', {${list}}, {selector='all'})"`, ''].join('\n'));
    await writeFile(path.join(ctx.dir, 'named.conf'), `zone "bench.example.test" { type master; file "${zone}"; };\n`);
    await writeFile(
      path.join(ctx.dir, 'pdns.conf'),
      [
        'launch=bind',
        `bind-config=${ctx.dir}/named.conf`,
        'local-address=127.0.0.1',
        `local-port=${ctx.port}`,
        'enable-lua-records=shared',
        // The security poll asks the system resolver about the version: off, it is no part of answering.
        'security-poll-suffix=',
        'daemon=no',
        'guardian=no',
        `socket-dir=${ctx.dir}`,
        'disable-syslog=yes',
        'loglevel=3',
        'receiver-threads=1',
        'distributor-threads=1',
        'webserver=no',
        'api=no',
        '',
      ].join('\n'),
    );
    return spawnPinned('pdns-lua', ctx.cpu, 'pdns_server', [`--config-dir=${ctx.dir}`]);
  },
};
