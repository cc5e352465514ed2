/**
 * Virtual clients for the skew testbed: thousands of them in this process, each behind one
 * resolver (chosen by resolver share), each of one class that keeps answers the way real clients
 * do (research note §3; issue 11):
 *
 * - `browser`: keeps an answer 60 s from its own lookup (Chromium's kCacheEntryTTLSeconds) and
 *   reuses its keep-alive connection across answers (Chrome pools sockets by host name); a
 *   connection lives an exponential time, mean 60 s, then the next request opens one to the
 *   first address of its current answer;
 * - `stub`: caches nothing (getaddrinfo, Node's dns.lookup): every request looks the name up and
 *   goes to the first address; connections are pooled per address, so it follows its answer;
 * - `java`: keeps an answer 30 s from its lookup (networkaddress.cache.ttl), pools per address;
 * - `long`: a long-lived app (gRPC pick_first, .NET pools): looks up when it opens its one
 *   connection and keeps that connection a lognormal time, median 120 s (σ 1): minutes.
 *
 * Requests arrive per client as a Poisson stream (`ratePerClient`). Connections are virtual:
 * requests go over a shared keep-alive agent to the member address the client's state says, and
 * the first request of a virtual connection carries `x-conn: new` so the backends count new
 * connections too. Everything is seeded except network timing.
 */
import http from 'node:http';
import type { Random } from '../../lib/random.js';
import { DnsClient } from './dns-client.js';

export type ClientClassName = 'browser' | 'stub' | 'java' | 'long';

export interface ClientClassSpec {
  readonly name: ClientClassName;
  /** Share of the clients (and of the requests: every client has the same rate). */
  readonly share: number;
}

/** The default mix: the report's default shares (browser 45%, stub 47%, sticky 8%), with Java split off the stubs. */
export const DEFAULT_CLASSES: readonly ClientClassSpec[] = [
  { name: 'browser', share: 0.45 },
  { name: 'stub', share: 0.4 },
  { name: 'java', share: 0.07 },
  { name: 'long', share: 0.08 },
];

export const BROWSER_PIN_SECONDS = 60;
export const BROWSER_CONNECTION_MEAN_SECONDS = 60;
export const JAVA_PIN_SECONDS = 30;
export const LONG_CONNECTION_MEDIAN_SECONDS = 120;
export const LONG_CONNECTION_SIGMA = 1;

interface VirtualClient {
  readonly cls: ClientClassName;
  readonly resolver: number;
  next: number;
  answer: readonly string[] | undefined;
  answerUntil: number;
  conn: string | undefined;
  connUntil: number;
  lookingUp: Promise<readonly string[] | undefined> | undefined;
  /** The last address used (stub and java pool per address: a change opens a connection). */
  last: string | undefined;
}

export interface ClientGroupOptions {
  /** The name asked, e.g. `t5a1.skew.test`. */
  readonly name: string;
  readonly clients: number;
  readonly ratePerClient: number;
  readonly classes: readonly ClientClassSpec[];
  /** Share of the clients behind each resolver (normalised). */
  readonly resolverShares: readonly number[];
  readonly resolvers: readonly { readonly host: string; readonly port: number }[];
  readonly backendPort: number;
  readonly random: Random;
  /** Seconds since the testbed's t0. */
  readonly now: () => number;
}

export interface ClientGroupStats {
  lookups: number;
  failedLookups: number;
  requests: number;
  failedRequests: number;
  /** Requests not sent because too many were in flight (the machine could not keep up). */
  skipped: number;
  /** Largest delay (ms) between a request's due time and its tick, a measure of overload. */
  maxLagMs: number;
  /** Clients behind each resolver (the report's per-resolver rates are judged on them). */
  clientsByResolver?: number[];
}

/** Requests in flight per group above which new ones are skipped (and counted). */
export const MAX_IN_FLIGHT = 4000;

function pick(shares: readonly number[], u: number): number {
  let total = 0;
  for (const s of shares) total += s;
  let acc = 0;
  for (let i = 0; i < shares.length; i++) {
    acc += shares[i]! / total;
    if (u < acc) return i;
  }
  return shares.length - 1;
}

/** A min-heap of clients by their next request time. */
class Heap {
  private readonly items: VirtualClient[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): VirtualClient | undefined {
    return this.items[0];
  }
  push(c: VirtualClient): void {
    const a = this.items;
    a.push(c);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.next <= c.next) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = c;
  }
  pop(): VirtualClient | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const m = r < a.length && a[r]!.next < a[l]!.next ? r : l;
      if (a[m]!.next >= last.next) break;
      a[i] = a[m]!;
      i = m;
    }
    a[i] = last;
    return top;
  }
}

