/**
 * `rondo simulate` and `rondo report --from` as a user runs them (the built CLI): seeded and
 * reproducible runs, --compare side by side, --json and --html outputs, bad flags named in the
 * error, and the report fetched from a running server's admin endpoint, with its token.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComparisonRow } from '../../../report/simulate.js';
import type { ReportModel } from '../../../report/model.js';
import { runRondo, runRondoOk } from '../../../bench/lib/rondo-process.js';
import { queryFrom, startAdminRig, type AdminRig } from '../admin/fixture.js';

const SMALL = ['--warmup', '1m', '--duration', '5m', '--drain', '5m', '--rate', '200', '--resolvers', '200'];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-report-cli-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('rondo simulate', () => {
  it('is reproducible: the same seed gives the same figures', async () => {
    const run = async (seed: string): Promise<ReportModel> => JSON.parse(await runRondoOk(['simulate', ...SMALL, '--seed', seed, '--json'], 60_000)) as ReportModel;
    const [a, b, c] = await Promise.all([run('7'), run('7'), run('8')]);
    expect(a.kind).toBe('simulated');
    expect(a.pools).toHaveLength(1);
    expect(a.pools[0]!.windows?.length).toBeGreaterThan(0);
    expect(a.pools[0]!.drain.source).toBe('simulated');
    expect(a.pools).toEqual(b.pools);
    expect(c.pools).not.toEqual(a.pools);
  });

  it('prints the report table, with drain marks, and writes a self-contained page', async () => {
    const file = path.join(dir, 'sim.html');
    const out = await runRondo(['simulate', ...SMALL, '--ttl', '20s', '--answers', '1', '--html', file], 60_000);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('answers=1 ttl=20s');
    expect(out.stdout).toMatch(/drain \(simulated, 192\.0\.2\.10 removed\)/);
    expect(out.stderr).toContain(`wrote ${file}`);
    const html = await readFile(file, 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('runs --compare side by side', async () => {
    const out = JSON.parse(await runRondoOk(['simulate', ...SMALL, '--compare', 'ttl=5,60', '--json'], 60_000)) as { rows: ComparisonRow[]; report: ReportModel };
    expect(out.rows.map((r) => r.ttl)).toEqual([5, 60]);
    expect(out.report.pools).toHaveLength(2);
    // Longer TTL, fewer authoritative queries.
    expect(out.rows[1]!.authoritativeQps).toBeLessThan(out.rows[0]!.authoritativeQps);
    const table = await runRondoOk(['simulate', ...SMALL, '--compare', 'policy=round-robin,random'], 60_000);
    expect(table).toContain('90% drained');
    expect(table.split('\n').filter((l) => l.startsWith('round-robin') || l.startsWith('random'))).toHaveLength(2);
  });

  it('names the bad flag and the value', async () => {
    const bad = await runRondo(['simulate', '--ttl', 'soon']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--ttl must be a duration');
    expect(bad.stderr).toContain('"soon"');
    const spec = await runRondo(['simulate', '--compare', 'colour=red']);
    expect(spec.code).toBe(1);
    expect(spec.stderr).toContain('unknown option "colour"');
  });
});

describe('rondo report --from', () => {
  const TOKEN = 'report-cli-token-0123456789';
  let rig: AdminRig;
  beforeAll(async () => {
    rig = await startAdminRig({ token: TOKEN });
    await queryFrom('127.0.1.1', rig.dnsPort, 'www.example.test.', 6);
  });
  afterAll(() => rig?.stop());

  it('prints the running server’s report, as a table, JSON or a page', async () => {
    const env = { ...process.env, RONDO_HTTP_TOKEN: TOKEN };
    const file = path.join(dir, 'report.html');
    const table = await runWithEnv(['report', '--from', rig.url, '--html', file], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('== www.example.test./A');
    expect(table.stdout).toContain('(6 answers)');
    expect(await readFile(file, 'utf8')).toContain('data-chart="shares"');
    const json = await runWithEnv(['report', '--from', `${rig.url}/`, '--json', '--clients', 'none'], env);
    const model = JSON.parse(json.stdout) as ReportModel;
    expect(model.pools.find((p) => p.key === 'www.example.test./A')?.answersTotal).toBe(6);
    expect(model.notes.some((n) => n.includes('clients=none'))).toBe(true);
  });

  it('says what is wrong: no token, no server, no source', async () => {
    const noToken = await runWithEnv(['report', '--from', rig.url], { ...process.env, RONDO_HTTP_TOKEN: '' });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('wants a bearer token');
    const nobody = await runRondo(['report', '--from', 'http://127.0.0.1:9']);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('could not reach http://127.0.0.1:9/report');
    const none = await runRondo(['report']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('give --from');
    const both = await runRondo(['report', '--from', rig.url, '--redis', 'redis://127.0.0.1:9']);
    expect(both.stderr).toContain('exclusive');
  });
});

/** runRondo with an environment of our choosing (the helper inherits the test's). */
async function runWithEnv(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const saved = process.env.RONDO_HTTP_TOKEN;
  process.env.RONDO_HTTP_TOKEN = env.RONDO_HTTP_TOKEN;
  try {
    return await runRondo(args, 30_000);
  } finally {
    if (saved === undefined) delete process.env.RONDO_HTTP_TOKEN;
    else process.env.RONDO_HTTP_TOKEN = saved;
  }
}
