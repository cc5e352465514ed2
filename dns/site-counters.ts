/**
 * Counters for pools with `map=` (issue 12): answers per site, and site state changes, read by
 * /metrics at scrape time. Site state is derived from the members' health (the same health store,
 * shared through Redis), each time a mapped pool's plan is rebuilt; a change is logged once.
 */
import type { Logger } from '../lib/logger.js';
import type { HealthView } from '../model/health.js';
import type { Pool } from '../model/zone.js';
import { siteStates } from '../balance/sites.js';
import type { SiteState } from '../balance/types.js';

/** Answers given from one site of one pool (`site` is '-' for the all-down rule's answers). */
export interface SiteAnswerCell {
  readonly pool: string;
  readonly site: string;
  count: number;
}

/** Times a site of a pool went up or down. */
export interface SiteChangeCell {
  readonly pool: string;
  readonly site: string;
  readonly to: 'up' | 'down';
  count: number;
}

export class SiteCounters {
  private readonly answerCells = new Map<string, SiteAnswerCell>();
  private readonly changeCells = new Map<string, SiteChangeCell>();
  /** pool key → site → last state seen. */
  private readonly last = new Map<string, Map<string, SiteState>>();

  /** The answer counter of a pool's site (made on first use, kept across plan rebuilds and reloads). */
  answers(pool: Pool, site: string): SiteAnswerCell {
    const key = `${pool.key}\u0000${site}`;
    let cell = this.answerCells.get(key);
    if (!cell) {
      cell = { pool: pool.key, site, count: 0 };
      this.answerCells.set(key, cell);
    }
    return cell;
  }

  /** Compares the pool's sites with the last states seen; counts and logs each change. */
  noteStates(pool: Pool, health: HealthView, log: Logger): readonly SiteState[] {
    const states = siteStates(pool, health);
    let seen = this.last.get(pool.key);
    if (!seen) {
      seen = new Map();
      this.last.set(pool.key, seen);
    }
    for (const state of states) {
      const before = seen.get(state.name);
      seen.set(state.name, state);
      if (!before || before.up === state.up) continue;
      const to = state.up ? 'up' : 'down';
      const key = `${pool.key}\u0000${state.name}\u0000${to}`;
      let cell = this.changeCells.get(key);
      if (!cell) {
        cell = { pool: pool.key, site: state.name, to, count: 0 };
        this.changeCells.set(key, cell);
      }
      cell.count++;
      const upShare = state.totalWeight > 0 ? state.upWeight / state.totalWeight : 0;
      log.info({ pool: pool.key, site: state.name, from: before.up ? 'up' : 'down', to, upShare, threshold: state.threshold }, 'site state changed');
    }
    return states;
  }

  /** The last states seen for a pool's sites (status, dashboards). */
  statesOf(poolKey: string): readonly SiteState[] {
    return [...(this.last.get(poolKey)?.values() ?? [])];
  }

  answerCounts(): readonly SiteAnswerCell[] {
    return [...this.answerCells.values()];
  }

  changeCounts(): readonly SiteChangeCell[] {
    return [...this.changeCells.values()];
  }
}
