/**
 * The lookup a UDP socket runs before each send. Node's default, dns.lookup, answers an address
 * literal on the next tick: one process.nextTick per datagram. Under load that queue grows with
 * each event-loop turn, and it cost 0.05 µs a query with plain pools and 0.4 µs with skew=correct,
 * whose longer turns let more datagrams queue (CPU profiles of the bench's rondo peers). A response
 * goes back to the address its query came from, always a literal, so it is answered at once. A name
 * (a --listen host given as one, at bind) still goes to dns.lookup.
 */
import dns from 'node:dns';
import net from 'node:net';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

export function literalFirstLookup(hostname: string, options: number | dns.LookupOneOptions, callback: LookupCallback): void {
  const family = net.isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  if (typeof options === 'number') dns.lookup(hostname, options, callback);
  else dns.lookup(hostname, options, callback);
}
