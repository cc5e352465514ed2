/**
 * How long a member removed from the answers keeps receiving traffic. A resolver holding it keeps
 * it for the rest of its cache entry (uniform over its effective TTL); clients keep it longer by
 * class (client-model.ts); requests follow connections opened before the switch (exponential
 * lifetime). The curve is the fraction of the member's traffic before removal that still reaches
 * it t seconds after.
 */
import type { DecisionUnit } from './closed-form.js';
import type { ClientClass, ClientModel } from './client-model.js';
import { connectionMean, connectionOf, connectionResidual, connectionSurvival, lagSurvival } from './client-model.js';
import type { DrainCurve, DrainPoint, DrainReport } from './model.js';

/** The times (seconds) the report quotes: 1×, 2×, 10× TTL, then 60 s, 5 min, 15 min, 1 h. */
export function drainMarks(ttl: number): { seconds: number; label: string }[] {
  const marks: { seconds: number; label: string }[] = [];
  if (ttl > 0) {
    marks.push({ seconds: ttl, label: '1×TTL' }, { seconds: 2 * ttl, label: '2×TTL' }, { seconds: 10 * ttl, label: '10×TTL' });
  }
  marks.push({ seconds: 60, label: '60 s' }, { seconds: 300, label: '5 min' }, { seconds: 900, label: '15 min' }, { seconds: 3600, label: '1 h' });
  return marks;
}

/** A time grid: dense up to a few TTLs (and the 60 s pin), log-spaced to the horizon. */
export function drainGrid(ttl: number, horizonSeconds = Math.max(3600, 10 * ttl)): number[] {
  const set = new Set<number>([0]);
  const near = Math.min(horizonSeconds, 4 * Math.max(ttl, 60));
  for (let i = 1; i <= 240; i++) set.add(Math.round(((near * i) / 240) * 1000) / 1000);
  const lo = Math.log(Math.max(1, near));
  const hi = Math.log(horizonSeconds);
  for (let i = 0; i <= 120; i++) set.add(Math.round(Math.exp(lo + ((hi - lo) * i) / 120) * 1000) / 1000);
  for (const m of drainMarks(ttl)) if (m.seconds <= horizonSeconds) set.add(m.seconds);
  return [...set].filter((t) => t <= horizonSeconds).sort((a, b) => a - b);
}

/** P(still on the old answer at t) without the lag, for one resolver TTL and one client class. */
function baseSurvival(t: number, ttl: number, c: ClientClass, pinFrom: ClientModel['pinFrom']): number {
  if (t <= 0) return 1;
  const pin = c.pinSeconds;
  if (pin <= 0 || pinFrom === 'issue') {
    const life = Math.max(ttl, pin);
    return life > 0 ? Math.max(0, 1 - t / life) : 0;
  }
  // Pinned from the client's own lookup: still pinned from before the removal, or re-looked-up
  // after it from a resolver that still held the old answer.
  const pinned = Math.max(0, 1 - t / pin);
  if (!(ttl > 0)) return pinned;
  const area = (y: number): number => {
    const z = Math.min(y, ttl);
    return z - (z * z) / (2 * ttl);
  };
  const from = Math.max(0, t - pin);
  return pinned + (area(t) - area(from)) / pin;
}

/** P(still on the old answer at t) for one resolver TTL and one client class. */
export function classSurvival(t: number, ttl: number, c: ClientClass, pinFrom: ClientModel['pinFrom']): number {
  const g0 = baseSurvival(t, ttl, c, pinFrom);
  if (!(c.lagMedianSeconds > 0) || t <= 0) return g0;
  // S = S0 + L: G(t) = G0(t) + ∫_0^t f0(u) P(L > t − u) du, by midpoints.
  const steps = 48;
  let sum = g0;
  let prev = 1;
  for (let i = 1; i <= steps; i++) {
    const u = (t * i) / steps;
    const g = baseSurvival(u, ttl, c, pinFrom);
    sum += (prev - g) * lagSurvival(c, t - (t * (i - 0.5)) / steps);
    prev = g;
  }
  return Math.min(1, sum);
}

