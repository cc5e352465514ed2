/**
 * Reloads zones when their files change. fs.watch on each zone's directories (the top file and
 * every $INCLUDE) catches edits and editor rename-replace; a cheap periodic stat catches what
 * fs.watch misses (network filesystems, some containers). Events are debounced so a file being
 * written settles first; loading is all or nothing, so a half-written file that fails to parse
 * only keeps the previous zone, and the completed write then loads.
 */
import { EventEmitter } from 'node:events';
import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { Logger } from '../lib/logger.js';
import type { ZoneSyntaxError } from '../lib/errors.js';
import type { Zone } from '../model/zone.js';
import { includeReader, parseZoneText, type LoadOptions, type LoadResult } from './load.js';
import { zoneError } from './diagnostics.js';
import type { ParsedZone } from './parse.js';

export interface ZoneWatcherOptions {
  /** Top zone files (as findZoneFiles returns them). */
  readonly files: readonly string[];
  readonly logger: Logger;
  /** A zone (re)loaded cleanly: serve it from now on. */
  readonly onZone: (zone: Zone, file: string, parsed?: ParsedZone) => void;
  /** A zone failed to load: keep serving the previous version (if any). */
  readonly onError: (file: string, errors: readonly ZoneSyntaxError[]) => void;
  readonly loadOptions?: LoadOptions;
  /** Quiet time after the last change before reloading; default 100 ms. */
  readonly debounceMs?: number;
  /** Period of the stat fallback; default 2000 ms; 0 turns it off. */
  readonly pollIntervalMs?: number;
  /** Use fs.watch on the zones' directories; default true (false: polling and reloadAll only). */
  readonly useFsWatch?: boolean;
}

export type ReloadOutcome = 'loaded' | 'failed' | 'unchanged' | 'closed';

interface WatchedZone {
  readonly file: string;
  /** Absolute paths: the top file first, then its $INCLUDEs (also ones that could not be read). */
  deps: string[];
  /** Stat signature of each dependency when it was last read. */
  signatures: Map<string, string>;
  /** Hash of the content last loaded (or refused). */
  hash: string | undefined;
  zone: Zone | undefined;
  timer: NodeJS.Timeout | undefined;
  running: Promise<ReloadOutcome> | undefined;
  pending: boolean;
}

const MISSING = 'missing';

export class ZoneWatcher extends EventEmitter {
  private readonly log: Logger;
  private readonly zones = new Map<string, WatchedZone>();
  private readonly dirWatchers = new Map<string, FSWatcher>();
  private readonly debounceMs: number;
  private readonly pollIntervalMs: number;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private closed = false;
  private started = false;

  constructor(private readonly options: ZoneWatcherOptions) {
    super();
    this.log = options.logger.child({ component: 'zones' });
    this.debounceMs = options.debounceMs ?? 100;
    this.pollIntervalMs = options.pollIntervalMs ?? 2000;
    for (const file of options.files) {
      this.zones.set(file, {
        file,
        deps: [path.resolve(file)],
        signatures: new Map(),
        hash: undefined,
        zone: undefined,
        timer: undefined,
        running: undefined,
        pending: false,
      });
    }
  }

  /** Loads every zone once (calling onZone or onError for each), then starts watching. */
  async start(): Promise<void> {
    await this.reloadAll();
    if (this.closed) return;
    this.started = true;
    for (const z of this.zones.values()) this.watchDirectories(z);
    if (this.pollIntervalMs > 0) {
      this.pollTimer = setInterval(() => void this.poll(), this.pollIntervalMs);
      this.pollTimer.unref();
    }
  }

  /** The zone currently loaded from `file` (the last good version), if any. */
  current(file: string): Zone | undefined {
    return this.zones.get(file)?.zone;
  }

  /** Reloads every zone whose content changed (SIGHUP). */
  async reloadAll(): Promise<ReloadOutcome[]> {
    return Promise.all([...this.zones.values()].map((z) => this.run(z)));
  }

  /** Reloads one zone now if its content changed. */
  async reload(file: string): Promise<ReloadOutcome> {
    const z = this.zones.get(file);
    if (!z) throw new Error(`not a watched zone file: ${file}`);
    return this.run(z);
  }

