/**
 * The audit trail of the write API and the ExternalDNS webhook: one info line per request that
 * asks for a change (who: the token's name; what: action, zone, owner, address; from where: the
 * client address), and counts by who, action and result for `/metrics`
 * (`rondo_membership_changes_total`).
 */
import type { Logger } from '../../lib/logger.js';
import type { MembershipChangeCount } from '../metrics.js';

export type AuditResult = 'applied' | 'refused' | 'unauthorized' | 'conflict' | 'failed';

export interface AuditEntry {
  readonly by: string;
  readonly from: string;
  readonly action: string;
  readonly status: number;
  /** What was asked: zone, owner, type, address, counts... */
  readonly what: Readonly<Record<string, unknown>>;
  readonly code?: string | undefined;
  readonly message?: string | undefined;
}

export function auditResult(status: number): AuditResult {
  if (status < 300) return 'applied';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 409) return 'conflict';
  if (status >= 500) return 'failed';
  return 'refused';
}

export class AuditTrail {
  private readonly log: Logger;
  private readonly counts = new Map<string, { by: string; action: string; result: string; count: number }>();

  constructor(logger: Logger) {
    this.log = logger.child({ component: 'audit' });
  }

  record(entry: AuditEntry): void {
    const result = auditResult(entry.status);
    const key = `${entry.by}\n${entry.action}\n${result}`;
    const c = this.counts.get(key);
    if (c) c.count++;
    else this.counts.set(key, { by: entry.by, action: entry.action, result, count: 1 });
    this.log.info(
      { by: entry.by, from: entry.from, action: entry.action, ...entry.what, status: entry.status, result, ...(entry.code ? { code: entry.code, detail: entry.message } : {}) },
      result === 'applied' ? 'membership change applied' : 'membership change refused',
    );
  }

  changes(): Iterable<MembershipChangeCount> {
    return this.counts.values();
  }
}
