/**
 * Real `rondo` processes for cluster tests and benchmarks: the built CLI (`dist/cli/index.js`,
 * made by `npm run build`, which `npm test` runs first) spawned as `node dist/cli/index.js ...`.
 *
 *   const dns = await startRondo(['serve', '--zones', dir, '--listen', `127.0.0.1:${port}`, '--redis', url, '--no-checks']);
 *   afterAll(() => stopAllRondo());
 *
 * `startRondo` waits for the ready line (`serving on` / `checking`) with a deadline; if the process
 * exits or stays silent, it throws with the tail of its log (the ready lines are logged at info: do
 * not pass `--log-level warn`). `runRondo` runs a one-shot command
 * (`status`, `drain`, ...). No vitest import here, so bench scripts can use it too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file (test/helpers/ or dist/test/helpers/). */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`rondo-process: no package.json above ${fileURLToPath(import.meta.url)}`);
}

export const RONDO_CLI = path.join(repoRoot(), 'dist', 'cli', 'index.js');

const READY_DEADLINE_MS = 15_000;
const LOG_LINES_KEPT = 400;

/** Throws a clear error when the CLI has not been built. */
export function assertCliBuilt(): void {
  if (!existsSync(RONDO_CLI)) {
    throw new Error(`${RONDO_CLI} is missing: these tests run the built CLI. Run \`npm run build\` first (\`npm test\` does).`);
  }
}

export interface RondoProcess {
  /** What the tests call it in messages, e.g. `dns-a`. */
  readonly name: string;
  readonly pid: number | undefined;
  readonly args: readonly string[];
  /** True until the process has exited. */
  readonly running: boolean;
  /** The last lines it printed (stdout and stderr, in order of arrival). */
  logTail(lines?: number): string;
  /** Pino JSON lines printed so far, parsed (other lines skipped). */
  logRecords(): Record<string, unknown>[];
  /**
   * Resolves once a line printed since the start has a `msg` (or, for a plain line, text) that
   * matches; throws with the log tail if the process exits or the deadline passes first.
   */
  waitForLog(pattern: string | RegExp, deadlineMs?: number): Promise<void>;
  /** Sends a signal (default SIGKILL) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; waits for the exit. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
}

export interface StartRondoOptions {
  /** Shown in failure messages. Default: the subcommand. */
  readonly name?: string;
  /** The log message that means "ready". Default: `serving on` for serve, `checking` for check. */
  readonly ready?: string | RegExp;
  readonly deadlineMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Run inside this Linux network namespace (`ip netns exec NAME node …`; needs root). */
  readonly netns?: string;
  /** Run `node …command` instead of the CLI (a bench stand-in that logs the same ready line). */
  readonly command?: readonly string[];
}

const live = new Set<ManagedRondo>();
process.once('exit', () => {
  // Last resort if a test forgot to stop a process: never leave rondo processes behind.
  for (const p of live) p.killSync();
});

/** Spawns `node dist/cli/index.js ...args` and waits for its ready log line. */
export async function startRondo(args: readonly string[], options: StartRondoOptions = {}): Promise<RondoProcess> {
  assertCliBuilt();
  const command = args[0] ?? '';
  const ready = options.ready ?? (command === 'check' ? /^checking / : /^serving on /);
  const p = new ManagedRondo(options.name ?? command, args, options.env, options.netns, options.command);
  try {
    await p.waitForLog(ready, options.deadlineMs ?? READY_DEADLINE_MS);
  } catch (err) {
    await p.stop(500);
    throw err;
  }
  return p;
}

/** Stops every process started here that is still running. */
export async function stopAllRondo(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
}