  close(): void {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const z of this.zones.values()) if (z.timer) clearTimeout(z.timer);
    for (const w of this.dirWatchers.values()) w.close();
    this.dirWatchers.clear();
  }

  // ---- change detection

  private watchDirectories(z: WatchedZone): void {
    if (this.options.useFsWatch === false || !this.started) return;
    for (const dep of z.deps) {
      const dir = path.dirname(dep);
      if (this.dirWatchers.has(dir) || this.closed) continue;
      try {
        const w = watch(dir, { persistent: false }, (_event, filename) => this.changed(dir, filename));
        w.on('error', (err) => this.log.warn({ err, dir }, 'directory watch failed; relying on the periodic check'));
        w.unref();
        this.dirWatchers.set(dir, w);
      } catch (err) {
        this.log.warn({ err, dir }, 'cannot watch directory; relying on the periodic check');
      }
    }
  }

  private changed(dir: string, filename: string | Buffer | null): void {
    const changedPath = filename === null ? undefined : path.join(dir, filename.toString());
    for (const z of this.zones.values()) {
      if (z.deps.some((d) => (changedPath === undefined ? path.dirname(d) === dir : d === changedPath))) this.schedule(z);
    }
  }

  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      for (const z of this.zones.values()) {
        for (const dep of z.deps) {
          if ((await signature(dep)) !== z.signatures.get(dep)) {
            this.schedule(z);
            break;
          }
        }
      }
    } finally {
      this.polling = false;
    }
  }

  private schedule(z: WatchedZone): void {
    if (this.closed) return;
    if (z.timer) clearTimeout(z.timer);
    z.timer = setTimeout(() => {
      z.timer = undefined;
      void this.run(z);
    }, this.debounceMs);
    z.timer.unref();
  }

  /** One reload at a time per zone; a change during a reload triggers one more afterwards. */
  private run(z: WatchedZone): Promise<ReloadOutcome> {
    if (z.running) {
      z.pending = true;
      return z.running;
    }
    const running = this.load(z)
      .catch((err: unknown) => {
        this.log.error({ err, file: z.file }, 'zone reload crashed, keeping the previous version');
        return 'failed' as const;
      })
      .finally(() => {
        z.running = undefined;
        if (z.pending) {
          z.pending = false;
          this.schedule(z);
        }
      });
    z.running = running;
    return running;
  }

  // ---- loading

  private async load(z: WatchedZone): Promise<ReloadOutcome> {
    if (this.closed) return 'closed';
    const started = performance.now();
    // Stat before reading: a write landing in between changes the signature and is seen again.
    const signatures = new Map<string, string>();
    const texts = new Map<string, string>();
    for (const dep of z.deps) {
      signatures.set(dep, await signature(dep));
      try {
        texts.set(dep, await readFile(dep, 'utf8'));
      } catch {
        // Missing: the hash records it; the parser reports it.
      }
    }
    const top = path.resolve(z.file);
    if (hashOf(z.deps, texts) === z.hash) {
      z.signatures = signatures;
      this.log.debug({ file: z.file }, 'zone unchanged, reload skipped');
      this.emit('unchanged', z.file);
      return 'unchanged';
    }

    const topText = texts.get(top);
    let result: LoadResult;
    let deps = [top];
    if (topText === undefined) {
      result = { ok: false, errors: [zoneError('ZONE_UNREADABLE', 'cannot read zone file', { file: z.file, line: 1, column: 1 })] };
    } else {
      let rootReal: string;
      try {
        rootReal = path.dirname(await realpath(top));
      } catch {
        rootReal = path.dirname(top);
      }
      const read = (f: string) => {
        const cached = texts.get(f);
        if (cached !== undefined) return cached;
        const text = readFileSync(f, 'utf8');
        texts.set(f, text);
        return text;
      };
      const allowOutside = this.options.loadOptions?.allowIncludeOutside === true;
      result = parseZoneText(topText, z.file, { ...this.options.loadOptions, readInclude: includeReader(rootReal, allowOutside, read) });
      deps = (result.files ?? [z.file]).map((f) => path.resolve(f));
    }
    for (const dep of deps) if (!signatures.has(dep)) signatures.set(dep, await signature(dep));
    z.deps = deps;
    z.signatures = signatures;
    z.hash = hashOf(deps, texts);
    if (this.closed) return 'closed';
    this.watchDirectories(z);

    const durationMs = Math.round(performance.now() - started);
    if (result.ok) {
      const { zone } = result;
      z.zone = zone;
      this.log.info({ file: z.file, zone: zone.origin, records: zone.size, pools: zone.pools.length, warnings: result.warnings.length, durationMs }, 'zone loaded');
      for (const w of result.warnings) this.log.warn({ file: w.file, line: w.line, column: w.column, code: w.code, detail: w.detail }, 'zone warning');
      this.deliver(() => this.options.onZone(zone, z.file, result.parsed));
      this.emit('zone', zone, z.file);
      return 'loaded';
    }
    const first = result.errors[0];
    this.log.error(
      { file: z.file, errors: result.errors.length, first: first?.message, kept: z.zone !== undefined, durationMs },
      z.zone ? 'zone reload failed, previous version kept' : 'zone failed to load',
    );
    this.deliver(() => this.options.onError(z.file, result.errors));
    this.emit('zone-error', z.file, result.errors);
    return 'failed';
  }

  private deliver(callback: () => void): void {
    try {
      callback();
    } catch (err) {
      this.log.error({ err }, 'zone callback threw');
    }
  }
}

async function signature(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return MISSING;
  }
}

function hashOf(deps: readonly string[], texts: ReadonlyMap<string, string>): string {
  const h = createHash('sha256');
  for (const dep of deps) {
    h.update(dep);
    h.update('\0');
    const text = texts.get(dep);
    h.update(text === undefined ? '\u0001missing' : text);
    h.update('\0');
  }
  return h.digest('hex');
}
