/**
 * Closes skew correction's loop off the query path: every few seconds, for each `skew=correct`
 * pool, the ledger's normalised gaps go through report/'s estimator (report/skew-demand.ts) and
 * the resulting demand table goes back to the pool's plan as data (DESIGN.md: balance/ never
 * imports report/; server/ carries the table across). Idle resolvers are forgotten on the way.
 */
import type { PlannedSelector } from '../dns/planned-selector.js';
import { demandTable } from '../report/skew-demand.js';

/** How often demand tables are rebuilt. */
export const SKEW_DEMAND_INTERVAL_MS = 5_000;

export class SkewDemandLoop {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly selector: PlannedSelector) {}

  /** One round: a fresh table per skew pool. */
  update(nowMs = Date.now()): void {
    for (const [key, ledger] of this.selector.skewLedgers()) {
      ledger.sweep(nowMs);
      this.selector.setDemand(demandTable(key, ledger.gaps(), ledger.referenceTtl, nowMs));
    }
  }

  start(intervalMs = SKEW_DEMAND_INTERVAL_MS): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.update(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
