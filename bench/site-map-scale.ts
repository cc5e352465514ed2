/**
 * Issue 12: what a big `net:` map costs. Writes a zone whose `;@map` holds N prefixes (default
 * 100,000: IPv4 /24s and /22s, IPv6 /48s, spread over 50 rules in lines of 1,000), then measures
 * in this process: the zone load (parse, validate, compile), the map's compilation into prefix
 * tables (what the first query after a load pays), the RSS and heap each step adds, and the
 * lookup rate for addresses the tables have not seen (the full path, and the fast path's first
 * query per source address).
 *
 * Run: npm run build && node --expose-gc dist/bench/site-map-scale.js [prefixes]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadZoneFile } from '../zones/load.js';
import { SiteRouter } from '../dns/site-router.js';

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function zoneText(prefixes: number): string {
  const rules = 50;
  const lines: string[] = [];
  const sites = (r: number) => `s${r % 10}>s${(r + 1) % 10}`;
  let written = 0;
  let line: string[] = [];
  let rule = 0;
  const flush = () => {
    if (line.length > 0) lines.push(`;@map big net:${line.join(',')}=${sites(rule)}`);
    line = [];
    rule = (rule + 1) % rules;
  };
  for (let i = 0; written < prefixes; i++, written++) {
    let net: string;
    if (i % 10 === 9) net = `2001:db8:${((i >> 16) & 0xffff).toString(16)}:${(i & 0xffff).toString(16)}::/64`;
    else if (i % 10 === 8) {
      const j = Math.floor(i / 10);
      net = `${128 + (j >> 14)}.${(j >> 6) & 0xff}.${(j & 63) * 4}.0/22`;
    }
    else net = `${11 + ((i >> 16) & 0x3f)}.${(i >> 8) & 0xff}.${i & 0xff}.0/24`;
    line.push(net);
    if (line.length === 1000) flush();
  }
  flush();
  return [
    '$ORIGIN big.example.test.',
    '$TTL 300',
    '@ IN SOA ns1 hostmaster 1 7200 900 1209600 30',
    '  IN NS ns1',
    'ns1 IN A 192.0.2.53',
    ...lines,
    ';@map big default=s0>s1',
    ';@pool www map=big',
    ...Array.from({ length: 10 }, (_, s) => `www 30 IN A 192.0.2.${10 + s} ;@ site=s${s}`),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const prefixes = Number(process.argv[2] ?? 100_000);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-map-scale-'));
  try {
    const file = path.join(dir, 'big.example.test.zone');
    const text = zoneText(prefixes);
    await writeFile(file, text);
    gc();
    const rss0 = process.memoryUsage().rss;
    const heap0 = process.memoryUsage().heapUsed;
    let t = performance.now();
    const loaded = await loadZoneFile(file);
    const loadMs = performance.now() - t;
    if (!loaded.ok) throw new Error(loaded.errors.slice(0, 5).map((e) => e.message).join('\n'));
    const map = loaded.zone.pools[0]?.siteMap;
    if (!map) throw new Error('no map compiled');
    gc();
    const rss1 = process.memoryUsage().rss;
    const heap1 = process.memoryUsage().heapUsed;
    t = performance.now();
    const router = new SiteRouter(map, undefined);
    const compileMs = performance.now() - t;
    gc();
    const rss2 = process.memoryUsage().rss;
    const heap2 = process.memoryUsage().heapUsed;
    // Lookups of addresses never seen: the full path's ECS decision, the fast path's first query per source.
    const n = 200_000;
    let sink = 0;
    t = performance.now();
    for (let i = 0; i < n; i++) {
      const ecs = { family: 1 as const, sourcePrefix: 24, address: Buffer.from([11 + (i % 60), (i >> 8) & 0xff, i & 0xff]) };
      sink += router.decide({ address: '127.0.0.1', family: 4, transport: 'udp', ecs }).rule;
    }
    const decideNs = ((performance.now() - t) * 1e6) / n;
    // Sources: 50,000 distinct resolver addresses (under the per-map cache's bound), text made in advance.
    const sources = Array.from({ length: 50_000 }, (_, i) => `${11 + (i % 60)}.${(i >> 8) & 0xff}.${i & 0xff}.7`);
    t = performance.now();
    for (const a of sources) sink += router.ruleOfSource(a, 4);
    const sourceMissNs = ((performance.now() - t) * 1e6) / sources.length;
    t = performance.now();
    for (let k = 0; k < 4; k++) for (const a of sources) sink += router.ruleOfSource(a, 4);
    const sourceHitNs = ((performance.now() - t) * 1e6) / (4 * sources.length);
    console.log(`site map scale (node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]?.toFixed(1)})`);
    console.log(`  zone: ${(text.length / 1024 / 1024).toFixed(1)} MB of text, ${map.nets.length} net: prefixes in ${map.rules.length} rules`);
    console.log(`  load (parse, validate, compile): ${loadMs.toFixed(0)} ms, +${mb(rss1 - rss0)} RSS, +${mb(heap1 - heap0)} heap`);
    console.log(`  prefix tables (first query after a load): ${compileMs.toFixed(0)} ms, +${mb(rss2 - rss1)} RSS, +${mb(heap2 - heap1)} heap`);
    console.log(`  RSS now ${mb(process.memoryUsage().rss)}`);
    console.log(`  lookups: ECS decision ${decideNs.toFixed(0)} ns, new source ${sourceMissNs.toFixed(0)} ns, known source ${sourceHitNs.toFixed(0)} ns (${sink > 0 ? 'ok' : 'ok'})`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
