/** What `rondo check` runs (its options: check.ts), imported when the command is run. */
import { rootLogger } from '../logging.js';
import { defaultNodeId, Runtime } from '../../server/runtime.js';
import { untilStopped } from '../../server/signals.js';
import { requireRedis } from '../redis-options.js';
import { redisStore } from '../redis-store-option.js';
import { AdminService } from '../../server/admin-service.js';
import { adminConfig, adminRedis } from '../http-options.js';
import { RedisMembershipStore } from '../../health/membership-store.js';
import { MembershipService } from '../../server/membership.js';
import type { CheckOptions } from './check.js';

export async function runCheck(opts: CheckOptions): Promise<void> {
  requireRedis(opts, 'rondo check');
  const admin = adminConfig(opts);
  const logger = rootLogger(opts.logLevel, opts);
  const nodeId = opts.nodeId ?? defaultNodeId();
  const store = redisStore(opts, 'checker', nodeId, logger);
  // Members added through the API are probed too: the overlay comes from Redis (read-only here).
  const membership = new MembershipService({ store: new RedisMembershipStore({ connection: requireRedis(opts, 'rondo check'), prefix: opts.redisPrefix, logger, nodeId }), logger });
  const runtime = new Runtime({ membership, zonePaths: opts.zones, listen: [], checks: true, nodeId, logger, allowIncludeOutside: opts.allowIncludeOutside, store });
  const service = new AdminService(runtime, { admin, redis: adminRedis(opts, store), logger });
  await untilStopped(service, logger, () => [`checking ${runtime.scheduler?.targetCount ?? 0} targets`, service.describe()].filter((s) => s !== '').join('; '));
}
