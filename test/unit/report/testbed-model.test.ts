/**
 * The model changes the real-resolver testbed forced (docs/report.md, "Checked against real
 * resolvers"): per-class connections in the drain, the lookup-rate demand correction, and the
 * window CV prediction with its order-keeping range.
 */
import { describe, expect, it } from 'vitest';
import { testbedClientModel } from '../../../bench/skew/client-model.js';
import { DEFAULT_CLASSES } from '../../../bench/skew/clients.js';
import { predictCv, predictWindowCv, zipfShares } from '../../../report/closed-form.js';
import { connectionResidual, DEFAULT_CLIENT_MODEL, type ClientModel } from '../../../report/client-model.js';
import { lookupShare } from '../../../report/demand.js';
import { drainCurve } from '../../../report/drain.js';

const model = testbedClientModel(DEFAULT_CLASSES, 0.5);

describe('connections by class', () => {
  it('gives the stationary residual life of exponential and lognormal connections', () => {
    expect(connectionResidual({ seconds: 60, sigma: 0 }, 60)).toBeCloseTo(Math.exp(-1), 6);
    // Lognormal (median 120 s, σ 1): mean 198 s; the residual at 0 is 1 and falls slower than S(x).
    const r = (x: number): number => connectionResidual({ seconds: 120, sigma: 1 }, x);
    expect(r(0)).toBe(1);
    expect(r(120)).toBeGreaterThan(0.45);
    expect(r(120)).toBeLessThan(0.65);
    expect(r(600)).toBeLessThan(r(300));
  });

  it('drains stubs and Java with their answers, browsers and long-lived apps with their connections', () => {
    const times = [0, 5, 10, 60, 300];
    const only = (name: string): ClientModel => ({ ...model, classes: model.classes.filter((c) => c.name === name) });
    const units = [{ share: 1, ttlSeconds: 5 }];
    const stub = drainCurve(units, only('stub'), times);
    expect(stub.requests[2]).toBe(0);
    expect(stub.requests).toEqual(stub.lookups);
    const java = drainCurve(units, only('java'), times);
    expect(java.requests[3]).toBe(0);
    const browser = drainCurve(units, only('browser'), times);
    expect(browser.requests[3]!).toBeGreaterThan(browser.lookups[3]!);
    const long = drainCurve(units, only('long'), times);
    expect(long.requests[4]!).toBeGreaterThan(0.1);
    expect(long.lookups[2]).toBe(0);
  });
});

describe('demand from lookups', () => {
  it('reads the request rate from every class’s lookups when pins run from the client’s lookup', () => {
    // ρ = 0.5/s: stubs look up on every request, the others after their pin or connection.
    const share = lookupShare(model);
    const expected = 0.4 + (0.45 * (1 / 62)) / 0.5 + (0.07 * (1 / 32)) / 0.5 + (0.08 * (1 / (120 * Math.exp(0.5) + 2))) / 0.5;
    expect(share).toBeCloseTo(expected, 4);
  });
});

describe('window CV prediction', () => {
  const shares = zipfShares(7, 1);
  const units = shares.map((s) => ({ share: s, epochSeconds: 5.5 }));
  const input = { targets: [1, 1, 1, 1], units, client: model, requestRate: 300, singleMember: true };

  it('is the counting noise alone with one-member answers and no resolver', () => {
    const p = predictWindowCv({ ...input, units: [{ share: 1, epochSeconds: 0 }] }, 10);
    expect(p.cv).toBeCloseTo(Math.sqrt(3 / 3000), 6);
  });

  it('falls with the window, and lies below the note’s form where older lookups spread the entries', () => {
    const w10 = predictWindowCv(input, 10).cv;
    const w60 = predictWindowCv(input, 60).cv;
    expect(w60).toBeLessThan(w10);
    const note = predictCv([1, 1, 1, 1], units.map((u) => ({ share: u.share, ttlSeconds: 5.5 })), 10);
    expect(w10).toBeLessThan(note);
    // With stubs alone (no older lookups) it comes back near the note's form.
    const stubs: ClientModel = { ...model, classes: [{ ...model.classes[1]! }] };
    const s10 = predictWindowCv({ ...input, client: stubs, requestRate: 1e9 }, 10).cv;
    expect(s10).toBeGreaterThan(note * 0.8);
    expect(s10).toBeLessThan(note * 1.2);
  });

  it('gives a range for answers of several members, by how many resolvers keep order', () => {
    const p = predictWindowCv({ ...input, singleMember: false }, 10);
    expect(p.lower).toBeLessThan(p.cv);
    expect(p.cv).toBeLessThan(p.upper);
    expect(p.upper).toBeCloseTo(predictWindowCv(input, 10).cv, 6);
    const none = predictWindowCv({ ...input, singleMember: false, client: { ...model, orderKeepingShare: 0 } }, 10);
    expect(none.cv).toBeCloseTo(p.lower, 6);
  });

  it('is the same for the default client model as for itself (cached ages do not leak between models)', () => {
    const a = predictWindowCv({ ...input, client: DEFAULT_CLIENT_MODEL }, 60).cv;
    const b = predictWindowCv({ ...input, client: { ...DEFAULT_CLIENT_MODEL } }, 60).cv;
    expect(a).toBeCloseTo(b, 9);
  });
});
