/**
 * `rondo status`: what Redis holds right now — every target with each checker's verdict and its
 * age, the consensus, overrides, and the live nodes — as a JSON-able model and a plain-text table.
 * Reads Redis directly (SCAN + pipelined HGETALL/MGET); not for the query path.
 */
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../lib/clock.js';
import { decodeVerdictField, type OverrideRecord } from './codec.js';
import { decideConsensus, describeQuorum, isFresh, type Quorum } from './consensus.js';
import { listNodes, type NodeInfo } from './heartbeat.js';
import { healthKeys, memberKey, type HealthKeys } from './keys.js';
import { loadOverrides, overrideActive } from './overrides.js';
import { scanKeys } from './redis-connection.js';
import type { TargetState, Verdict } from '../model/health.js';

/** The parts of a zone that status shows (structurally a `Zone`; health does not import zones/). */
export interface StatusZone {
  readonly pools: readonly {
    readonly name: string;
    readonly config: { readonly quorum: Quorum };
    readonly members: readonly { readonly address: string; readonly targetId: string | undefined }[];
  }[];
}

export interface CheckerStatus {
  readonly checker: string;
  readonly state: TargetState;
  readonly reason: string;
  readonly latencyMs: number | undefined;
  readonly load: number | undefined;
  /** Milliseconds since the checker decided it. */
  readonly ageMs: number;
  /** False once past `at + ttlMs`: it no longer counts. */
  readonly fresh: boolean;
  /** Milliseconds until it stops counting (negative once stale). */
  readonly expiresInMs: number;
}

export interface OverrideStatus {
  readonly kind: OverrideRecord['kind'];
  readonly reason: string | undefined;
  readonly by: string | undefined;
  readonly setAt: number;
  /** Milliseconds until it lapses, or undefined for never. */
  readonly expiresInMs: number | undefined;
}

export interface TargetStatus {
  readonly id: string;
  /** Pool members this target decides (from the zones given); empty if no loaded zone uses it. */
  readonly members: readonly { readonly pool: string; readonly address: string }[];
  readonly quorum: string;
  readonly checkers: readonly CheckerStatus[];
  readonly consensus: {
    readonly state: TargetState;
    readonly reason: string;
    readonly ups: number;
    readonly downs: number;
    readonly required: number;
    readonly latencyMs: number | undefined;
    readonly load: number | undefined;
  };
  readonly override: OverrideStatus | undefined;
  /** What answers use: the override if any, else the consensus. */
  readonly effective: TargetState;
}

export interface MemberOverrideStatus extends OverrideStatus {
  readonly pool: string;
  readonly address: string;
}

export interface NodeStatus extends NodeInfo {
  readonly lastSeenMs: number;
  readonly upForMs: number;
}

export interface StatusModel {
  readonly generatedAt: number;
  readonly prefix: string;
  readonly targets: readonly TargetStatus[];
  readonly memberOverrides: readonly MemberOverrideStatus[];
  readonly nodes: readonly NodeStatus[];
}

export interface ReadStatusOptions {
  readonly clock?: Clock | undefined;
}

export async function readStatus(
  redis: Redis,
  prefix: string | HealthKeys,
  zones: readonly StatusZone[],
  options: ReadStatusOptions = {},
): Promise<StatusModel> {
  const keys = typeof prefix === 'string' ? healthKeys(prefix) : prefix;
  const [verdicts, overrides, nodes] = await Promise.all([readVerdicts(redis, keys), loadOverrides(redis, keys), listNodes(redis, keys)]);
  const now = (options.clock ?? systemClock).now();

  const members = new Map<string, { pool: string; address: string }[]>();
  const quorums = new Map<string, Set<Quorum>>();
  for (const zone of zones) {
    for (const pool of zone.pools) {
      for (const member of pool.members) {
        if (member.targetId === undefined) continue;
        const list = members.get(member.targetId) ?? [];
        list.push({ pool: pool.name, address: member.address });
        members.set(member.targetId, list);
        const set = quorums.get(member.targetId) ?? new Set<Quorum>();
        set.add(pool.config.quorum);
        quorums.set(member.targetId, set);
      }
    }
  }

  const targetOverrides = new Map<string, OverrideRecord>();
  const memberOverrides: MemberOverrideStatus[] = [];
  for (const { scope, record } of overrides.values()) {
    if (!overrideActive(record, now)) continue;
    if (scope.kind === 'target') targetOverrides.set(scope.targetId, record);
    else {
      const key = memberKey(scope.pool, scope.address);
      const slash = key.lastIndexOf('/');
      memberOverrides.push({ pool: key.slice(0, slash), address: key.slice(slash + 1), ...overrideStatus(record, now) });
    }
  }

  const ids = new Set<string>([...members.keys(), ...verdicts.keys(), ...targetOverrides.keys()]);
  const targets: TargetStatus[] = [...ids].sort().map((id) => {
    const list = verdicts.get(id) ?? [];
    const quorum = [...(quorums.get(id) ?? new Set<Quorum>(['majority']))];
    const c = decideConsensus(list, quorum, now);
    const record = targetOverrides.get(id);
    const override = record === undefined ? undefined : overrideStatus(record, now);
    return {
      id,
      members: members.get(id) ?? [],
      quorum: describeQuorum(quorum),
      checkers: list
        .map((v) => ({
          checker: v.checker,
          state: v.state,
          reason: v.reason,
          latencyMs: v.latencyMs,
          load: v.load,
          ageMs: now - v.at,
          fresh: isFresh(v, now),
          expiresInMs: v.at + v.ttlMs - now,
        }))
        .sort((a, b) => a.checker.localeCompare(b.checker)),
      consensus: { state: c.state, reason: c.reason, ups: c.ups, downs: c.downs, required: c.required, latencyMs: c.latencyMs, load: c.load },
      override,
      effective: override === undefined ? c.state : override.kind === 'force-up' ? 'up' : 'down',
    };
  });

  return {
    generatedAt: now,
    prefix: keys.prefix,
    targets,
    memberOverrides: memberOverrides.sort((a, b) => `${a.pool}/${a.address}`.localeCompare(`${b.pool}/${b.address}`)),
    nodes: nodes.map((n) => ({ ...n, lastSeenMs: now - n.at, upForMs: now - n.startedAt })),
  };
}

