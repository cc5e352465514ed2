/**
 * Steady background load for the soak: one dnsperf per DNS server at a fixed rate, and its
 * summary parsed (queries sent, completed, lost, response codes). When dnsperf is missing the
 * soak runs with its own verifier load only.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';

export interface DnsperfSummary {
  readonly sent: number;
  readonly completed: number;
  readonly lost: number;
  readonly rcodes: Readonly<Record<string, number>>;
}

export function dnsperfAvailable(): boolean {
  try {
    execFileSync('dnsperf', ['-h'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch (err) {
    // dnsperf -h exits 1 after printing its usage: that still means it is installed.
    return (err as { status?: number }).status === 1;
  }
}

/** The query mix: the pool, a static name, NXDOMAIN, NODATA. */
export async function writeQueryFile(file: string, zone: string): Promise<void> {
  await writeFile(file, [`www.${zone} A`, `www.${zone} A`, `static.${zone} A`, `nothere.${zone} A`, `static.${zone} AAAA`, ''].join('\n'));
}

export function parseDnsperf(output: string): DnsperfSummary {
  const num = (re: RegExp): number => Number(re.exec(output)?.[1] ?? 0);
  const rcodes: Record<string, number> = {};
  const codes = /Response codes:\s*(.*)/.exec(output)?.[1] ?? '';
  for (const m of codes.matchAll(/([A-Z]+) (\d+)/g)) rcodes[m[1] ?? '?'] = Number(m[2]);
  return { sent: num(/Queries sent:\s+(\d+)/), completed: num(/Queries completed:\s+(\d+)/), lost: num(/Queries lost:\s+(\d+)/), rcodes };
}

export interface DnsperfRun {
  readonly child: ChildProcess;
  readonly done: Promise<DnsperfSummary>;
  /** When each lost query was sent (ms since the epoch): its `[Timeout]` line's arrival minus the timeout. */
  readonly timeoutTimes: number[];
}

const TIMEOUT_S = 2;

export function startDnsperf(port: number, queryFile: string, seconds: number, qps: number): DnsperfRun {
  const child = spawn('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', queryFile, '-l', String(seconds), '-Q', String(qps), '-t', String(TIMEOUT_S), '-c', '4', '-q', '200'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const timeoutTimes: number[] = [];
  const take = (d: Buffer): void => {
    const text = d.toString();
    const lost = text.match(/\[Timeout\]/g)?.length ?? 0;
    for (let i = 0; i < lost; i++) timeoutTimes.push(Date.now() - TIMEOUT_S * 1000);
    // Keep the summary, not thousands of timeout lines.
    output += text.replace(/^\[Timeout\].*\n?/gm, '');
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const done = new Promise<DnsperfSummary>((resolve) => {
    child.once('exit', () => resolve(parseDnsperf(output)));
    child.once('error', () => resolve(parseDnsperf(output)));
  });
  return { child, done, timeoutTimes };
}
