/** Starts a DnsServer on loopback port 0 for a test file and registers its cleanup right away. */
import { afterAll } from 'vitest';
import { silentLogger } from '../../lib/logger.js';
import { DnsServer, type DnsServerOptions, type ListenAddress } from '../../dns/server.js';
import { RoundRobinSelector } from './round-robin-selector.js';
import type { ZoneSet } from '../../dns/zone-set.js';
import type { DnsTarget } from './dig.js';

export interface TestDnsServer {
  readonly server: DnsServer;
  /** The first listen address (UDP and TCP share the port). */
  readonly target: DnsTarget;
  readonly targets: readonly DnsTarget[];
}

export async function startDnsServer(
  zones: ZoneSet,
  options: Partial<DnsServerOptions> & { listen?: readonly ListenAddress[] } = {},
): Promise<TestDnsServer> {
  const server = new DnsServer({ zones: () => zones, selector: new RoundRobinSelector(), logger: silentLogger(), ...options });
  afterAll(() => server.close());
  await server.start(options.listen ?? [{ host: '127.0.0.1', port: 0 }]);
  const targets = server.addresses().map((a) => ({ host: a.host, port: a.port }));
  const first = targets[0];
  if (!first) throw new Error('server bound no address');
  return { server, target: first, targets };
}