async function readVerdicts(redis: Redis, keys: HealthKeys): Promise<Map<string, Verdict[]>> {
  const found = await scanKeys(redis, keys.verdictPattern);
  const out = new Map<string, Verdict[]>();
  for (let i = 0; i < found.length; i += 500) {
    const batch = found.slice(i, i + 500);
    const pipe = redis.pipeline();
    for (const key of batch) pipe.hgetall(key);
    const results = (await pipe.exec()) ?? [];
    batch.forEach((key, j) => {
      const targetId = keys.targetIdOf(key);
      const [err, fields] = results[j] ?? [null, null];
      if (targetId === undefined || err !== null || fields === null || typeof fields !== 'object') return;
      const list: Verdict[] = [];
      for (const [checker, text] of Object.entries(fields as Record<string, string>)) {
        const v = decodeVerdictField(targetId, checker, text);
        if (v !== undefined) list.push(v);
      }
      if (list.length > 0) out.set(targetId, list);
    });
  }
  return out;
}

function overrideStatus(record: OverrideRecord, now: number): OverrideStatus {
  return {
    kind: record.kind,
    reason: record.reason,
    by: record.by,
    setAt: record.at,
    expiresInMs: record.expiresAt === undefined ? undefined : record.expiresAt - now,
  };
}

// ---- Text rendering ----------------------------------------------------------------------------

/** The status as aligned plain-text tables (targets with their checkers, overrides, nodes). */
export function renderStatusTable(model: StatusModel): string {
  const out: string[] = [];
  out.push(`Targets (${model.targets.length})`);
  if (model.targets.length === 0) out.push('  (none)');
  else {
    const rows: string[][] = [['TARGET', 'STATE', 'OVERRIDE', 'VOTES', 'QUORUM', 'MEMBERS']];
    const detail = new Map<number, string[]>();
    for (const t of model.targets) {
      rows.push([
        t.id,
        t.effective,
        t.override ? `${t.override.kind}${t.override.expiresInMs !== undefined ? ` (${formatDuration(t.override.expiresInMs)} left)` : ''}` : '-',
        `${t.consensus.ups} up, ${t.consensus.downs} down (need ${t.consensus.required})`,
        t.quorum,
        t.members.length === 0 ? '-' : t.members.map((m) => `${m.pool} ${m.address}`).join(', '),
      ]);
      detail.set(
        rows.length - 1,
        alignRows(
          t.checkers.map((c) => [
            `  ${c.checker}`,
            c.fresh ? c.state : `${c.state} (stale)`,
            c.latencyMs === undefined ? '-' : `${c.latencyMs.toFixed(1)}ms`,
            c.load === undefined ? '-' : `load ${c.load}`,
            `${formatDuration(c.ageMs)} ago`,
            c.reason,
          ]),
        ),
      );
    }
    alignRows(rows).forEach((line, i) => {
      out.push(line);
      for (const sub of detail.get(i) ?? []) out.push(sub);
    });
  }
  out.push('');
  out.push(`Member overrides (${model.memberOverrides.length})`);
  if (model.memberOverrides.length === 0) out.push('  (none)');
  else {
    out.push(
      ...alignRows([
        ['POOL', 'ADDRESS', 'OVERRIDE', 'EXPIRES', 'BY', 'REASON'],
        ...model.memberOverrides.map((m) => [
          m.pool,
          m.address,
          m.kind,
          m.expiresInMs === undefined ? 'never' : `in ${formatDuration(m.expiresInMs)}`,
          m.by ?? '-',
          m.reason ?? '-',
        ]),
      ]),
    );
  }
  out.push('');
  out.push(`Nodes (${model.nodes.length})`);
  if (model.nodes.length === 0) out.push('  (none)');
  else {
    out.push(
      ...alignRows([
        ['NODE', 'ROLE', 'HOST', 'PID', 'VERSION', 'UP', 'LAST SEEN'],
        ...model.nodes.map((n) => [n.nodeId, n.role, n.host, String(n.pid), n.version || '-', formatDuration(n.upForMs), `${formatDuration(n.lastSeenMs)} ago`]),
      ]),
    );
  }
  return `${out.join('\n')}\n`;
}

/** `850ms`, `4.2s`, `3m10s`, `2h5m`. Negative values are shown as 0. */
export function formatDuration(ms: number): string {
  const v = Math.max(0, ms);
  if (v < 1000) return `${Math.round(v)}ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(1)}s`;
  if (v < 3_600_000) return `${Math.floor(v / 60_000)}m${Math.floor((v % 60_000) / 1000)}s`;
  return `${Math.floor(v / 3_600_000)}h${Math.floor((v % 3_600_000) / 60_000)}m`;
}

function alignRows(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
