/**
 * `rondo demo` without the terminal: three local backends, a zone for them in a temp directory,
 * the real Runtime (checks, health store, selector, DNS server) serving it, and a control
 * endpoint. Backend changes and the health transitions they cause are reported as human lines
 * through `print`; pino logs go wherever the caller's logger writes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../lib/logger.js';
import type { HealthChange, TargetState } from '../../model/health.js';
import type { Pool } from '../../model/zone.js';
import type { ListenAddress } from '../options.js';
import { formatListen } from '../options.js';
import { Runtime } from '../../server/runtime.js';
import { describeAnswers } from './answers.js';
import { startDemoBackends, type DemoBackend } from '../../server/demo-backend.js';
import { startControlServer, type BackendAction, type ControlServer } from './control.js';
import { DEMO_CHECK, DEMO_ORIGIN, DEMO_POOLS, demoZoneText } from './zone.js';

export interface DemoOptions {
  /** Where DNS listens (port 0 picks one). */
  readonly listen: ListenAddress;
  /** Control endpoint port on 127.0.0.1 (0 picks one). */
  readonly controlPort: number;
  readonly logger: Logger;
  /** One human line (may contain newlines). */
  readonly print: (line: string) => void;
}

const INDENT = '          ';

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

export class Demo {
  private backends: DemoBackend[] = [];
  private runtime: Runtime | undefined;
  private control: ControlServer | undefined;
  private dir: string | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Last state reported per backend number. */
  private readonly reported = new Map<number, TargetState>();
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: DemoOptions) {}

  /** Starts everything; on failure stops what was started and rejects. */
  async start(): Promise<void> {
    try {
      this.backends = await startDemoBackends();
      this.dir = await mkdtemp(path.join(os.tmpdir(), 'rondo-demo-'));
      await writeFile(this.zoneFile, demoZoneText(this.backends));
      const runtime = new Runtime({ zonePaths: [this.dir], listen: [this.options.listen], checks: true, nodeId: 'demo', logger: this.options.logger });
      this.runtime = runtime;
      // Subscribed after the selector (made in the Runtime constructor), so plans are fresh here.
      this.unsubscribe = runtime.store.subscribe((change) => this.onHealth(change));
      await runtime.start();
      this.control = await startControlServer(
        { setBackend: (n, action) => this.setBackend(n, action), status: () => this.status() },
        '127.0.0.1',
        this.options.controlPort,
      );
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  get zoneFile(): string {
    return path.join(this.dir ?? os.tmpdir(), 'demo.test.zone');
  }

  /** The DNS address actually bound. */
  get dns(): ListenAddress {
    const bound = this.runtime?.server?.addresses()[0];
    return bound ? { host: bound.host, port: bound.port } : this.options.listen;
  }

  get controlUrl(): string {
    return this.control?.url ?? '';
  }

  get backendList(): readonly DemoBackend[] {
    return this.backends;
  }

  /** The text printed once everything runs. */
  intro(interactive: boolean): string {
    const { host, port } = this.dns;
    const at = `@${host} -p ${port}`;
    const first = this.backends[0];
    const second = this.backends[1];
    const { intervalMs, fall, rise } = DEMO_CHECK;
    const lines = [
      'Rondo demo: DNS load balancing with health checks, all on this machine.',
      '',
      'Three web backends (each answers / with its name, /healthz with 200):',
      ...this.backends.map((b) => `  backend ${b.number}  ${b.recordAddress.padEnd(11)}  http://${b.address}:${b.port}/`),
      '',
      `Rondo serves ${DEMO_ORIGIN} on ${formatListen(this.dns)}; zone file: ${this.zoneFile}`,
      `It checks GET /healthz every ${intervalMs / 1000} s: ${fall} failures take a backend out, ${rise} successes bring it back.`,
      ...DEMO_POOLS.map((p) => `  ${`${p.name}.demo.test`.padEnd(14)} ${p.summary}`),
      '',
      'Try:',
      `  dig ${at} www.demo.test +short`,
      `  for i in 1 2 3 4 5 6; do dig ${at} api.demo.test +short; done`,
      `  dig ${at} app.demo.test +short`,
      `  dig ${at} geo.demo.test +short +subnet=198.51.100.0/24     (site east; without +subnet: west)`,
      ...(first ? [`  curl http://${first.address}:${first.port}/`] : []),
      '',
      'Take a backend down and up again:',
      ...(interactive ? ['  press 1, 2 or 3 to stop/start that backend, s for status, q to quit'] : []),
      `  curl -X POST ${this.controlUrl}/backend/${second?.number ?? 2}/down     (.../up brings it back; GET ${this.controlUrl}/ for status)`,
      ...(interactive ? [] : ['  Ctrl-C quits']),
      '',
      'Answering now:',
      ...this.answerLines().map((l) => `  ${l}`),
    ];
    return lines.join('\n');
  }

  /** Stops, starts or toggles backend n and says what happens next. */
  async setBackend(n: number, action: BackendAction): Promise<{ backend: number; serving: boolean } | undefined> {
    const backend = this.backends.find((b) => b.number === n);
    if (!backend || this.stopping) return undefined;
    const up = action === 'toggle' ? !backend.serving : action === 'up';
    if (up === backend.serving) return { backend: n, serving: up };
    const { intervalMs, fall, rise } = DEMO_CHECK;
    if (up) {
      await backend.start();
      this.say(`backend ${n} started again; back in the answers after ${rise} good checks (about ${(rise * intervalMs) / 1000} s)`);
    } else {
      await backend.stop();
      this.say(`backend ${n} stopped: ${backend.address}:${backend.port} refuses connections; out of the answers after ${fall} failed checks (about ${(fall * intervalMs) / 1000} s)`);
    }
    return { backend: n, serving: backend.serving };
  }

  /** Backends, their health and what each pool answers. */
  status(): { backends: unknown[]; answers: string[]; dns: string; zoneFile: string } {
    const view = this.runtime?.store.view();
    return {
      dns: formatListen(this.dns),
      zoneFile: this.zoneFile,
      backends: this.backends.map((b) => {
        const id = this.targetIdOf(b);
        const health = id === undefined ? undefined : view?.get(id);
        return {
          backend: b.number,
          address: b.recordAddress,
          url: `http://${b.address}:${b.port}/`,
          serving: b.serving,
          health: health?.state ?? 'unknown',
          reason: health?.reason,
          requestsServed: b.served,
          healthChecks: b.probes,
        };
      }),
      answers: this.answerLines(),
    };
  }

  /** Human status lines (the `s` key). */
  statusLines(): string {
    const s = this.status();
    const rows = s.backends.map((row) => {
      const b = row as { backend: number; address: string; serving: boolean; health: string; requestsServed: number; healthChecks: number };
      return `${INDENT}backend ${b.backend} ${b.address.padEnd(11)} ${b.serving ? 'running' : 'stopped'}, health ${b.health}, served ${b.requestsServed} requests, ${b.healthChecks} checks`;
    });
    return [`${clock()}  status`, ...rows, ...s.answers.map((l) => `${INDENT}${l}`)].join('\n');
  }

  async stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.unsubscribe?.();
    await this.control?.close();
    await this.runtime?.stop();
    await Promise.all(this.backends.map((b) => b.stop()));
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  private say(text: string): void {
    this.options.print(`${clock()}  ${text}`);
  }

  private demoPools(): { label: string; pool: Pool }[] {
    const zone = this.runtime?.zones().find((z) => z.origin === DEMO_ORIGIN);
    if (!zone) return [];
    return DEMO_POOLS.flatMap((p) => {
      const pool = zone.pools.find((candidate) => candidate.name === `${p.name}.${DEMO_ORIGIN}` && candidate.type === 1);
      return pool ? [{ label: p.name, pool }] : [];
    });
  }

  private answerLines(): string[] {
    const runtime = this.runtime;
    if (!runtime) return [];
    return this.demoPools().map(({ label, pool }) => describeAnswers(label, pool, runtime.selector.planFor(pool)));
  }

  private targetIdOf(backend: DemoBackend): string | undefined {
    const zone = this.runtime?.zones().find((z) => z.origin === DEMO_ORIGIN);
    return zone?.targets.find((t) => t.address === backend.address && t.port === backend.port)?.id;
  }

  private onHealth(change: HealthChange): void {
    if (this.stopping) return;
    for (const backend of this.backends) {
      const id = this.targetIdOf(backend);
      if (id === undefined || !change.changed.includes(id)) continue;
      const health = change.view.get(id);
      const state = health?.state ?? 'unknown';
      const previous = this.reported.get(backend.number) ?? 'unknown';
      if (state === previous) continue;
      this.reported.set(backend.number, state);
      if (previous === 'unknown' && state === 'up') {
        // The first checks after start: nothing changes in the answers, so keep it short.
        this.say(`backend ${backend.number} is up (passed ${DEMO_CHECK.rise} health checks)`);
        continue;
      }
      const why = state === 'down' && health?.reason ? ` (${health.reason})` : '';
      this.say(`backend ${backend.number} is ${state}${why}; answering now:\n${this.answerLines().map((l) => `${INDENT}${l}`).join('\n')}`);
    }
  }
}
