/**
 * Wires the rooms together for `rondo serve` and `rondo check`: zones (watched) feed the zone
 * registry, the selector's pool index and the check scheduler; checks feed the health store;
 * the DNS server reads zones and asks the selector. cli/ is the only place that knows them all.
 */
import { hostname } from 'node:os';
import type { Logger } from '../lib/logger.js';
import type { ZoneSyntaxError } from '../lib/errors.js';
import { ZoneWatcher } from '../zones/watch.js';
import { findZoneFiles } from '../zones/load.js';
import type { Zone } from '../model/zone.js';
import type { SlicedRun } from '../lib/sliced.js';
import { passTargets } from './target-pass.js';
import { zonesQuorumLookup } from './quorum-lookup.js';
import { ZoneRegistry } from '../dns/zone-set.js';
import { DnsServer, type ListenAddress } from '../dns/server.js';
import type { TcpLimits } from './listen.js';
import type { ResponseRateLimiter } from '../dns/rrl.js';
import { PlannedSelector } from '../dns/planned-selector.js';
import { buildPlan } from '../balance/plan.js';
import { CheckScheduler } from '../checks/scheduler.js';
import { MemoryHealthStore } from '../health/memory-store.js';
import type { HealthSource, VerdictSink } from '../model/health.js';
import type { QuorumLookup } from '../health/redis-reader.js';
import { ConfigError } from '../lib/errors.js';
import { AnswerObservation } from './observation.js';
import { SkewDemandLoop } from './skew-demand.js';
import { Signer, type SigningTimes } from '../dns/sign/signer.js';
import type { DnssecKey } from '../dns/sign/keys.js';
import type { GeoLookup } from '../model/site-map.js';
import { geoRequirement } from './site-maps.js';
import type { ParsedZone } from '../zones/parse.js';
import type { LoadResult } from '../zones/load.js';
import { compileWithOverlay } from '../zones/overlay.js';
import { overlayIsEmpty, type ZoneOverlay } from '../model/membership.js';

/**
 * The API's overlay on the zone files (server/membership.ts): read before the server listens,
 * applied each time a zone compiles, and re-applied when it changes.
 */
export interface OverlaySource {
  /** Reads every overlay of these zones; resolves before the checks start and the listeners open. */
  start(runtime: Runtime, origins: readonly string[]): Promise<void>;
  overlay(origin: string): ZoneOverlay | undefined;
  /** A zone appeared, went, or moved: the origins served now. */
  zonesChanged?(origins: readonly string[]): void;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  readonly zonePaths: readonly string[];
  /** Empty: no DNS listener (a dedicated checker). */
  readonly listen: readonly ListenAddress[];
  readonly checks: boolean;
  readonly nodeId?: string;
  readonly logger: Logger;
  readonly allowIncludeOutside?: boolean;
  /** A shared store (Redis); the in-memory one when absent. */
  readonly store?: HealthStoreLike;
  /** UDP response rate limiting (off when absent). */
  readonly rrl?: ResponseRateLimiter;
  /** RFC 7766 TCP limits (DnsServer defaults when absent). */
  readonly tcp?: TcpLimits;
  /** A cluster worker: the listening sockets are the cluster primary's, shared (cli/workers.ts). */
  readonly sharedListeners?: boolean;
  /** Count answers for the caching-skew report (default true when there is a DNS listener). */
  readonly observe?: boolean;
  /** DNSSEC keys by zone (readKeyDir of `--dnssec-keys DIR`): those zones are signed online. */
  readonly dnssecKeys?: ReadonlyMap<string, readonly DnssecKey[]>;
  /** Signature lifetimes (tests); the signer's defaults when absent. */
  readonly dnssecTimes?: Partial<SigningTimes>;
  /** The GeoIP database for `;@map` country and continent rules (`--geoip`). */
  readonly geo?: GeoLookup;
  /**
   * Refuse zones whose maps need a GeoIP database when none is given (CONFIG_GEOIP_REQUIRED).
   * Default: when this runtime answers DNS (a dedicated checker needs no database).
   */
  readonly requireGeo?: boolean;
  /** Dynamic membership (the write API's overlay); none: zone files only. */
  readonly membership?: OverlaySource;
}

/** Zone loads per zone (origin, or the file while no version of it loaded), for metrics. */
export interface ZoneLoadCounts {
  loaded: number;
  failed: number;
}

