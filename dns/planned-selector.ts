/**
 * The health-aware PoolSelector: keeps one AnswerPlan per pool, built from the current health
 * view by balance/, and rebuilt only for the pools whose targets changed. The query path calls
 * select(), which is a map lookup and plan.pick(); it never waits on health.
 */
import type { Logger } from '../lib/logger.js';
import { systemRandom, type Random } from '../lib/random.js';
import type { AnswerPlan, PlanBuilder } from '../balance/types.js';
import type { HealthChange, HealthSource, HealthView } from '../health/types.js';
import type { Pool, PoolMember } from '../zones/types.js';
import type { ClientInfo, PoolSelector, Selection } from './pool-selector.js';
import { clientKeyFor } from './client-key.js';

interface PoolState {
  plan: AnswerPlan;
  /** Selections per variant, made once per plan so select() allocates nothing. */
  selections: readonly Selection[];
}

export interface PlannedSelectorOptions {
  readonly health: HealthSource;
  readonly buildPlan: PlanBuilder;
  readonly logger: Logger;
  readonly random?: Random;
}

const NODATA: Selection = { kind: 'nodata' };
const SERVFAIL: Selection = { kind: 'servfail' };

export class PlannedSelector implements PoolSelector {
  private readonly states = new WeakMap<Pool, PoolState>();
  /** Per pool key, so the rotation carries on across zone reloads. */
  private readonly sequences = new Map<string, number>();
  /** target id -> pools that use it, for the pools of the zones currently served. */
  private poolsByTarget = new Map<string, Pool[]>();
  private readonly allDownPools = new Set<string>();
  private readonly random: Random;
  private readonly log: Logger;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: PlannedSelectorOptions) {
    this.random = options.random ?? systemRandom;
    this.log = options.logger.child({ component: 'balance' });
    this.unsubscribe = options.health.subscribe((change) => this.onHealthChange(change));
  }

  /** Tell the selector which pools are served now (after every zone load). */
  setPools(pools: Iterable<Pool>): void {
    const byTarget = new Map<string, Pool[]>();
    for (const pool of pools) {
      for (const member of pool.members) {
        if (member.targetId === undefined) continue;
        const list = byTarget.get(member.targetId);
        if (list) {
          if (!list.includes(pool)) list.push(pool);
        } else byTarget.set(member.targetId, [pool]);
      }
    }
    this.poolsByTarget = byTarget;
  }

  select(pool: Pool, client: ClientInfo): Selection {
    const state = this.states.get(pool) ?? this.rebuild(pool, this.options.health.view());
    const plan = state.plan;
    if (plan.kind !== 'answer') return state.selections[0] ?? SERVFAIL;
    const seq = this.sequences.get(pool.key) ?? 0;
    this.sequences.set(pool.key, seq + 1 >= 0x7fffffff ? 0 : seq + 1);
    if (!plan.clientDependent) {
      return state.selections[plan.pick({ seq, random: this.random, clientKey: '' })] ?? SERVFAIL;
    }
    const { key, scope } = clientKeyFor(client, pool.config.stickyV4Prefix, pool.config.stickyV6Prefix);
    const index = plan.pick({ seq, random: this.random, clientKey: key });
    const members = plan.variants[index]?.map((i) => pool.members[i]).filter((m): m is PoolMember => m !== undefined);
    if (!members || members.length === 0) return SERVFAIL;
    return client.ecs ? { kind: 'answer', members, ecsScope: scope } : { kind: 'answer', members };
  }

  /** The plan currently used for a pool (status, reports and the fast path read it). */
  planFor(pool: Pool): AnswerPlan {
    return (this.states.get(pool) ?? this.rebuild(pool, this.options.health.view())).plan;
  }

  close(): void {
    this.unsubscribe();
  }

  private onHealthChange(change: HealthChange): void {
    const affected = new Set<Pool>();
    for (const id of change.changed) for (const pool of this.poolsByTarget.get(id) ?? []) affected.add(pool);
    for (const pool of affected) this.rebuild(pool, change.view);
  }

  private rebuild(pool: Pool, view: HealthView): PoolState {
    const plan = this.options.buildPlan(pool, view);
    const selections: Selection[] =
      plan.kind === 'nodata'
        ? [NODATA]
        : plan.kind === 'servfail'
          ? [SERVFAIL]
          : plan.variants.map((variant) => ({
              kind: 'answer' as const,
              members: variant.map((i) => pool.members[i]).filter((m): m is PoolMember => m !== undefined),
            }));
    const state: PoolState = { plan, selections };
    this.states.set(pool, state);
    this.noteAllDown(pool, plan);
    return state;
  }

  private noteAllDown(pool: Pool, plan: AnswerPlan): void {
    const down = plan.allDown;
    if (down === this.allDownPools.has(pool.key)) return;
    if (down) {
      this.allDownPools.add(pool.key);
      this.log.warn({ pool: pool.key, mode: pool.config.allDown }, 'all members down, applying all-down rule');
    } else {
      this.allDownPools.delete(pool.key);
      this.log.info({ pool: pool.key }, 'pool has live members again');
    }
  }
}

