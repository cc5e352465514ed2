import type { CheckKind } from '../model/zone.js';
import { dnsProbe } from './dns.js';
import { httpProbe, httpsProbe } from './http.js';
import { icmpProbe } from './icmp.js';
import { tcpProbe } from './tcp.js';
import type { Probe } from './types.js';

/** Which probe runs a check kind. The scheduler takes one of these so tests can swap probes. */
export type ProbeRegistry = (kind: CheckKind) => Probe;

const PROBES: Readonly<Record<CheckKind, Probe>> = {
  tcp: tcpProbe,
  http: httpProbe,
  https: httpsProbe,
  icmp: icmpProbe,
  dns: dnsProbe,
};

export function probeFor(kind: CheckKind): Probe {
  return PROBES[kind];
}
