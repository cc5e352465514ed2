/**
 * A UDP load generator for one DNS question: either closed loop (CONCURRENCY queries outstanding,
 * as fast as the server answers) or open loop at a fixed RATE (queries per second, evenly
 * spaced), for TOTAL queries or DURATION seconds. Prints qps, p50/p99 latency and errors.
 *
 * It is single threaded on purpose: sending, receiving and timing share one event loop that
 * spins (setImmediate) instead of sleeping, so a response is timed within microseconds of its
 * arrival. dnsperf 2.10 reports only the mean latency, and with -v its sender and receiver
 * threads compete for the client's one core, which smears its per-query times; this is what
 * bench/run.ts uses for p50/p99 at a fixed rate.
 *
 * Run: npm run build && TARGET=127.0.0.1:5353 RATE=20000 DURATION=10 node dist/bench/load.js
 * Environment: TARGET (host:port, default 127.0.0.1:5353), QNAME (default www.example.test.),
 * QTYPE (A or AAAA, default A), TOTAL, DURATION (seconds; default 10 when TOTAL is unset),
 * CONCURRENCY (default 100, closed loop), RATE (open loop; wins over CONCURRENCY),
 * TIMEOUT_MS (default 1000), WARMUP (seconds of unmeasured load first, default 1), JSON=1 (print
 * the result as one JSON line).
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { pathToFileURL } from 'node:url';

export interface LoadOptions {
  readonly host: string;
  readonly port: number;
  readonly qname: string;
  readonly qtype: number;
  /** Stop after this many queries (sent), or after `durationS`, whichever comes first. */
  readonly total?: number;
  readonly durationS?: number;
  /** Closed loop: queries kept outstanding. */
  readonly concurrency?: number;
  /** Open loop: queries per second, evenly spaced. Wins over concurrency. */
  readonly rate?: number;
  readonly timeoutMs?: number;
  /** Seconds of load before measuring starts (JIT, caches). */
  readonly warmupS?: number;
}

