/**
 * The overlay's local state file (`rondo serve --state-file`): the embedded store when there is no
 * Redis, and with Redis a copy kept so that a server restarted while Redis is away still serves
 * what the API added (and can announce it again when an emptied Redis comes back).
 *
 * Written atomically: the whole document goes to `FILE.tmp-<pid>`, is fsynced, renamed over FILE,
 * and the directory is fsynced, so a crash leaves the old file or the new one, never a torn one.
 * Writes are serialised; each one finishes (on disk) before write() resolves.
 */
import { open, readFile, rename, mkdir, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from '../lib/logger.js';
import { StateStoreError } from '../lib/errors.js';
import type { MembershipStore, ZoneOverlay } from '../model/membership.js';
import { overlayFrom } from './membership-codec.js';

/** The default `--state-file`: in the working directory, created on the first change. */
export const DEFAULT_STATE_FILE = 'rondo-state.json';
const FORMAT = 1;

export interface FileMembershipStoreOptions {
  readonly file: string;
  readonly logger: Logger;
}

export class FileMembershipStore implements MembershipStore {
  readonly kind = 'file' as const;
  private readonly log: Logger;
  private readonly overlays = new Map<string, ZoneOverlay>();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly options: FileMembershipStoreOptions) {
    this.log = options.logger.child({ component: 'membership', store: 'file' });
  }

  get file(): string {
    return this.options.file;
  }

  /** Reads the file (a missing file is an empty state); a corrupt one is an error, so nothing is lost by overwriting it. */
  async start(zones: readonly string[]): Promise<Map<string, ZoneOverlay>> {
    let text: string | undefined;
    try {
      text = await readFile(this.options.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new StateStoreError('HEALTH_STATE_FILE_UNREADABLE', `cannot read the state file ${this.options.file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
      }
    }
    if (text !== undefined) {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (err) {
        throw new StateStoreError('HEALTH_STATE_FILE_CORRUPT', `the state file ${this.options.file} is not JSON: move it away or fix it (${(err as Error).message})`, { cause: err });
      }
      const list = typeof raw === 'object' && raw !== null && Array.isArray((raw as { zones?: unknown }).zones) ? ((raw as { zones: unknown[] }).zones) : undefined;
      if (!list) throw new StateStoreError('HEALTH_STATE_FILE_CORRUPT', `the state file ${this.options.file} has no "zones" list: move it away or fix it`);
      for (const item of list) {
        const overlay = overlayFrom(item);
        if (overlay) this.overlays.set(overlay.zone, overlay);
        else this.log.warn({ file: this.options.file }, 'state file entry skipped: not an overlay this version understands');
      }
      this.log.info({ file: this.options.file, zones: this.overlays.size }, 'membership state read');
    }
    const out = new Map<string, ZoneOverlay>();
    for (const zone of zones) {
      const o = this.overlays.get(zone);
      if (o) out.set(zone, o);
    }
    return out;
  }

  read(zone: string): Promise<ZoneOverlay | undefined> {
    return Promise.resolve(this.overlays.get(zone));
  }

  /** Every overlay held, whatever zone (for the Redis store's re-announcement). */
  all(): ZoneOverlay[] {
    return [...this.overlays.values()];
  }

  async write(next: ZoneOverlay, expected: number): Promise<boolean> {
    const current = this.overlays.get(next.zone)?.version ?? 0;
    if (current !== expected) return false;
    this.overlays.set(next.zone, next);
    await this.persist();
    return true;
  }

  /** Keeps a copy (the Redis store's cache): stored when newer than what the file holds. */
  async remember(overlay: ZoneOverlay): Promise<void> {
    const current = this.overlays.get(overlay.zone)?.version ?? -1;
    if (overlay.version <= current) return;
    this.overlays.set(overlay.zone, overlay);
    await this.persist();
  }

  subscribe(): () => void {
    return () => {};
  }

  async stop(): Promise<void> {
    await this.chain;
  }

  private persist(): Promise<void> {
    const run = this.chain.then(() => this.writeNow());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async writeNow(): Promise<void> {
    const file = this.options.file;
    const dir = path.dirname(path.resolve(file));
    const tmp = `${file}.tmp-${process.pid}`;
    const body = `${JSON.stringify({ format: FORMAT, zones: [...this.overlays.values()] }, null, 1)}\n`;
    try {
      await mkdir(dir, { recursive: true });
      const handle = await open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(body, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, file);
      const dirHandle = await open(dir, 'r');
      try {
        await dirHandle.sync();
      } catch {
        // Some filesystems cannot fsync a directory; the rename is still atomic.
      } finally {
        await dirHandle.close();
      }
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw new StateStoreError('HEALTH_STATE_FILE_WRITE_FAILED', `cannot write the state file ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
    }
  }
}