/** A running group of virtual clients for one pool; `stop()` ends it and waits for requests in flight. */
export class ClientGroup {
  readonly stats: ClientGroupStats = { lookups: 0, failedLookups: 0, requests: 0, failedRequests: 0, skipped: 0, maxLagMs: 0, clientsByResolver: [] };
  private readonly heap = new Heap();
  private readonly dns: DnsClient[];
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 });
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private running = true;

  constructor(private readonly o: ClientGroupOptions) {
    this.dns = o.resolvers.map((r) => new DnsClient(r.host, r.port, 2000));
    const start = o.now();
    const classShares = o.classes.map((c) => c.share);
    for (let i = 0; i < o.clients; i++) {
      const cls = o.classes[pick(classShares, o.random.next())]!.name;
      const resolver = pick(o.resolverShares, o.random.next());
      const byResolver = this.stats.clientsByResolver!;
      byResolver[resolver] = (byResolver[resolver] ?? 0) + 1;
      this.heap.push({
        cls,
        resolver,
        next: start + this.exp(1 / o.ratePerClient),
        answer: undefined,
        answerUntil: 0,
        conn: undefined,
        connUntil: 0,
        lookingUp: undefined,
        last: undefined,
      });
    }
    this.timer = setInterval(() => this.tick(), 10);
  }

  private exp(mean: number): number {
    return -Math.log(1 - this.o.random.next()) * mean;
  }

  private lognormal(median: number, sigma: number): number {
    // Box–Muller from two seeded uniforms.
    const u = 1 - this.o.random.next();
    const v = this.o.random.next();
    return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }

  private tick(): void {
    const now = this.o.now();
    for (let i = 0; i < 100_000; i++) {
      const c = this.heap.peek();
      if (!c || c.next > now) break;
      this.heap.pop();
      const at = c.next;
      c.next = at + this.exp(1 / this.o.ratePerClient);
      this.heap.push(c);
      this.stats.maxLagMs = Math.max(this.stats.maxLagMs, (now - at) * 1000);
      if (this.inFlight.size >= MAX_IN_FLIGHT) {
        this.stats.skipped++;
        continue;
      }
      const p = this.act(c, at).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  private lookup(c: VirtualClient): Promise<readonly string[] | undefined> {
    if (c.lookingUp) return c.lookingUp;
    const p = this.dns[c.resolver]!
      .query(this.o.name)
      .then((a) => {
        if (a.addresses.length === 0) {
          this.stats.failedLookups++;
          return undefined;
        }
        this.stats.lookups++;
        return a.addresses;
      })
      .catch(() => {
        this.stats.failedLookups++;
        return undefined;
      })
      .finally(() => {
        c.lookingUp = undefined;
      });
    c.lookingUp = p;
    return p;
  }

  private async act(c: VirtualClient, t: number): Promise<void> {
    let address: string | undefined;
    let fresh = false;
    switch (c.cls) {
      case 'stub': {
        address = (await this.lookup(c))?.[0];
        break;
      }
      case 'java': {
        if (c.answer === undefined || t >= c.answerUntil) {
          const a = await this.lookup(c);
          if (a) {
            c.answer = a;
            // A client that starts mid-life: its first pin has a uniform residual.
            c.answerUntil = t + (c.answerUntil === 0 ? this.o.random.next() : 1) * JAVA_PIN_SECONDS;
          }
        }
        address = c.answer?.[0];
        break;
      }
      case 'browser': {
        if (c.answer === undefined || t >= c.answerUntil) {
          const a = await this.lookup(c);
          if (a) {
            c.answer = a;
            c.answerUntil = t + (c.answerUntil === 0 ? this.o.random.next() : 1) * BROWSER_PIN_SECONDS;
          }
        }
        if (c.conn === undefined || t >= c.connUntil) {
          c.conn = c.answer?.[0];
          c.connUntil = t + this.exp(BROWSER_CONNECTION_MEAN_SECONDS);
          fresh = c.conn !== undefined;
        }
        address = c.conn;
        break;
      }
      case 'long': {
        if (c.conn === undefined || t >= c.connUntil) {
          const a = await this.lookup(c);
          const first = c.conn === undefined;
          c.conn = a?.[0];
          // A client met mid-life holds a connection picked by length (size-biased: a lognormal
          // with median × e^σ²) and is somewhere inside it, so the run starts stationary.
          const median = LONG_CONNECTION_MEDIAN_SECONDS * (first ? Math.exp(LONG_CONNECTION_SIGMA ** 2) : 1);
          const life = this.lognormal(median, LONG_CONNECTION_SIGMA);
          c.connUntil = t + (first ? this.o.random.next() : 1) * life;
          fresh = c.conn !== undefined;
        }
        address = c.conn;
        break;
      }
    }
    if (address === undefined || !this.running) return;
    if (c.cls === 'stub' || c.cls === 'java') {
      fresh = address !== c.last;
      c.last = address;
    }
    // Stamped when the request leaves (after any lookup), not when it was due: on a busy machine
    // the two differ, and what the client did follows the resolver's state at send time.
    await this.send(address, c.cls, fresh, this.o.now());
  }

  private send(address: string, cls: ClientClassName, fresh: boolean, t: number): Promise<void> {
    return new Promise<void>((resolve) => {
      // x-t: when the client sent it (seconds since t0): backends bin by it, so a busy event
      // loop delays counting, not the second a request is counted in.
      const headers: Record<string, string> = { host: this.o.name, 'x-class': cls, 'x-t': t.toFixed(3) };
      if (fresh) headers['x-conn'] = 'new';
      const req = http.get({ host: address, port: this.o.backendPort, path: '/', headers, agent: this.agent, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => {
          this.stats.requests++;
          resolve();
        });
        res.on('error', () => {
          this.stats.failedRequests++;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        this.stats.failedRequests++;
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // Bounded: whatever is still in flight after 6 s (lookups time out at 2 s, requests at 5 s) is cut.
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((resolve) => setTimeout(resolve, 6000).unref())]);
    for (const d of this.dns) d.close();
    this.agent.destroy();
  }
}
