/**
 * Counting HTTP backends for the skew testbed: one server per member address (127.0.0.x), each
 * counting every request per second since `t0`, per pool (the Host header), per client class
 * (`x-class`) and, for requests that open a virtual connection (`x-conn: new`), new connections.
 *
 * `GET /healthz` is not counted: it answers 200 with `X-Load`, the backend's request rate for that
 * Host over the last LOAD_WINDOW_SECONDS (what a real backend would report to `load-header`, the
 * way NS1's Shed Load reads a backend's own figure).
 */
import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';

/** Per second since t0: requests and new connections, by class. */
export interface MemberSeries {
  readonly requests: number[];
  readonly newConnections: number[];
  readonly byClass: Record<string, number[]>;
}

export interface CountingBackends {
  readonly addresses: readonly string[];
  readonly port: number;
  /** Counts per `host|address`. */
  series(): Map<string, MemberSeries>;
  close(): Promise<void>;
}

/** Seconds the reported load (`X-Load`) averages over. */
export const LOAD_WINDOW_SECONDS = 5;
/** Receive-time buckets per second for the load window. */
const LOAD_SLOTS_PER_SECOND = 10;

/** Requests per Host in receive-time buckets (1/LOAD_SLOTS_PER_SECOND s), for X-Load. */
class RecentRate {
  private readonly slots = new Float64Array(LOAD_WINDOW_SECONDS * LOAD_SLOTS_PER_SECOND);
  private slot = -1;

  add(nowMs: number): void {
    this.roll(nowMs);
    this.slots[this.slot % this.slots.length]!++;
  }

  perSecond(nowMs: number): number {
    this.roll(nowMs);
    let sum = 0;
    for (const v of this.slots) sum += v;
    return sum / LOAD_WINDOW_SECONDS;
  }

  private roll(nowMs: number): void {
    const slot = Math.floor((nowMs * LOAD_SLOTS_PER_SECOND) / 1000);
    if (this.slot < 0) this.slot = slot;
    for (let s = Math.max(this.slot + 1, slot - this.slots.length + 1); s <= slot; s++) this.slots[s % this.slots.length] = 0;
    this.slot = Math.max(this.slot, slot);
  }
}

function bump(list: number[], at: number): void {
  while (list.length <= at) list.push(0);
  list[at] = (list[at] ?? 0) + 1;
}

/** Starts one counting server per address, all on one port (found free on the first). */
export async function startCountingBackends(addresses: readonly string[], t0: () => number): Promise<CountingBackends> {
  const servers: { server: http.Server; sockets: Set<net.Socket> }[] = [];
  const counts = new Map<string, MemberSeries>();
  const recent = new Map<string, RecentRate>();
  const close = async (): Promise<void> => {
    await Promise.all(
      servers.map(
        ({ server, sockets }) =>
          new Promise<void>((resolve) => {
            for (const s of sockets) s.destroy();
            server.close(() => resolve());
          }),
      ),
    );
  };
  let port = 0;
  try {
    for (const address of addresses) {
      const server = http.createServer((req, res) => {
        const sent = Number(req.headers['x-t']);
        const second = Math.max(0, Math.floor(Number.isFinite(sent) ? sent : (performance.now() - t0()) / 1000));
        const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
        const key = `${host}|${address}`;
        let rate = recent.get(key);
        if (!rate) {
          rate = new RecentRate();
          recent.set(key, rate);
        }
        if (req.url === '/healthz') {
          res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 3, 'X-Load': rate.perSecond(performance.now()).toFixed(2) }).end('ok\n');
          return;
        }
        rate.add(performance.now());
        let s = counts.get(key);
        if (!s) {
          s = { requests: [], newConnections: [], byClass: {} };
          counts.set(key, s);
        }
        bump(s.requests, second);
        if (req.headers['x-conn'] === 'new') bump(s.newConnections, second);
        const cls = String(req.headers['x-class'] ?? 'other');
        bump((s.byClass[cls] ??= []), second);
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 3 }).end('ok\n');
      });
      server.keepAliveTimeout = 120_000;
      const sockets = new Set<net.Socket>();
      server.on('connection', (s: net.Socket) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      servers.push({ server, sockets });
      server.listen({ host: address, port, exclusive: true });
      await once(server, 'listening');
      const a = server.address();
      if (port === 0 && typeof a === 'object' && a) port = a.port;
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { addresses, port, series: () => counts, close };
}
