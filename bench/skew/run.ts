/**
 * `npm run bench:skew -- [options]`: the real-resolver skew testbed (testbed.ts), once per seed,
 * then one table per run: counted vs reported, per member, per window and per drain mark.
 *
 *   npm run bench:skew -- --ttl 5 --answers 1 --seed 1
 *   npm run bench:skew -- --ttl 5,30 --answers 1,all --seed 1,2,3 --out /tmp/skew
 *   npm run bench:skew -- --pool 'c5:ttl=5,answers=1,keys=skew=correct' --pool 'r5:ttl=5,answers=1'
 *   npm run bench:skew -- --replay /tmp/skew/run-seed1.json      # rebuild the report, no run
 *
 * Options: --ttl LIST, --answers LIST (pools are their product, named t<ttl>a<answers>), --pool
 * SPEC (repeatable, instead: `name:ttl=N,answers=1|all|N,load=1,keys=<pool keys>`; keys go last and may
 * hold spaces; load=1 adds an HTTP check reading the backends' X-Load, for skew=correct's feedback), --seed LIST, --clients N per pool (300), --rate R requests/s per client (0.5),
 * --alpha A (Zipf, 1), --shares LIST (client share per resolver instead), --resolvers LIST
 * (kinds in rank order, default unbound,bind,pdns,knot,unbound,dnsmasq,unbound), --shared-24,
 * --warmup S (30), --skew S (240), --drain S (default: enough for 10×TTL and 60 s), --out DIR
 * (keeps each run's data as JSON), --replay FILE... (evaluates saved runs with the current code),
 * --settle S (with --replay: the skew phase counted from S seconds later, as after a longer warm-up).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateRun, renderEvaluation, renderMeans, type Evaluation } from './evaluate.js';
import type { ResolverKind } from './resolvers.js';
import { DEFAULT_CLASSES, DEFAULT_RESOLVERS, runTestbed, type PoolConfig, type ResolverSpec, type RunData } from './testbed.js';
import { testbedClientModel } from './client-model.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ttl: { type: 'string', default: '5' },
    answers: { type: 'string', default: '1' },
    pool: { type: 'string', multiple: true },
    seed: { type: 'string', default: '1' },
    clients: { type: 'string', default: '300' },
    rate: { type: 'string', default: '0.5' },
    alpha: { type: 'string', default: '1' },
    shares: { type: 'string' },
    resolvers: { type: 'string' },
    'shared-24': { type: 'boolean', default: false },
    warmup: { type: 'string', default: '30' },
    skew: { type: 'string', default: '240' },
    drain: { type: 'string' },
    out: { type: 'string' },
    replay: { type: 'boolean', default: false },
    settle: { type: 'string', default: '0' },
  },
});

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function num(text: string, what: string): number {
  const v = Number(text);
  if (!Number.isFinite(v)) throw new Error(`--${what}: not a number: ${text}`);
  return v;
}

function answersOf(text: string): PoolConfig['answers'] {
  return text === 'all' ? 'all' : num(text, 'answers');
}

function poolsOf(clients: number, rate: number): PoolConfig[] {
  if (values.pool && values.pool.length > 0) {
    return values.pool.map((spec) => {
      const colon = spec.indexOf(':');
      if (colon <= 0) throw new Error(`--pool ${spec}: expected name:ttl=N,answers=...`);
      const name = spec.slice(0, colon);
      let rest = spec.slice(colon + 1);
      let keys: string | undefined;
      const k = rest.indexOf('keys=');
      if (k >= 0) {
        keys = rest.slice(k + 5);
        rest = rest.slice(0, k);
      }
      const fields = new Map(list(rest).map((f) => f.split('=') as [string, string]));
      return {
        name,
        ttl: num(fields.get('ttl') ?? '5', 'pool ttl'),
        answers: answersOf(fields.get('answers') ?? '1'),
        ...(keys ? { keys } : {}),
        ...(fields.get('load') === '1' ? { loadCheck: true } : {}),
        clients: num(fields.get('clients') ?? String(clients), 'pool clients'),
        ratePerClient: num(fields.get('rate') ?? String(rate), 'pool rate'),
      };
    });
  }
  const out: PoolConfig[] = [];
  for (const t of list(values.ttl)) for (const a of list(values.answers)) out.push({ name: `t${t}a${a}`, ttl: num(t, 'ttl'), answers: answersOf(a), clients, ratePerClient: rate });
  return out;
}

async function main(): Promise<void> {
  if (values.replay) {
    const all: { run: RunData; e: Evaluation }[] = [];
    for (const file of positionals) {
      const saved = JSON.parse(await readFile(file, 'utf8')) as RunData;
      // --settle S: count the skew phase from S s later, as if the warm-up had been that much longer.
      const settle = num(values.settle, 'settle');
      const run: RunData = settle > 0 ? { ...saved, skewStart: saved.skewStart + settle, startReport: null } : saved;
      const e = evaluateRun(run, testbedClientModel(run.classes, run.pools[0]?.config.ratePerClient ?? 0.5));
      all.push({ run, e });
      console.log(`# ${file} (seed ${run.seed}${run.shared24 ? ', one /24' : ''})`);
      console.log(renderEvaluation(run, e));
      console.log('');
    }
    if (all.length > 1) {
      console.log(`# mean over ${all.length} runs`);
      console.log(renderMeans(all));
    }
    return;
  }
  const pools = poolsOf(num(values.clients, 'clients'), num(values.rate, 'rate'));
  const resolvers: ResolverSpec[] = values.resolvers
    ? list(values.resolvers).map((kind, i) => ({ kind: kind as ResolverKind, name: `${kind}-${i + 1}` }))
    : [...DEFAULT_RESOLVERS];
  const longest = Math.max(...pools.map((p) => Math.max(60, 10 * p.ttl)));
  const drain = values.drain ? num(values.drain, 'drain') : longest + Math.max(1.5, longest / 5) + 2;
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (values.out) await mkdir(values.out, { recursive: true });
  try {
    for (const seedText of list(values.seed)) {
      const seed = num(seedText, 'seed');
      const run = await runTestbed({
        pools,
        resolvers,
        ...(values.shares ? { resolverShares: list(values.shares).map((s) => num(s, 'shares')) } : {}),
        alpha: num(values.alpha, 'alpha'),
        shared24: values['shared-24'],
        members: 4,
        classes: DEFAULT_CLASSES,
        seed,
        warmupSeconds: num(values.warmup, 'warmup'),
        skewSeconds: num(values.skew, 'skew'),
        drainSeconds: drain,
        log: (line) => process.stderr.write(`[seed ${seed}] ${line}\n`),
        signal: controller.signal,
      });
      if (values.out) {
        const file = path.join(values.out, `run-seed${seed}.json`);
        await writeFile(file, JSON.stringify(run));
        process.stderr.write(`[seed ${seed}] data in ${file}\n`);
      }
      console.log(`# seed ${seed}${run.shared24 ? ' (one /24)' : ''}`);
      console.log(renderEvaluation(run, evaluateRun(run, testbedClientModel(run.classes, num(values.rate, 'rate')))));
      console.log('');
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:skew: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