/** What the runtime needs of a health store: the DNS side reads, checkers write. */
export interface HealthStoreLike extends HealthSource, VerdictSink {
  start?(): Promise<void>;
  /**
   * Each served target's quorums (several when pools sharing it disagree: the store applies the
   * strictest), looked up in the zones after each load (server/quorum-lookup.ts).
   */
  setQuorumLookup?(lookup: QuorumLookup): void;
  stop?(): Promise<void>;
  close?(): void;
}

export function defaultNodeId(): string {
  return `${hostname()}:${process.pid}`;
}

export class Runtime {
  readonly registry = new ZoneRegistry();
  readonly store: HealthStoreLike;
  readonly selector: PlannedSelector;
  readonly server: DnsServer | undefined;
  readonly scheduler: CheckScheduler | undefined;
  /** The UDP response rate limiter, for its stats(); undefined when RRL is off. */
  readonly rrl: ResponseRateLimiter | undefined;
  readonly nodeId: string;
  /** The skew report's answer counters; undefined without a DNS listener or with observe: false. */
  readonly observation: AnswerObservation | undefined;
  /** Rebuilds the demand tables of `skew=correct` pools every few seconds. */
  readonly skewDemand: SkewDemandLoop;
  /** Zone loads and refusals since start, by zone. */
  readonly zoneLoads = new Map<string, ZoneLoadCounts>();
  /** DNSSEC online signing; undefined without --dnssec-keys. */
  readonly signer: Signer | undefined;
  /** Resolves when the last zone load's signing finished (bench, tests). */
  signed: Promise<void> = Promise.resolve();
  private watcher: ZoneWatcher | undefined;
  private readonly zonesByFile = new Map<string, Zone>();
  /** Each zone file's last good parse, to apply the overlay again without reading the file. */
  private readonly parsedByFile = new Map<string, { parse: () => ParsedZone | undefined; fileZone: Zone }>();
  /** Zones whose overlay could not be applied (they are served from the file alone). */
  readonly overlayRefused = new Map<string, string>();
  private readonly log: Logger;
  /** Zones refused for country/continent map rules without --geoip: a start-up error. */
  private readonly geoRefused: string[] = [];

  constructor(private readonly options: RuntimeOptions) {
    this.log = options.logger;
    this.nodeId = options.nodeId ?? defaultNodeId();
    this.rrl = options.rrl?.enabled ? options.rrl : undefined;
    // Verdicts applied once per event-loop turn: a storm of them costs one plan rebuild per pool per turn.
    this.store = options.store ?? new MemoryHealthStore({ logger: options.logger, batchVerdicts: true });
    this.observation = options.listen.length > 0 && options.observe !== false ? new AnswerObservation({}, options.logger) : undefined;
    this.selector = new PlannedSelector({ health: this.store, buildPlan, logger: options.logger, observer: this.observation, geo: options.geo });
    this.skewDemand = new SkewDemandLoop(this.selector);
    this.signer =
      options.dnssecKeys && options.dnssecKeys.size > 0
        ? new Signer({ keys: options.dnssecKeys, logger: options.logger, times: options.dnssecTimes, onKeysChanged: (origin) => this.resign(origin) })
        : undefined;
    if (this.signer) {
      const signer = this.signer;
      this.selector.setPlanListener((state) => signer.onPlan(state));
    }
    this.server =
      options.listen.length > 0
        ? new DnsServer({
            zones: () => this.registry.snapshot(),
            selector: this.selector,
            logger: options.logger,
            rrl: options.rrl,
            signer: this.signer,
            exclusive: options.sharedListeners !== true,
            ...options.tcp,
          })
        : undefined;
    this.scheduler = options.checks
      ? new CheckScheduler({ sink: this.store, nodeId: this.nodeId, logger: options.logger })
      : undefined;
  }

