/**
 * A CommonJS package loaded when first used, not when the process starts. A plain `rondo serve`
 * (no Redis, no `--http`, no DNS checks, no `--geoip`, JSON logs) needs none of ioredis,
 * prom-client, dns2, maxmind or pino-pretty, and importing them all at start-up cost about 0.3 s
 * and 25 MB of RSS (docs/large-zones.md). `require` keeps the callers synchronous; the package is
 * the same instance an `import` of it would give (Node's CommonJS cache).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A getter that loads `specifier` on its first call and returns the same module after. */
export function onFirstUse<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(specifier) as T);
}
