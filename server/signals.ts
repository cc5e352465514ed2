/**
 * Runs a runtime until SIGTERM/SIGINT (stop cleanly, exit 0); SIGHUP reloads every zone.
 */
import type { Logger } from '../lib/logger.js';

export interface Stoppable {
  start(): Promise<void>;
  stop(): Promise<void>;
  reload?(): Promise<void>;
}

export async function untilStopped(runtime: Stoppable, logger: Logger, ready: () => string): Promise<void> {
  const log = logger.child({ component: 'cli' });
  let stopping: Promise<void> | undefined;
  let release: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (release = resolve));
  const stop = (signal: string): void => {
    if (stopping) return;
    log.info({ signal }, 'stopping');
    stopping = runtime.stop().then(release, (err: unknown) => {
      log.error({ err }, 'error while stopping');
      release();
    });
  };
  const hup = (): void => {
    log.info({ signal: 'SIGHUP' }, 'reloading zones');
    runtime.reload?.().catch((err: unknown) => log.error({ err }, 'reload failed'));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', hup);
  try {
    await runtime.start();
  } catch (err) {
    await runtime.stop().catch(() => undefined);
    throw err;
  }
  log.info(ready());
  await done;
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  process.off('SIGHUP', hup);
}