export interface LoadResult {
  readonly sent: number;
  readonly answered: number;
  readonly timeouts: number;
  /** Responses that did not match a query or were not NOERROR. */
  readonly errors: number;
  readonly seconds: number;
  readonly qps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

function encodeQuery(qname: string, qtype: number): Buffer {
  const labels = qname.replace(/\.$/, '').split('.').filter((l) => l !== '');
  const parts: Buffer[] = [Buffer.from([0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const label of labels) parts.push(Buffer.from([label.length]), Buffer.from(label, 'latin1'));
  parts.push(Buffer.from([0, qtype >> 8, qtype & 0xff, 0, 1]));
  return Buffer.concat(parts);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

const ID_SPACE = 65536;

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const warmupMs = (options.warmupS ?? 1) * 1000;
  const durationMs = options.durationS !== undefined ? options.durationS * 1000 : options.total === undefined ? 10_000 : Infinity;
  const total = options.total ?? Infinity;
  const rate = options.rate;
  const concurrency = options.concurrency ?? 100;
  const template = encodeQuery(options.qname, options.qtype);
  const socket = dgram.createSocket(isIPv6(options.host) ? 'udp6' : 'udp4');

  // Per ID: when it was sent (ms, performance.now()), 0 when not outstanding; whether it counts.
  const sentAt = new Float64Array(ID_SPACE);
  const measured = new Uint8Array(ID_SPACE);
  const latencies: number[] = [];
  let nextId = 0;
  let outstanding = 0;
  let sent = 0;
  let answered = 0;
  let timeouts = 0;
  let errors = 0;
  let maxMs = 0;

  return new Promise((resolve, reject) => {
    let startedAt = 0;
    let measureFrom = 0;
    let measureUntil = 0;
    let sentInWindow = 0;
    let finished = false;
    socket.on('error', reject);

    const send = (now: number): boolean => {
      // Skip IDs still outstanding (a closed loop never wraps onto them; an open loop might).
      for (let tries = 0; tries < ID_SPACE && sentAt[nextId] !== 0; tries++) nextId = (nextId + 1) % ID_SPACE;
      if (sentAt[nextId] !== 0) return false;
      const id = nextId;
      nextId = (nextId + 1) % ID_SPACE;
      const query = Buffer.from(template);
      query[0] = id >> 8;
      query[1] = id & 0xff;
      sentAt[id] = now;
      const counts = now >= measureFrom && now < measureUntil;
      measured[id] = counts ? 1 : 0;
      if (counts) {
        sent++;
        sentInWindow++;
      }
      outstanding++;
      socket.send(query, options.port, options.host);
      return true;
    };

    socket.on('message', (msg) => {
      const now = performance.now();
      if (msg.length < 12) return;
      const id = (msg[0]! << 8) | msg[1]!;
      const at = sentAt[id]!;
      if (at === 0) {
        errors++;
        return;
      }
      sentAt[id] = 0;
      outstanding--;
      if (measured[id] === 1) {
        const rcode = msg[3]! & 0x0f;
        if (rcode !== 0) errors++;
        else {
          answered++;
          const ms = now - at;
          latencies.push(ms);
          if (ms > maxMs) maxMs = ms;
        }
      }
      if (rate === undefined && !finished && now < measureUntil && sentInWindow < total) send(now);
    });

    const expire = (now: number): void => {
      // Outstanding queries past the timeout are lost; scanning the ID space is cheap next to 1 s.
      for (let id = 0; id < ID_SPACE; id++) {
        const at = sentAt[id]!;
        if (at !== 0 && now - at > timeoutMs) {
          sentAt[id] = 0;
          outstanding--;
          if (measured[id] === 1) timeouts++;
        }
      }
    };

    const finish = (): void => {
      finished = true;
      socket.close();
      const sorted = Float64Array.from(latencies).sort();
      const seconds = (Math.min(measureUntil, performance.now()) - measureFrom) / 1000;
      resolve({
        sent,
        answered,
        timeouts,
        errors,
        seconds,
        qps: answered / seconds,
        p50Ms: percentile(sorted, 0.5),
        p99Ms: percentile(sorted, 0.99),
        maxMs,
      });
    };

    let lastExpire = 0;
    let due = 0;
    const tick = (): void => {
      const now = performance.now();
      if (now - lastExpire > timeoutMs / 4) {
        expire(now);
        lastExpire = now;
      }
      if (now >= measureUntil || sentInWindow >= total) {
        // Let the last answers come in, then stop.
        if (outstanding === 0 || now >= measureUntil + timeoutMs) {
          expire(Infinity);
          finish();
          return;
        }
      } else if (rate !== undefined) {
        const interval = 1000 / rate;
        while (due <= now && sentInWindow < total) {
          if (!send(now)) break;
          due += interval;
        }
      } else {
        while (outstanding < concurrency && sentInWindow < total) if (!send(now)) break;
      }
      setImmediate(tick);
    };

    socket.bind(0, () => {
      startedAt = performance.now();
      measureFrom = startedAt + warmupMs;
      measureUntil = measureFrom + durationMs;
      due = startedAt;
      tick();
    });
  });
}

function numberFrom(name: string, fallback?: number): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got "${text}")`);
  return n;
}

async function main(): Promise<void> {
  const target = process.env.TARGET ?? '127.0.0.1:5353';
  const at = target.lastIndexOf(':');
  const host = target.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(target.slice(at + 1));
  if (at < 0 || !Number.isInteger(port)) throw new Error(`TARGET must be host:port (got "${target}")`);
  const qtypeText = (process.env.QTYPE ?? 'A').toUpperCase();
  const total = numberFrom('TOTAL');
  const result = await runLoad({
    host,
    port,
    qname: process.env.QNAME ?? 'www.example.test.',
    qtype: qtypeText === 'AAAA' ? 28 : 1,
    ...(total !== undefined ? { total } : {}),
    durationS: numberFrom('DURATION', total === undefined ? 10 : undefined),
    concurrency: numberFrom('CONCURRENCY', 100),
    rate: numberFrom('RATE'),
    timeoutMs: numberFrom('TIMEOUT_MS', 1000),
    warmupS: Number(process.env.WARMUP ?? 1),
  });
  if (process.env.JSON === '1') {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(
    `qps ${result.qps.toFixed(0)}  answered ${result.answered}/${result.sent}  p50 ${(result.p50Ms * 1000).toFixed(0)} µs  p99 ${(result.p99Ms * 1000).toFixed(0)} µs  max ${result.maxMs.toFixed(2)} ms  timeouts ${result.timeouts}  errors ${result.errors}`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