/** Groups units by TTL (5% steps, 0.5 s below 10 s) so the curve costs little with many resolvers. */
function groupByTtl(units: readonly DecisionUnit[]): { ttl: number; share: number }[] {
  const groups = new Map<number, { ttl: number; share: number }>();
  let total = 0;
  for (const u of units) total += u.share;
  if (total <= 0) return [];
  for (const u of units) {
    if (!(u.share > 0)) continue;
    const t = Math.max(0, u.ttlSeconds);
    const key = t < 10 ? Math.round(t * 2) / 2 : Math.round(Math.exp(Math.round(Math.log(t) / 0.05) * 0.05) * 10) / 10;
    const g = groups.get(key) ?? { ttl: key, share: 0 };
    g.share += u.share / total;
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** Lookups and requests still reaching a removed member at each time in `times` (ascending). */
export function drainCurve(
  units: readonly DecisionUnit[],
  client: ClientModel,
  times: readonly number[],
): { lookups: number[]; requests: number[] } {
  const lookups = new Array<number>(times.length).fill(0);
  const requests = new Array<number>(times.length).fill(0);
  let classTotal = 0;
  for (const c of client.classes) classTotal += c.share;
  for (const g of groupByTtl(units)) {
    for (const c of client.classes) {
      const w = (g.share * c.share) / (classTotal || 1);
      if (w === 0) continue;
      const conn = connectionOf(client, c);
      if (conn.sigma > 0 && conn.seconds > 0) {
        renewalRequests(times, g.ttl, c, client, conn, w, lookups, requests);
        continue;
      }
      const m = conn.seconds;
      let carried = 0;
      let prevT = 0;
      let prevG = 1;
      for (let i = 0; i < times.length; i++) {
        const t = times[i]!;
        const gt = classSurvival(t, g.ttl, c, client.pinFrom);
        const dt = t - prevT;
        // Connections opened before their client switched live on: exponential lifetime m.
        if (m > 0) carried = carried * Math.exp(-dt / m) + Math.max(0, prevG - gt) * Math.exp(-dt / (2 * m));
        lookups[i]! += w * gt;
        requests[i]! += w * (gt + carried);
        prevT = t;
        prevG = gt;
      }
    }
  }
  return { lookups, requests };
}

/**
 * A class whose connections outlive answers with a lognormal lifetime (long-lived apps): the
 * request at t still goes to the removed member if the connection held at the removal is still
 * open (stationary residual life) or the last connection opened since, at s, was opened with an
 * old answer: R(t) = S_res(t) + ∫_0^t S_L(t − s) G(s) ds / E[L], G the class's answer survival.
 */
function renewalRequests(
  times: readonly number[],
  ttl: number,
  c: ClientClass,
  client: ClientModel,
  conn: { readonly seconds: number; readonly sigma: number },
  w: number,
  lookups: number[],
  requests: number[],
): void {
  const mean = connectionMean(conn);
  const steps = 96;
  for (let i = 0; i < times.length; i++) {
    const t = times[i]!;
    const gt = classSurvival(t, ttl, c, client.pinFrom);
    let opened = 0;
    if (t > 0) {
      const h = t / steps;
      for (let k = 0; k < steps; k++) {
        const s = (k + 0.5) * h;
        opened += connectionSurvival(conn, t - s) * classSurvival(s, ttl, c, client.pinFrom) * h;
      }
    }
    lookups[i]! += w * gt;
    requests[i]! += w * Math.min(1, connectionResidual(conn, t) + opened / mean);
  }
}

/** First time at which values drop to `level` or below (linear between grid points). */
export function timeBelow(times: readonly number[], values: readonly number[], level: number): number | null {
  for (let i = 0; i < times.length; i++) {
    const v = values[i]!;
    if (v <= level) {
      if (i === 0) return times[0]!;
      const v0 = values[i - 1]!;
      const t0 = times[i - 1]!;
      const t1 = times[i]!;
      return v0 === v ? t1 : t0 + ((v0 - level) / (v0 - v)) * (t1 - t0);
    }
  }
  return null;
}

/** Value of a curve at time t (linear interpolation; clamps at the ends). */
export function valueAt(times: readonly number[], values: readonly number[], t: number): number {
  if (times.length === 0) return 0;
  if (t <= times[0]!) return values[0]!;
  for (let i = 1; i < times.length; i++) {
    if (times[i]! >= t) {
      const t0 = times[i - 1]!;
      const t1 = times[i]!;
      const f = t1 === t0 ? 1 : (t - t0) / (t1 - t0);
      return values[i - 1]! + f * (values[i]! - values[i - 1]!);
    }
  }
  return values[values.length - 1]!;
}

/** Thins a curve for charts and JSON (keeps the first, the last and about `max` points). */
export function thinCurve(times: readonly number[], lookups: readonly number[], requests: readonly number[], max = 120): DrainCurve['points'] {
  const out: { seconds: number; lookups: number; requests: number }[] = [];
  const step = Math.max(1, Math.ceil(times.length / max));
  for (let i = 0; i < times.length; i += step) out.push({ seconds: times[i]!, lookups: round4(lookups[i]!), requests: round4(requests[i]!) });
  const last = times.length - 1;
  if (last >= 0 && out[out.length - 1]?.seconds !== times[last]) out.push({ seconds: times[last]!, lookups: round4(lookups[last]!), requests: round4(requests[last]!) });
  return out;
}

export function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

/**
 * The drain estimate for a pool: the pool-wide curve from all its decision units, plus one curve
 * per member from the units that sent it traffic (members held by clamping resolvers drain slower).
 */
export function estimateDrain(
  ttl: number,
  units: readonly DecisionUnit[],
  client: ClientModel,
  perMember: readonly { readonly label: string; readonly units: readonly DecisionUnit[] }[] = [],
): DrainReport {
  const times = drainGrid(ttl);
  const pool = drainCurve(units, client, times);
  const marks: DrainPoint[] = drainMarks(ttl).map((m) => ({
    seconds: m.seconds,
    label: m.label,
    lookups: round4(valueAt(times, pool.lookups, m.seconds)),
    requests: round4(valueAt(times, pool.requests, m.seconds)),
  }));
  const curves: DrainCurve[] = [{ label: 'pool', points: thinCurve(times, pool.lookups, pool.requests) }];
  for (const m of perMember) {
    const c = drainCurve(m.units, client, times);
    curves.push({ label: m.label, points: thinCurve(times, c.lookups, c.requests) });
  }
  return {
    ttl,
    source: 'estimated',
    member: null,
    marks,
    drained90Seconds: timeBelow(times, pool.lookups, 0.1),
    drained99Seconds: timeBelow(times, pool.lookups, 0.01),
    curves,
  };
}
