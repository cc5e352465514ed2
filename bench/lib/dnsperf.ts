/**
 * dnsperf (Debian package dnsperf) at saturation, pinned to the client CPU, and its statistics.
 * dnsperf 2.10 reports the mean latency only, so percentiles come from bench/load.ts instead.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface DnsperfOptions {
  readonly port: number;
  readonly queryFile: string;
  readonly seconds: number;
  readonly cpu: number;
  /** Client sockets (-c). */
  readonly clients: number;
  /** Queries outstanding at most (-q). */
  readonly outstanding: number;
  /** Set the DO bit (dnsperf -D). */
  readonly dnssecOk?: boolean;
}

export interface DnsperfResult {
  readonly sent: number;
  readonly completed: number;
  readonly lost: number;
  readonly qps: number;
  readonly meanLatencyMs: number;
}

function field(text: string, label: string): number {
  const m = new RegExp(`${label}:\\s+([0-9.]+)`).exec(text);
  if (!m?.[1]) throw new Error(`dnsperf output has no "${label}":\n${text}`);
  return Number(m[1]);
}

export async function dnsperf(options: DnsperfOptions): Promise<DnsperfResult> {
  const args = [
    '-c', String(options.cpu), 'dnsperf',
    '-s', '127.0.0.1', '-p', String(options.port), '-d', options.queryFile,
    '-l', String(options.seconds), '-c', String(options.clients), '-q', String(options.outstanding),
    // A lost query holds a slot for the timeout: keep it short so a hiccup does not stall the run.
    '-t', '1',
  ];
  // -D: EDNS with the DO bit on every query (DNSSEC answers).
  if (options.dnssecOk === true) args.push('-D');
  const { stdout, stderr } = await execFileAsync('taskset', args, { timeout: (options.seconds + 30) * 1000, maxBuffer: 4 * 1024 * 1024 });
  const text = stdout + stderr;
  return {
    sent: field(text, 'Queries sent'),
    completed: field(text, 'Queries completed'),
    lost: field(text, 'Queries lost'),
    qps: field(text, 'Queries per second'),
    meanLatencyMs: field(text, 'Average Latency \\(s\\)') * 1000,
  };
}
