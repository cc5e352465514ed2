/**
 * What to answer when no member (backups included) is live, per the pool's `all-down` key:
 *
 * - `serve-all` (default, fail open): every member as if it were live, so the backup rule still
 *   applies — the non-backup members, or the backups if the pool has only backups.
 * - `serve-backup`: the backup members as if live; a pool without backups behaves as serve-all.
 * - `nodata`: NOERROR with no records.  - `servfail`: SERVFAIL.
 * - `cname` (`all-down=cname:TARGET`): a CNAME to the fallback host.
 *
 * A pool with no members at all answers NODATA unless it says `servfail`.
 */
import type { Pool } from '../model/zone.js';
import type { Candidates } from './liveness.js';

export function allDownCandidates(pool: Pool): Candidates {
  const mode = pool.config.allDown;
  if (mode === 'nodata') return { kind: 'nodata' };
  if (mode === 'servfail') return { kind: 'servfail' };
  if (mode === 'cname') return { kind: 'cname' };
  const primaries: number[] = [];
  const backups: number[] = [];
  pool.members.forEach((member, index) => (member.backup ? backups : primaries).push(index));
  if (mode === 'serve-backup' && backups.length > 0) return { kind: 'members', members: backups, allDown: true };
  const members = primaries.length > 0 ? primaries : backups;
  if (members.length === 0) return { kind: 'nodata' };
  return { kind: 'members', members, allDown: true };
}