  /** Loads the zones, starts the store, the checks and the listeners. Rejects if nothing can be served. */
  async start(): Promise<void> {
    const files = await findZoneFiles([...this.options.zonePaths]);
    if (files.length === 0) throw new ConfigError('CONFIG_NO_ZONE_FILES', `no zone files found in ${this.options.zonePaths.join(', ')} (a directory is searched for *.zone files)`);
    // The store connects and reads the health held in Redis while the zones compile.
    const storeStarted = this.options.store?.start?.();
    this.watcher = new ZoneWatcher({
      files,
      logger: this.log,
      loadOptions: { allowIncludeOutside: this.options.allowIncludeOutside ?? false },
      onZone: (zone, file, parse) => this.onZone(zone, file, parse),
      onError: (file, errors) => this.onZoneError(file, errors),
    });
    await Promise.all([storeStarted, this.watcher.start()]);
    const needsGeo = this.geoRefused[0];
    if (needsGeo !== undefined) throw new ConfigError('CONFIG_GEOIP_REQUIRED', needsGeo);
    if (this.zonesByFile.size === 0) throw new ConfigError('CONFIG_NO_ZONE_LOADED', 'no zone loaded: every zone file has errors (see the log, or run `rondo zone check`)');
    if (this.options.membership) {
      // The overlay is read (Redis, or the state file) and applied before anything is answered.
      await this.options.membership.start(this, this.zones().map((z) => z.origin));
      for (const z of this.zones()) this.refreshOverlay(z.origin);
    }
    await this.scheduler?.start();
    this.signer?.start();
    await this.server?.start(this.options.listen);
    this.observation?.start();
    if (this.server) this.skewDemand.start();
  }

  /** Zone worker threads that died during a compile since start (each restarted; see ZoneCompiler). */
  zoneWorkerCrashes(): number {
    return this.watcher?.compiler.stats.crashes ?? 0;
  }

  /** The zone compiler (its stats, and its 'crash' events), once started. */
  get zoneCompiler(): ZoneWatcher['compiler'] | undefined {
    return this.watcher?.compiler;
  }

  /** SIGHUP: reload every zone whose file changed. */
  async reload(): Promise<void> {
    await this.watcher?.reloadAll();
  }

  zones(): Zone[] {
    return [...this.zonesByFile.values()];
  }

  async stop(): Promise<void> {
    this.targetPass?.cancel();
    this.observation?.stop();
    this.skewDemand.stop();
    this.signer?.stop();
    this.watcher?.close();
    await this.server?.close();
    await this.scheduler?.stop();
    await this.options.membership?.stop();
    this.selector.close();
    if (this.store.stop) await this.store.stop();
    else this.store.close?.();
  }

  /** The zone file's compiled zone and parse for an origin (without the overlay). */
  fileZone(origin: string): { parsed: ParsedZone; fileZone: Zone } | undefined {
    for (const [file, z] of this.zonesByFile) {
      if (z.origin !== origin) continue;
      const base = this.parsedByFile.get(file);
      const parsed = base?.parse();
      return base && parsed ? { parsed, fileZone: base.fileZone } : undefined;
    }
    return undefined;
  }

  /** The zone compiled with this overlay, without installing it (the write API validates with it). */
  tryOverlay(origin: string, overlay: ZoneOverlay): LoadResult | undefined {
    const base = this.fileZone(origin);
    if (!base) return undefined;
    if (overlayIsEmpty(overlay)) return { ok: true, zone: base.fileZone, warnings: [] };
    return compileWithOverlay(base.parsed, overlay, origin);
  }

  /**
   * Applies the current overlay of a zone again (the API changed it, or another server announced
   * a change): recompiles from the kept parse, installs the result, and probes added members at once.
   */
  refreshOverlay(origin: string, compiled?: Zone): void {
    for (const [file, z] of this.zonesByFile) {
      if (z.origin !== origin) continue;
      const base = this.parsedByFile.get(file);
      if (!base) return;
      // `compiled`: the write API compiled this very overlay to check it (tryOverlay); no second compile.
      const zone = compiled ?? this.withOverlay(base.fileZone, base.parse);
      if (compiled) this.overlayRefused.delete(origin);
      if (zone === z) return;
      this.zonesByFile.set(file, zone);
      const before = new Set(z.targets.map((t) => t.id));
      this.applyPools(new Set(zone.targets.map((t) => t.id).filter((id) => !before.has(id))));
      this.serveZone(zone);
      return;
    }
  }

  /** The zone with its overlay; the file is parsed again (on this thread) only when an overlay exists. */
  private withOverlay(fileZone: Zone, parse: () => ParsedZone | undefined): Zone {
    const overlay = this.options.membership?.overlay(fileZone.origin);
    if (overlayIsEmpty(overlay) || !overlay) {
      this.overlayRefused.delete(fileZone.origin);
      return fileZone;
    }
    const parsed = parse();
    if (!parsed) return fileZone;
    const result = compileWithOverlay(parsed, overlay, fileZone.origin);
    if (result.ok) {
      this.overlayRefused.delete(fileZone.origin);
      return result.zone;
    }
    const first = result.errors[0];
    this.overlayRefused.set(fileZone.origin, first?.message ?? 'refused');
    this.log.error(
      { zone: fileZone.origin, version: overlay.version, errors: result.errors.map((e) => `${e.code} ${e.message}`) },
      'the API overlay does not fit this zone file; serving the file alone until it does',
    );
    return fileZone;
  }

