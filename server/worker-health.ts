/**
 * Health across `rondo serve --workers N` processes: the primary holds the one health store
 * (in memory with its checks, or Redis) and sends its view to every worker over the cluster IPC
 * channel; each worker answers DNS from an IpcHealthSource fed by those messages. So every worker
 * sees the same health, however the store gets it, and none of them talks to Redis or probes.
 *
 * A worker asks for the whole view when it starts (`hello`) and gets it before it listens; after
 * that the primary sends only what changed: the targets' decided health and the pool members'
 * operator overrides (HealthView.member).
 */
import type { HealthChange, HealthSource, HealthView, OverrideKind, TargetHealth } from '../model/health.js';
import { HealthViews } from '../health/view.js';
import { ConfigError } from '../lib/errors.js';
import type { Zone } from '../model/zone.js';

export type HealthMessage = {
  readonly type: 'rondo:health';
  /** A whole view (answer to hello): entries missing from it are forgotten. */
  readonly full: boolean;
  readonly targets: readonly (readonly [id: string, health: TargetHealth | null])[];
  readonly members: readonly (readonly [pool: string, address: string, override: OverrideKind | null])[];
};

export type PrimaryMessage = HealthMessage | { readonly type: 'rondo:reload' };
export type WorkerMessage = { readonly type: 'rondo:hello' } | { readonly type: 'rondo:ready' };

export function isPrimaryMessage(value: unknown): value is PrimaryMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === 'rondo:health' || type === 'rondo:reload';
}

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === 'rondo:hello' || type === 'rondo:ready';
}

/** The primary's side: turns its store's view and changes into messages. */
export class HealthBroadcaster {
  private readonly unsubscribe: () => void;

  constructor(
    private readonly source: HealthSource,
    /** The zones served now: where the full view's target ids and pool members come from. */
    private readonly zones: () => readonly Zone[],
    private readonly send: (message: HealthMessage) => void,
  ) {
    this.unsubscribe = source.subscribe((change) => this.send(this.delta(change)));
  }

  /** The whole current view, for a worker that just said hello. */
  full(): HealthMessage {
    const view = this.source.view();
    const targets: [string, TargetHealth][] = [];
    const members: [string, string, OverrideKind][] = [];
    for (const zone of this.zones()) {
      for (const target of zone.targets) {
        const health = view.get(target.id);
        if (health) targets.push([target.id, health]);
      }
      if (!view.member) continue;
      for (const pool of zone.pools) {
        for (const member of pool.members) {
          const override = view.member(pool.name, member.address);
          if (override) members.push([pool.name, member.address, override]);
        }
      }
    }
    return { type: 'rondo:health', full: true, targets, members };
  }

  close(): void {
    this.unsubscribe();
  }

  private delta(change: HealthChange): HealthMessage {
    const view = change.view;
    return {
      type: 'rondo:health',
      full: false,
      targets: change.changed.map((id) => [id, view.get(id) ?? null] as const),
      members: (change.changedMembers ?? []).map((m) => [m.pool, m.address, view.member?.(m.pool, m.address) ?? null] as const),
    };
  }
}

/**
 * A worker's HealthSource: the primary's view, as received. start() asks for the whole view and
 * resolves when it has arrived (or rejects after `timeoutMs`), so a worker never answers from an
 * empty view while the primary knows better.
 */
export class IpcHealthSource implements HealthSource {
  /** The primary's view as received, made into views and notified as every store does. */
  private readonly views = new HealthViews();
  private received: (() => void) | undefined;

  constructor(
    /** Sends to the primary (process.send in a cluster worker). */
    private readonly send: (message: WorkerMessage) => void,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Feed every message from the primary here. */
  receive(message: HealthMessage): void {
    if (message.full) {
      for (const id of [...this.views.targetIds()]) this.views.delete(id);
      for (const { pool, address } of this.views.memberRefs()) this.views.setMember(pool, address, undefined);
    }
    for (const [id, health] of message.targets) {
      if (health) this.views.set(id, health);
      else this.views.delete(id);
    }
    for (const [pool, address, override] of message.members) this.views.setMember(pool, address, override ?? undefined);
    this.views.commit();
    if (message.full) {
      this.received?.();
      this.received = undefined;
    }
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.received = undefined;
        reject(new ConfigError('CLI_WORKER_HEALTH_TIMEOUT', `no health view from the primary process within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.received = () => {
        clearTimeout(timer);
        resolve();
      };
      this.send({ type: 'rondo:hello' });
    });
  }

  view(): HealthView {
    return this.views.view();
  }

  subscribe(listener: (change: HealthChange) => void): () => void {
    return this.views.subscribe(listener);
  }

  /** Workers run no checks: verdicts are the primary's business. */
  publish(): void {}

  close(): void {
    this.views.listeners.clear();
  }
}
