/**
 * Reloads zones when their files change. fs.watch on each zone's directories (the top file and
 * every $INCLUDE) catches edits and editor rename-replace; a cheap periodic stat catches what
 * fs.watch misses (network filesystems, some containers). Events are debounced so a file being
 * written settles first; loading is all or nothing, so a half-written file that fails to parse
 * only keeps the previous zone, and the completed write then loads.
 */
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../lib/logger.js';
import type { ZoneSyntaxError } from '../lib/errors.js';
import type { Zone } from '../model/zone.js';
import { parseZoneFileSync, type LoadOptions } from './load.js';
import { fromPlain } from './compile-files.js';
import { CompactZone, compactBytes } from './compact.js';
import { ZoneCompiler } from './zone-compiler.js';
import { runSliced, type SlicedRun } from '../lib/sliced.js';
import { signature } from './file-signature.js';
import type { ParsedZone } from './parse.js';

export interface ZoneWatcherOptions {
  /** Top zone files (as findZoneFiles returns them). */
  readonly files: readonly string[];
  readonly logger: Logger;
  /**
   * A zone (re)loaded cleanly: serve it from now on. `parse` reads and parses this version's file
   * again on the calling thread (memoised), for callers that need the parse itself.
   */
  readonly onZone: (zone: Zone, file: string, parse?: () => ParsedZone | undefined) => void;
  /** A zone failed to load: keep serving the previous version (if any). */
  readonly onError: (file: string, errors: readonly ZoneSyntaxError[]) => void;
  readonly loadOptions?: LoadOptions;
  /** Quiet time after the last change before reloading; default 100 ms. */
  readonly debounceMs?: number;
  /** Period of the stat fallback; default 2000 ms; 0 turns it off. */
  readonly pollIntervalMs?: number;
  /** Use fs.watch on the zones' directories; default true (false: polling and reloadAll only). */
  readonly useFsWatch?: boolean;
  /** Where zones are compiled; default: a worker thread of this watcher's own (closed with it). */
  readonly compiler?: ZoneCompiler;
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
  zone: CompactZone | undefined;
  timer: NodeJS.Timeout | undefined;
  running: Promise<ReloadOutcome> | undefined;
  pending: boolean;
  /** The pass taking over the previous version's decoded pools (CompactZone.adoptStep), while it runs. */
  adopting?: SlicedRun;
}

/** Pool slots of the previous version looked at between two looks at the clock (lib/sliced.ts bounds the turn). */
const ADOPT_STEP = 256;

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
  /** The zone compiler (worker thread): its stats and 'crash' events are the server's to report. */
  readonly compiler: ZoneCompiler;
  private readonly ownCompiler: boolean;

  constructor(private readonly options: ZoneWatcherOptions) {
    super();
    this.log = options.logger.child({ component: 'zones' });
    this.debounceMs = options.debounceMs ?? 100;
    this.pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.ownCompiler = options.compiler === undefined;
    this.compiler = options.compiler ?? new ZoneCompiler({ logger: options.logger });
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
    for (const z of this.zones.values()) {
      if (z.timer) clearTimeout(z.timer);
      z.adopting?.cancel();
    }
    for (const w of this.dirWatchers.values()) w.close();
    this.dirWatchers.clear();
    if (this.ownCompiler) this.compiler.close();
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
    for (const dep of z.deps) signatures.set(dep, await signature(dep));
    // Reading, hashing, parsing and compiling happen in the zone worker: nothing here stalls answers.
    // A first version comes in shared buffers (compact.ts SHARED_ARRAYS).
    const job = { file: z.file, deps: z.deps, previousHash: z.hash, options: this.options.loadOptions, shared: z.zone === undefined };
    const outcome = await this.compiler.compile(job, signatures);
    if (this.closed) return 'closed';
    if (outcome.status === 'unchanged') {
      z.signatures = signatures;
      this.log.debug({ file: z.file }, 'zone unchanged, reload skipped');
      this.emit('unchanged', z.file);
      return 'unchanged';
    }
    const deps = [...outcome.deps];
    for (const dep of deps) if (!signatures.has(dep)) signatures.set(dep, await signature(dep));
    z.deps = deps;
    z.signatures = signatures;
    z.hash = outcome.hash;
    if (this.closed) return 'closed';
    this.watchDirectories(z);

    const durationMs = Math.round(performance.now() - started);
    if (outcome.status === 'loaded') {
      const zone = new CompactZone(outcome.zone, z.zone);
      const previous = z.zone;
      z.zone = zone;
      if (previous instanceof CompactZone) previous.releasePrevious();
      // The previous version's decoded pools move over in slices after this turn; then it can go.
      z.adopting?.cancel();
      z.adopting = runSliced(() => zone.adoptStep(ADOPT_STEP), {
        onError: (err) => {
          zone.releasePrevious();
          this.log.error({ err, file: z.file }, 'taking over the previous version of the zone failed; its pools are decoded again when asked for');
        },
      });
      const warnings = outcome.warnings.map(fromPlain);
      this.log.info(
        { file: z.file, zone: zone.origin, records: zone.size, pools: zone.poolIndex.count, warnings: warnings.length, durationMs, compileMs: Math.round(outcome.durationMs), compactBytes: compactBytes(outcome.zone) },
        'zone loaded',
      );
      for (const w of warnings) this.log.warn({ file: w.file, line: w.line, column: w.column, code: w.code, detail: w.detail }, 'zone warning');
      // The parse itself stays in the worker; a caller that needs it (the write API's overlay) parses
      // again on demand, once per version, and only for the zones it changes.
      let parsed: ParsedZone | null | undefined;
      const file = z.file;
      const loadOptions = this.options.loadOptions;
      const parse = (): ParsedZone | undefined => {
        if (parsed === undefined) {
          const result = parseZoneFileSync(file, loadOptions);
          parsed = result.ok ? (result.parsed ?? null) : null;
        }
        return parsed ?? undefined;
      };
      this.deliver(() => this.options.onZone(zone, z.file, parse));
      this.emit('zone', zone, z.file);
      return 'loaded';
    }
    const errors = outcome.errors.map(fromPlain);
    const first = errors[0];
    this.log.error(
      { file: z.file, errors: errors.length, first: first?.message, kept: z.zone !== undefined, durationMs },
      z.zone ? 'zone reload failed, previous version kept' : 'zone failed to load',
    );
    this.deliver(() => this.options.onError(z.file, errors));
    this.emit('zone-error', z.file, errors);
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
