/**
 * How every health source (the in-memory store, the Redis reader, a worker's IPC source) makes
 * its views: one HealthViews holds the decided health and the pool members' overrides, and turns
 * each step's changes into the next immutable view (O(√N) per change, see LayeredView) and one
 * notification to the subscribers (HealthListeners).
 */
import type { Logger } from '../lib/logger.js';
import type { HealthChange, HealthView, OverrideKind, TargetHealth } from '../model/health.js';
import { memberKey } from './keys.js';

type MemberRef = { readonly pool: string; readonly address: string };

/** An immutable HealthView over a private copy of `entries`. */
export function healthView(
  version: number,
  entries: ReadonlyMap<string, TargetHealth>,
  members: ReadonlyMap<string, OverrideKind> = EMPTY_MEMBERS,
): HealthView {
  return new LayeredView(version, new Map(entries), new Map(), members);
}

const EMPTY_MEMBERS: ReadonlyMap<string, OverrideKind> = new Map();

/**
 * An immutable view made of a frozen base and a small overlay of the targets changed since the
 * base was taken. The next view copies only the overlay, and takes a fresh base once the overlay
 * outgrows about √N entries, so a stream of single-target changes among N targets costs O(√N)
 * per change instead of copying all N each time. Member overrides (few: set by operators) are a
 * map of their own, copied only when one of them changes.
 */
class LayeredView implements HealthView {
  constructor(
    readonly version: number,
    readonly base: ReadonlyMap<string, TargetHealth>,
    readonly overlay: ReadonlyMap<string, TargetHealth>,
    readonly members: ReadonlyMap<string, OverrideKind>,
  ) {
    Object.freeze(this);
  }

  /** An arrow function, so `view.get` may be passed around detached from the view. */
  readonly get = (targetId: string): TargetHealth | undefined => this.overlay.get(targetId) ?? this.base.get(targetId);

  readonly member = (pool: string, address: string): OverrideKind | undefined =>
    this.members.size === 0 ? undefined : this.members.get(memberKey(pool, address));
}

/**
 * The view after `changed` targets took the values they now have in `all` (the store's current
 * decisions); a target missing from `all` is missing from the view. `members`, when given, are
 * the member overrides now (a new map: the view keeps it).
 */
export function nextHealthView(
  previous: HealthView,
  changed: readonly string[],
  all: ReadonlyMap<string, TargetHealth>,
  members?: ReadonlyMap<string, OverrideKind>,
): HealthView {
  const version = previous.version + 1;
  if (!(previous instanceof LayeredView)) return healthView(version, all, members);
  const nextMembers = members ?? previous.members;
  const limit = Math.max(32, Math.ceil(Math.sqrt(all.size)));
  if (previous.overlay.size + changed.length > limit) return healthView(version, all, nextMembers);
  const overlay = new Map(previous.overlay);
  let removed = false;
  for (const id of changed) {
    const health = all.get(id);
    if (health !== undefined) overlay.set(id, health);
    else if (previous.base.has(id)) removed = true;
    else overlay.delete(id);
  }
  // A target that left the view cannot be masked by the overlay: take a fresh base.
  if (removed) return healthView(version, all, nextMembers);
  return new LayeredView(version, previous.base, overlay, nextMembers);
}

/** Subscribers of one health source; a failing listener is logged and the others still hear. */
export class HealthListeners {
  private readonly listeners = new Set<(change: HealthChange) => void>();

  constructor(private readonly log?: Logger) {}

  subscribe(listener: (change: HealthChange) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  notify(change: HealthChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.log?.error({ err }, 'health subscriber failed');
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}

/**
 * The decided health of a source and its current view. Change `set`/`delete`/`setMember`, then
 * `commit` the step: one new view, one notification, only if anything changed.
 */
export class HealthViews {
  private readonly decided = new Map<string, TargetHealth>();
  private readonly members = new Map<string, { readonly ref: MemberRef; readonly kind: OverrideKind }>();
  private current: HealthView = healthView(0, new Map());
  private readonly changed = new Set<string>();
  private readonly changedMembers = new Map<string, MemberRef>();
  readonly listeners: HealthListeners;

  constructor(log?: Logger) {
    this.listeners = new HealthListeners(log);
  }

  view(): HealthView {
    return this.current;
  }

  subscribe(listener: (change: HealthChange) => void): () => void {
    return this.listeners.subscribe(listener);
  }

  get(targetId: string): TargetHealth | undefined {
    return this.decided.get(targetId);
  }

  has(targetId: string): boolean {
    return this.decided.has(targetId);
  }

  get size(): number {
    return this.decided.size;
  }

  targetIds(): IterableIterator<string> {
    return this.decided.keys();
  }

  memberRefs(): MemberRef[] {
    return [...this.members.values()].map((m) => m.ref);
  }

  set(targetId: string, health: TargetHealth): void {
    this.decided.set(targetId, health);
    this.changed.add(targetId);
  }

  delete(targetId: string): void {
    if (this.decided.delete(targetId)) this.changed.add(targetId);
  }

  /** Sets or clears a member's override; false when it already was so. */
  setMember(pool: string, address: string, kind: OverrideKind | undefined): boolean {
    const key = memberKey(pool, address);
    if (this.members.get(key)?.kind === kind) return false;
    // Named as the key names it (pool lowercase and absolute, address lowercase).
    const slash = key.lastIndexOf('/');
    const ref = { pool: key.slice(0, slash), address: key.slice(slash + 1) };
    if (kind === undefined) this.members.delete(key);
    else this.members.set(key, { ref, kind });
    this.changedMembers.set(key, ref);
    return true;
  }

  /** Makes the next view from the changes since the last commit and tells the subscribers. */
  commit(): HealthChange | undefined {
    if (this.changed.size === 0 && this.changedMembers.size === 0) return undefined;
    const changed = Object.freeze([...this.changed]);
    const changedMembers = [...this.changedMembers.values()];
    this.changed.clear();
    this.changedMembers.clear();
    const members = changedMembers.length === 0 ? undefined : new Map([...this.members].map(([key, m]) => [key, m.kind] as const));
    this.current = nextHealthView(this.current, changed, this.decided, members);
    const change: HealthChange = Object.freeze({
      view: this.current,
      changed,
      ...(changedMembers.length > 0 ? { changedMembers: Object.freeze(changedMembers) } : {}),
    });
    this.listeners.notify(change);
    return change;
  }
}