  private onZone(fileZone: Zone, file: string, parse?: () => ParsedZone | undefined): void {
    let zone = fileZone;
    if (parse && this.options.membership) {
      this.parsedByFile.set(file, { parse, fileZone });
      zone = this.withOverlay(fileZone, parse);
    }
    const previous = this.zonesByFile.get(file);
    const requireGeo = this.options.requireGeo ?? this.options.listen.length > 0;
    const geoProblem = this.options.geo || !requireGeo ? undefined : geoRequirement(zone);
    if (geoProblem !== undefined) {
      this.geoRefused.push(geoProblem);
      this.countLoad(previous?.origin ?? zone.origin, 'failed');
      this.log.error({ zone: zone.origin, file, kept: previous !== undefined, reason: geoProblem }, 'zone refused: a map needs --geoip');
      return;
    }
    for (const [otherFile, other] of this.zonesByFile) {
      if (otherFile !== file && other.origin === zone.origin) {
        this.log.error({ zone: zone.origin, file, other: otherFile }, 'two zone files define the same zone; the later one is refused');
        return;
      }
    }
    this.zonesByFile.set(file, zone);
    this.countLoad(zone.origin, 'loaded');
    if (previous && previous.origin !== zone.origin) this.registry.remove(previous.origin);
    this.applyPools();
    this.serveZone(zone);
    if (!previous || previous.origin !== zone.origin) this.options.membership?.zonesChanged?.(this.zones().map((z) => z.origin));
    this.log.info({ zone: zone.origin, file, records: zone.size, pools: zone.poolIndex?.count ?? zone.pools.length, reload: previous !== undefined }, 'zone loaded');
  }

  /** Puts a loaded zone in the registry: signed (apex keys added, signatures made) when it has keys. */
  private serveZone(zone: Zone): void {
    const signer = this.signer;
    if (!signer || !this.server) {
      this.registry.replace(zone);
      return;
    }
    const served = signer.prepare(zone);
    this.registry.replace(served);
    this.signed = signer.presign(served, (pool) => this.selector.stateOf(pool)).catch((err: unknown) => this.log.error({ err, zone: zone.origin }, 'signing the zone failed'));
  }

  /** Key states changed: the zone is prepared (DNSKEY RRset) and signed again. */
  private resign(origin: string): void {
    const zone = this.zones().find((z) => z.origin === origin);
    if (zone) this.serveZone(zone);
  }

  private onZoneError(file: string, errors: readonly ZoneSyntaxError[]): void {
    const kept = this.zonesByFile.has(file);
    this.countLoad(this.zonesByFile.get(file)?.origin ?? file, 'failed');
    this.log.error({ file, errors: errors.map((e) => e.message), kept }, kept ? 'zone refused, previous version still served' : 'zone refused');
  }

  private countLoad(zone: string, result: keyof ZoneLoadCounts): void {
    let counts = this.zoneLoads.get(zone);
    if (!counts) {
      counts = { loaded: 0, failed: 0 };
      this.zoneLoads.set(zone, counts);
    }
    counts[result]++;
  }

  /** Tells the selector, the store and the scheduler what the served zones contain now. */
  private applyPools(probeNow?: ReadonlySet<string>): void {
    const zones = this.zones();
    this.selector.setZones(zones);
    // Compactly compiled zones register their pools with the observer on first answer.
    this.observation?.setPools(
      zones.flatMap((z) => (z.poolIndex ? [] : z.pools)),
      (key) => zones.some((z) => z.poolIndex?.has(key) === true),
    );
    // A Redis store looks each target's quorums up in the zones when it needs them.
    this.store.setQuorumLookup?.(zonesQuorumLookup(zones));
    // Every target to the checks (what to probe), in slices for a large zone; --no-checks: nobody needs the list.
    this.targetPass?.cancel();
    this.targetPass = this.scheduler ? passTargets(zones, this.scheduler.startSync(probeNow), (err) => this.log.error({ err }, 'handing the targets to the checks failed')) : undefined;
  }

  /** The pass handing a large zone's targets to the checks, while one runs. */
  private targetPass: SlicedRun | undefined;
}
