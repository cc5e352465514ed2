/**
 * Not a test: how long signing takes after a zone load. Generates a zone of N pools (default
 * 10,000 round-robin pools of 3 A records, plus a static A per pool), keys made by the real
 * dnssec-keygen (a CSK of each algorithm in turn), and times a Runtime's start (load + first
 * plans) and the background signing of every static RRset and pool plan:
 *   npm run build && node dist/bench/dnssec-sign.js [pools]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readKeyDir } from '../dns/sign/keys.js';
import { silentLogger } from '../lib/logger.js';
import { Runtime } from '../server/runtime.js';

const pools = Number(process.argv[2] ?? 10_000);
const ZONE = 'sign.example.test';

function generate(): string {
  const lines = [`$ORIGIN ${ZONE}.`, '$TTL 300', '@ IN SOA ns1 hostmaster 1 7200 900 1209600 30', '  IN NS ns1', 'ns1 IN A 192.0.2.53'];
  for (let n = 0; n < pools; n++) {
    lines.push(`pool${n}\t20\tIN\tA\t192.0.2.1`, `\t20\tIN\tA\t192.0.2.2`, `\t20\tIN\tA\t192.0.2.3`, `static${n}\tIN\tA\t198.51.100.1`);
  }
  return lines.join('\n') + '\n';
}

const dir = mkdtempSync(path.join(tmpdir(), 'rondo-sign-bench-'));
try {
  const zones = path.join(dir, 'zones');
  mkdirSync(zones);
  writeFileSync(path.join(zones, `${ZONE}.zone`), generate());
  console.log(`zone: ${pools} pools of 3 A + ${pools} static A; node ${process.version}`);
  for (const algorithm of ['13', '15']) {
    const keys = path.join(dir, `keys-${algorithm}`);
    mkdirSync(keys);
    execFileSync('dnssec-keygen', ['-q', '-K', keys, '-a', algorithm, '-f', 'KSK', ZONE]);
    const dnssecKeys = await readKeyDir(keys);
    const runtime = new Runtime({ zonePaths: [zones], listen: [{ host: '127.0.0.1', port: 0 }], checks: false, logger: silentLogger(), dnssecKeys, observe: false });
    const t0 = performance.now();
    await runtime.start();
    const t1 = performance.now();
    await runtime.signed;
    const t2 = performance.now();
    const stats = runtime.signer?.stats;
    console.log(
      `algorithm ${algorithm}: start ${((t1 - t0) / 1000).toFixed(2)} s; every RRset and pool signed ${((t2 - t0) / 1000).toFixed(2)} s after start began ` +
        `(${stats?.signatures} signatures, ${(stats?.signingSeconds ?? 0).toFixed(2)} s in crypto, ${(((stats?.signingSeconds ?? 0) / (stats?.signatures ?? 1)) * 1e6).toFixed(1)} µs each)`,
    );
    await runtime.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
