/**
 * How every health source (the in-memory store, the Redis reader, a worker's IPC source) makes
 * its views: one HealthViews holds the decided health and the pool members' overrides, and turns
 * each step's changes into the next immutable view (copying only the parts of a trie the
 * changes fall in, see TrieView) and one notification to the subscribers (HealthListeners).
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
  const top: Top = new Array<Branch | undefined>(FANOUT).fill(undefined);
  for (const [id, health] of entries) {
    const h = hashOf(id);
    const branch = (top[h >>> BITS] ??= emptyBranch());
    (branch[h & MASK] ??= new Map()).set(id, health);
  }
  return new TrieView(version, top, members);
}

const EMPTY_MEMBERS: ReadonlyMap<string, OverrideKind> = new Map();

/**
 * A view is a two-level trie of small maps: 256 branches of 256 leaves, each leaf the targets
 * whose id hashes there (~15 at a million targets). A new view copies the top, the branches its
 * changes fall in and their leaves, and shares the rest with the views before it: a change copies
 * 512 references and a leaf, whatever the number of targets, and a resync's chunk of 100 changes
 * ~50,000 references and 1,500 entries. (A single map with an overlay of recent changes, copied
 * whole every √N changes, held the query thread for 300 ms at each copy at a million targets; 4,096
 * shards of ~250 each still made a million-target resync copy 24,000 entries per chunk.)
 */
const BITS = 8;
const FANOUT = 1 << BITS;
const MASK = FANOUT - 1;
type Leaf = Map<string, TargetHealth>;
type Branch = (Leaf | undefined)[];
type Top = (Branch | undefined)[];

const emptyBranch = (): Branch => new Array<Leaf | undefined>(FANOUT).fill(undefined);

/** 16 bits of FNV-1a over the id's characters: a branch (high byte) and a leaf (low byte). */
function hashOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return ((h >>> 16) ^ h) & 0xffff;
}

/**
 * An immutable view: a frozen trie whose branches and leaves are shared with the views before and
 * after it until a change falls in them. Member overrides (few: set by operators) are a map of
 * their own, copied only when one of them changes.
 */
class TrieView implements HealthView {
  constructor(
    readonly version: number,
    readonly top: Readonly<Top>,
    readonly members: ReadonlyMap<string, OverrideKind>,
  ) {
    Object.freeze(this);
  }

  /** An arrow function, so `view.get` may be passed around detached from the view. */
  readonly get = (targetId: string): TargetHealth | undefined => {
    const h = hashOf(targetId);
    return this.top[h >>> BITS]?.[h & MASK]?.get(targetId);
  };

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
  if (!(previous instanceof TrieView)) return healthView(version, all, members);
  // Most targets changed (a first load): made afresh rather than copied a part at a time.
  if (changed.length * 4 >= all.size) return healthView(version, all, members ?? previous.members);
  const top = previous.top.slice();
  /** Branches and leaves already copied for this view (written in place from then on), by hash. */
  const copiedBranches = new Set<number>();
  const copiedLeaves = new Set<number>();
  for (const id of changed) {
    const h = hashOf(id);
    const b = h >>> BITS;
    let branch = top[b];
    if (branch === undefined || !copiedBranches.has(b)) {
      branch = branch?.slice() ?? emptyBranch();
      top[b] = branch;
      copiedBranches.add(b);
    }
    let leaf = branch[h & MASK];
    if (leaf === undefined || !copiedLeaves.has(h)) {
      leaf = new Map(leaf);
      branch[h & MASK] = leaf;
      copiedLeaves.add(h);
    }
    const health = all.get(id);
    if (health !== undefined) leaf.set(id, health);
    else leaf.delete(id);
  }
  return new TrieView(version, top, members ?? previous.members);
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