export interface RondoRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a one-shot command (`status`, `drain`, ...) to its end, bounded by `timeoutMs`. */
export async function runRondo(args: readonly string[], timeoutMs = 15_000): Promise<RondoRun> {
  assertCliBuilt();
  const child = spawn(process.execPath, [RONDO_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    if (signal !== null) throw new Error(`rondo ${args.join(' ')}: killed by ${signal} (over ${timeoutMs}ms?)\n${stdout}${stderr}`);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** Like `runRondo`, but throws (with its output) unless it exits 0. */
export async function runRondoOk(args: readonly string[], timeoutMs?: number): Promise<string> {
  const run = await runRondo(args, timeoutMs);
  if (run.code !== 0) throw new Error(`rondo ${args.join(' ')} exited ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run.stdout;
}

/**
 * A loopback port free for both UDP and TCP right now (a DNS server listens on both): binds TCP
 * port 0, then UDP on the same number; retries when the UDP half is taken.
 */
export async function freeDnsPort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = net.createServer();
    tcp.listen(0, host);
    await once(tcp, 'listening');
    const address = tcp.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const udp = dgram.createSocket('udp4');
    const udpOk = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, host, () => resolve(true));
    });
    if (udpOk) udp.close();
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    if (udpOk && port !== 0) return port;
  }
  throw new Error('could not find a port free for both UDP and TCP');
}

class ManagedRondo implements RondoProcess {
  readonly name: string;
  readonly args: readonly string[];
  readonly exited: Promise<number | string>;
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  /** Lines dropped from the front of `lines` (only the last LOG_LINES_KEPT are kept). */
  private dropped = 0;
  private partial = '';
  private readonly waiters = new Set<() => void>();
  private stopping: Promise<void> | undefined;

  constructor(name: string, args: readonly string[], env: NodeJS.ProcessEnv | undefined, netns?: string, script?: readonly string[]) {
    this.name = name;
    this.args = args;
    const nodeArgs = script ?? [RONDO_CLI, ...args];
    // `ip netns exec` execs node in place: the child's pid is node's, so signals reach it.
    const [command, argv] = netns === undefined ? [process.execPath, nodeArgs] : ['ip', ['netns', 'exec', netns, process.execPath, ...nodeArgs]];
    this.child = spawn(command, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    live.add(this);
    const take = (chunk: Buffer) => this.take(chunk.toString());
    this.child.stdout?.on('data', take);
    this.child.stderr?.on('data', take);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        live.delete(this);
        if (this.partial !== '') this.pushLine(this.partial);
        this.partial = '';
        this.wake();
        resolve(code ?? signal ?? 'unknown');
      });
      this.child.once('error', (err) => {
        live.delete(this);
        this.pushLine(`spawn error: ${err.message}`);
        this.wake();
        resolve('spawn error');
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && live.has(this);
  }

  logTail(lines = 40): string {
    return this.lines.slice(-lines).join('\n');
  }

  logRecords(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.lines) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not JSON
      }
    }
    return out;
  }

  async waitForLog(pattern: string | RegExp, deadlineMs = READY_DEADLINE_MS): Promise<void> {
    const matches = (line: string): boolean => {
      let text = line;
      if (line.startsWith('{')) {
        try {
          const msg = (JSON.parse(line) as { msg?: unknown }).msg;
          if (typeof msg === 'string') text = msg;
        } catch {
          // a plain line
        }
      }
      return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
    };
    const until = Date.now() + deadlineMs;
    let checked = 0;
    for (;;) {
      for (checked = Math.max(checked, this.dropped); checked < this.dropped + this.lines.length; checked++) {
        if (matches(this.lines[checked - this.dropped] ?? '')) return;
      }
      if (!this.running) {
        const code = await this.exited;
        throw new Error(`rondo ${this.name} exited (${code}) before logging ${String(pattern)}\nargs: ${this.args.join(' ')}\n${this.logTail()}`);
      }
      const left = until - Date.now();
      if (left <= 0) throw new Error(`rondo ${this.name} did not log ${String(pattern)} within ${deadlineMs}ms\nargs: ${this.args.join(' ')}\n${this.logTail()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
      this.waiters.clear();
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.running) this.child.kill(signal);
    await this.exited;
  }

  stop(graceMs = 3000): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.running) return;
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    })();
    return this.stopping;
  }

  killSync(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private take(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.pushLine(line);
    this.wake();
  }

  private pushLine(line: string): void {
    if (line === '') return;
    this.lines.push(line);
    if (this.lines.length > LOG_LINES_KEPT) this.dropped += this.lines.splice(0, this.lines.length - LOG_LINES_KEPT).length;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
