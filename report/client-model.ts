/**
 * The client side of the caching model (research note §3, §6): classes of clients that keep
 * answers longer than the resolver does, and connections that outlive the answer. Shared by the
 * drain estimate and the simulator so both tell the same story.
 */

export interface ClientClass {
  readonly name: string;
  /** Traffic share of this class (the shares are normalised). */
  readonly share: number;
  /**
   * Seconds an answer is kept at least (Chromium and Firefox: 60 s whatever the TTL; 0 = follow
   * the TTL the resolver hands out).
   */
  readonly pinSeconds: number;
  /** Extra time past the answer's expiry, lognormal with this median (0 = none). */
  readonly lagMedianSeconds: number;
  /** σ of the lognormal lag (of ln seconds). */
  readonly lagSigma: number;
  /** A connection idle this long is closed (Chrome 300 s, Go 90 s, Node 5 s, .NET never). */
  readonly idleTimeoutSeconds: number;
  /**
   * How long this class's connections outlive the answer they were opened with (the report's drain
   * and CV prediction): the mean of an exponential lifetime, or the median of a lognormal one when
   * `connectionSigma` > 0. 0: connections follow the answer (pools per address: getaddrinfo
   * stubs, Java). Absent: the model-wide `connectionLifetimeSeconds` (exponential), as before.
   * Measured behind real resolvers (bench/skew, docs/report.md): stubs and Java pools drain with
   * their answers, browsers (sockets pooled by host name) and long-lived apps with their connections.
   */
  readonly connectionSeconds?: number;
  readonly connectionSigma?: number;
}

export interface ClientModel {
  readonly classes: readonly ClientClass[];
  /**
   * Where a pin is counted from. `issue` (default, the calibrated model): an answer lives at least
   * pinSeconds from when the authoritative handed it out, so a browser re-asking its resolver gets
   * a fresh answer. `lookup`: Chromium's literal 60 s from its own lookup, which compounds with
   * the resolver's cache and drains slower.
   */
  readonly pinFrom: 'issue' | 'lookup';
  /** Mean connection lifetime in seconds (exponential). */
  readonly connectionLifetimeSeconds: number;
  /** Requests per connection, on average; sets each client's request rate. */
  readonly requestsPerConnection: number;
  /** Share of clients that connect to the first address (others pick at random). */
  readonly firstAddressShare: number;
  /**
   * Requests per second of one client (the CV prediction: how many requests one client's pinned
   * answer carries). Default: requestsPerConnection / connectionLifetimeSeconds.
   */
  readonly requestRatePerClient?: number;
  /**
   * Share of resolver traffic behind resolvers that keep the order they were given for a whole
   * cache entry (PowerDNS Recursor's packet cache), for answers of several members. It cannot be
   * seen from the authoritative, so it is a prior (research note §6: 10%); the report also gives
   * the CV with none and with all of them keeping order. Default 0.1.
   */
  readonly orderKeepingShare?: number;
}

/** Requests per second of one client. */
export function clientRate(model: ClientModel): number {
  return model.requestRatePerClient ?? model.requestsPerConnection / model.connectionLifetimeSeconds;
}

/** The connection lifetime of a class: exponential mean, or lognormal median with σ. */
export function connectionOf(model: ClientModel, c: ClientClass): { readonly seconds: number; readonly sigma: number } {
  if (c.connectionSeconds === undefined) return { seconds: model.connectionLifetimeSeconds, sigma: 0 };
  return { seconds: Math.max(0, c.connectionSeconds), sigma: Math.max(0, c.connectionSigma ?? 0) };
}

/** Mean of a connection lifetime. */
export function connectionMean(conn: { readonly seconds: number; readonly sigma: number }): number {
  return conn.sigma > 0 ? conn.seconds * Math.exp((conn.sigma * conn.sigma) / 2) : conn.seconds;
}

/** P(lifetime > x) of a connection lifetime. */
export function connectionSurvival(conn: { readonly seconds: number; readonly sigma: number }, x: number): number {
  if (x <= 0) return 1;
  if (!(conn.seconds > 0)) return 0;
  if (conn.sigma > 0) return 1 - normalCdf((Math.log(x) - Math.log(conn.seconds)) / conn.sigma);
  return Math.exp(-x / conn.seconds);
}

/**
 * P(no new connection within x) for a client met at a random time (the stationary residual life:
 * ∫_x^∞ S(a) da / E[L]); exp: e^(−x/mean).
 */
export function connectionResidual(conn: { readonly seconds: number; readonly sigma: number }, x: number): number {
  if (x <= 0) return 1;
  if (!(conn.seconds > 0)) return 0;
  if (!(conn.sigma > 0)) return Math.exp(-x / conn.seconds);
  // Lognormal: ∫_x^∞ S(a) da = E[L]·(1 − Φ((ln x − μ − σ²)/σ)) − x·S(x).
  const mu = Math.log(conn.seconds);
  const s = conn.sigma;
  const mean = Math.exp(mu + (s * s) / 2);
  const tail = mean * (1 - normalCdf((Math.log(x) - mu - s * s) / s)) - x * connectionSurvival(conn, x);
  return Math.max(0, Math.min(1, tail / mean));
}

/** Defaults of research note §6 (browser 45%, stub 47%, sticky 8%; first address 0.95). */
export const DEFAULT_CLIENT_MODEL: ClientModel = {
  classes: [
    // Chromium kCacheEntryTTLSeconds / Firefox dnsCacheExpiration: 60 s; Chrome keeps used idle sockets 300 s.
    { name: 'browser', share: 0.45, pinSeconds: 60, lagMedianSeconds: 0, lagSigma: 0, idleTimeoutSeconds: 300 },
    // getaddrinfo, Node, Go (IdleConnTimeout 90 s), systemd-resolved: follow the TTL.
    { name: 'stub', share: 0.47, pinSeconds: 0, lagMedianSeconds: 0, lagSigma: 0, idleTimeoutSeconds: 90 },
    // JVM caches, .NET pools (PooledConnectionLifetime infinite), gRPC pick_first, mobile apps.
    { name: 'sticky', share: 0.08, pinSeconds: 0, lagMedianSeconds: 120, lagSigma: 1.5, idleTimeoutSeconds: Infinity },
  ],
  pinFrom: 'issue',
  connectionLifetimeSeconds: 60,
  requestsPerConnection: 10,
  firstAddressShare: 0.95,
};

/** Standard normal CDF (Abramowitz–Stegun 7.1.26, error < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** P(L > x) for the class's lognormal lag (1 for x ≤ 0; 0 for x > 0 without a lag). */
export function lagSurvival(c: ClientClass, x: number): number {
  if (x <= 0) return 1;
  if (!(c.lagMedianSeconds > 0)) return 0;
  if (!(c.lagSigma > 0)) return x < c.lagMedianSeconds ? 1 : 0;
  return 1 - normalCdf((Math.log(x) - Math.log(c.lagMedianSeconds)) / c.lagSigma);
}
