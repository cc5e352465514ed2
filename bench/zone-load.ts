/**
 * Not a test: generates a large zone (default 100,000 names × 10 A records = 1,000,000 records)
 * and measures loadZoneFile time and memory:
 *   npm run build && node --expose-gc dist/bench/zone-load.js [names] [perName]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadZoneFile } from '../zones/load.js';

const names = Number(process.argv[2] ?? 100_000);
const perName = Number(process.argv[3] ?? 10);

function generate(): string {
  const lines = ['$ORIGIN big.example.test.', '$TTL 300', '@ IN SOA ns1 hostmaster 1 7200 900 1209600 30', '  IN NS ns1', 'ns1 IN A 192.0.2.53'];
  for (let n = 0; n < names; n++) {
    const owner = `host${n}`;
    for (let k = 0; k < perName; k++) {
      // Distinct within each RRset (duplicates are refused), the same documentation range for every name.
      lines.push(`${k === 0 ? owner : ''}\t20\tIN\tA\t192.0.2.${(k % 250) + 1}`);
    }
  }
  return lines.join('\n') + '\n';
}

const dir = mkdtempSync(path.join(tmpdir(), 'rondo-perf-'));
try {
  const file = path.join(dir, 'big.example.test.zone');
  const text = generate();
  writeFileSync(file, text);
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;
  global.gc?.();
  const before = process.memoryUsage();
  console.log(`zone: ${names * perName + 3} records, ${mb(text.length)} of text; node ${process.version}`);
  const t0 = performance.now();
  const result = await loadZoneFile(file);
  const t1 = performance.now();
  if (!result.ok) {
    console.log(result.errors.slice(0, 5).map((e) => e.message).join('\n'));
    process.exitCode = 1;
  } else {
    global.gc?.();
    const after = process.memoryUsage();
    console.log(`loadZoneFile: ${((t1 - t0) / 1000).toFixed(2)} s, ${result.zone.size} records, ${result.zone.nodes.size} nodes, ${result.zone.pools.length} pools`);
    console.log(`rss ${mb(after.rss)} (before ${mb(before.rss)}), heapUsed ${mb(after.heapUsed)} (before ${mb(before.heapUsed)})`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
