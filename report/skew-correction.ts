/**
 * What the report shows of a `skew=correct` pool (docs/report.md "Skew correction"): the effect of
 * the correction as skew correction itself counted it (the CV across members of the load it
 * charged, per 10 s and 60 s window) beside the estimate with it off (the closed form, §5, for
 * the same resolvers and demand answered by plain rotation at the pool's TTL), and what it acts
 * on (resolvers with an estimate, TTL buckets).
 */
import type { SkewLedgerStats } from '../balance/skew-ledger.js';
import type { PoolDemandTable } from '../model/demand.js';
import { predictCv } from './closed-form.js';
import type { SkewCorrectionReport } from './model.js';

export function skewCorrectionReport(
  stats: SkewLedgerStats,
  table: PoolDemandTable | undefined,
  pool: { readonly ttl: number; readonly answers: number | 'all'; readonly targets: readonly number[] },
): SkewCorrectionReport {
  const entries = table?.entries ?? [];
  const units = entries.map((e) => ({ share: e.ratePerSecond, ttlSeconds: pool.ttl + e.extraHoldSeconds }));
  return {
    resolversTracked: stats.tracked,
    resolversEstimated: stats.estimated,
    steeredRatePerSecond: round(stats.steeredRate),
    correctedAnswers: stats.corrected,
    rotatedAnswers: stats.rotated,
    buckets: stats.buckets,
    ...(stats.feedback.rounds > 0
      ? {
          feedback: {
            rounds: stats.feedback.rounds,
            ageSeconds: stats.feedback.ageSeconds === null ? null : round(stats.feedback.ageSeconds),
            members: stats.feedback.modelled.map((modelled, index) => ({
              index,
              reported: stats.feedback.reported[index] ?? null,
              modelled: round(modelled),
            })),
          },
        }
      : {}),
    windows: stats.chargedCv.map((w) => ({
      windowSeconds: w.windowSeconds,
      windows: w.windows,
      withCorrection: w.cvRms === null ? null : round(w.cvRms),
      ...(stats.feedback.rounds > 0
        ? { reported: reportedCv(stats, w.windowSeconds), reportedWindows: stats.feedback.cv.find((c) => c.windowSeconds === w.windowSeconds)?.windows ?? 0 }
        : {}),
      rotationEstimate: units.length > 0 ? round(predictCv(pool.targets, units, w.windowSeconds)) : null,
      upperBound: pool.answers === 'all' || pool.answers > 1,
    })),
  };
}

function reportedCv(stats: SkewLedgerStats, windowSeconds: number): number | null {
  const cv = stats.feedback.cv.find((c) => c.windowSeconds === windowSeconds)?.cvRms;
  return cv === null || cv === undefined ? null : round(cv);
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
