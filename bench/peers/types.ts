/** What bench/run.ts needs of a server under test: how to tell it is installed and how to start it. */
import type { Started } from '../lib/proc.js';

export const ZONE = 'bench.example.test.';
export const QNAME = `www.${ZONE}`;
/** The pool's members: loopback addresses with an HTTP backend each (bench/lib/backends.ts). */
export const MEMBERS = ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14'] as const;
export const WEIGHTS = [1, 2, 3, 4] as const;
export const TTL = 20;

export interface PeerContext {
  /** A private, empty directory for its configuration and state. */
  readonly dir: string;
  /** Its DNS port on 127.0.0.1 (UDP and TCP). */
  readonly port: number;
  /** The CPU it is pinned to. */
  readonly cpu: number;
  /** The HTTP backends' port (on every member address), for health checks. */
  readonly backendPort: number;
  /** The repository root (dist/ holds the built project). */
  readonly root: string;
}

export interface Peer {
  /** Short name for --only and the table. */
  readonly name: string;
  /** What it serves: e.g. `static 4 A`, `weighted pool, http checks`. */
  readonly serves: string;
  /** Queries carry EDNS with DO=1 (a signed server's DNSSEC answers). */
  readonly dnssecOk?: boolean;
  /** Why it cannot run here (not installed, with the apt line), or undefined. */
  missing(): string | undefined;
  version(): string;
  start(ctx: PeerContext): Promise<Started>;
}
