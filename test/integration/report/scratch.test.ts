import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'vitest';
import { Runtime } from '../../../cli/runtime.js';
import { silentLogger } from '../../../lib/logger.js';
import { estimateResolverDemand, DEFAULT_DEMAND_OPTIONS } from '../../../report/demand.js';
import { DnsClient, startUnbound } from './unbound.js';

const TTL = Number(process.env.TTL ?? 2);
test('scratch', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-skew-'));
  const zone = [
    '$ORIGIN skew.test.', '$TTL 300', '@ IN SOA ns1 hostmaster 1 7200 900 1209600 30', '  IN NS ns1', 'ns1 IN A 127.0.0.1',
    ';@pool www policy=round-robin answers=1',
    `www ${TTL} IN A 127.0.0.11`, `www ${TTL} IN A 127.0.0.12`, `www ${TTL} IN A 127.0.0.13`, `www ${TTL} IN A 127.0.0.14`, ''].join('\n');
  await writeFile(path.join(dir, 'skew.test.zone'), zone);
  const rt = new Runtime({ zonePaths: [dir], listen: [{ host: '127.0.0.1', port: 0 }], checks: false, logger: silentLogger() });
  await rt.start();
  const port = rt.server!.addresses()[0]!.port;
  const rates = [80, 15, 5];
  const ubs = await Promise.all(rates.map((_, i) => startUnbound({ zone: 'skew.test', stubHost: '127.0.0.1', stubPort: port, outgoing: `127.0.${i + 1}.1` })));
  const sent = rates.map(() => 0);
  const durationMs = Number(process.env.DUR ?? 20000);
  const start = Date.now();
  rt.observation!.observer.reset(start);
  const times = new Map<string, number[]>();
  const orig = rt.observation!.onPoolAnswer.bind(rt.observation!);
  rt.observation!.onPoolAnswer = (pool, m, addr, ecs, now) => { const l = times.get(addr) ?? []; l.push(performance.timeOrigin + performance.now()); times.set(addr, l); orig(pool, m, addr, ecs, now); };
  await Promise.all(rates.map(async (rate, i) => {
    const c = new DnsClient('127.0.0.1', ubs[i]!.port);
    const inflight: Promise<unknown>[] = [];
    let t = start;
    while (t < start + durationMs) {
      t += -Math.log(1 - Math.random()) * 1000 / rate;
      const wait = t - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sent[i]!++;
      inflight.push(c.query('www.skew.test').catch(() => undefined));
    }
    await Promise.all(inflight);
    c.close();
  }));
  const elapsed = (Date.now() - start) / 1000;
  const snap = rt.observation!.snapshot();
  for (const p of snap.pools) for (const r of p.resolvers) {
    const d = estimateResolverDemand(r, p.ttl, { ...DEFAULT_DEMAND_OPTIONS, clients: null });
    console.log(r.key, 'q', r.queries, 'gaps', r.gapCount, 'min', r.gapMinMs, 'mean', (r.gapSumMs / r.gapCount).toFixed(1), 'sd', Math.sqrt(r.gapSumSqMs / r.gapCount - (r.gapSumMs / r.gapCount) ** 2).toFixed(1), 'hist', r.hist.join(','), 'est', d.ratePerSecond?.toFixed(1), d.flags.join(','));
  }
  for (const [a, l] of times) {
    for (const off of [0, 500]) {
      const A = l.slice(1).map((q, k) => q - (Math.floor((l[k]! - off) / 1000) * 1000 + off));
      const n = A.length; const mean = A.reduce((x, y) => x + y, 0) / n; const min = Math.min(...A);
      console.log(a, 'off', off, 'n', n, 'minA', min.toFixed(0), 'meanA', mean.toFixed(0), 'lambda', ((1 - 1 / n) * 1000 / (mean - min)).toFixed(1), 'mle-int', (n * 1000 / A.reduce((x, y) => x + y - Math.floor(min / 1000) * 1000, 0)).toFixed(1));
    }
  }
  console.log('true rates', sent.map((s) => (s / elapsed).toFixed(1)));
  for (const u of ubs) await u.stop();
  await rt.stop();
}, 60000);
