/**
 * Processes for the benchmark: start a server pinned to a CPU (taskset), read the CPU time of a
 * whole process tree from /proc, check (and restore) the pinning of every thread, and stop
 * everything that was started, also on SIGINT. Linux only: it reads /proc and runs taskset.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: /proc times are in clock ticks of 10 ms on Linux. */
const TICKS_PER_SECOND = 100;

export interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything it printed, for error messages. */
  output(): string;
}

const started = new Set<Started>();

/** `taskset -c <cpu> command args`: the process and every thread it makes start on that CPU. */
export function spawnPinned(name: string, cpu: number, command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Started {
  const child = spawn('taskset', ['-c', String(cpu), command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd, env: { ...process.env, ...options.env } });
  let text = '';
  const keep = (chunk: Buffer): void => {
    text += chunk.toString();
    if (text.length > 20_000) text = text.slice(-10_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const s: Started = { name, child, pid: child.pid, output: () => text };
  started.add(s);
  child.once('exit', () => started.delete(s));
  return s;
}

/** SIGTERM, then SIGKILL after `graceMs`, for the process and its descendants. */
export async function stop(s: Started, graceMs = 3000): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const tree = processTree(s.pid);
  const exited = once(s.child, 'exit');
  for (const pid of tree) signal(pid, 'SIGTERM');
  const timer = setTimeout(() => {
    for (const pid of processTree(s.pid).concat(tree)) signal(pid, 'SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(timer);
  // Children that outlived their parent (daemons that fork).
  for (const pid of tree) signal(pid, 'SIGKILL');
}

export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((s) => stop(s)));
}

/** Synchronous last resort (process 'exit'): kill whatever is left. */
export function killAllSync(): void {
  for (const s of started) for (const pid of processTree(s.pid)) signal(pid, 'SIGKILL');
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function readStat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may hold spaces and parentheses: fields restart after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // After the name: state(3) ppid(4) ... utime(14) stime(15), so index = field - 3.
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/** `root` and every live descendant. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const list = children.get(stat.ppid);
    if (list) list.push(Number(entry));
    else children.set(stat.ppid, [Number(entry)]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * CPU seconds (user + system) used so far by `root` and its descendants. /proc/<pid>/stat counts
 * every thread of the process; `taskset` itself has exec'd into the server, so it is the root.
 */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) ticks += readStat(pid)?.ticks ?? 0;
  return ticks / TICKS_PER_SECOND;
}

export interface PinCheck {
  /** Threads checked, over the whole process tree. */
  readonly threads: number;
  /** Threads that were allowed elsewhere (`pid/tid: list`) before being pinned again. */
  readonly moved: readonly string[];
}

function allowedCpus(pid: number, tid: number): string | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1');
    return /Cpus_allowed_list:\s*(\S+)/.exec(status)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Checks that every thread of the tree may run on `cpu` only, and pins again the ones that may
 * not (Knot, for one, sets its own threads' affinity at start). Returns what it found.
 */
export function ensurePinned(root: number, cpu: number): PinCheck {
  let threads = 0;
  const moved: string[] = [];
  for (const pid of processTree(root)) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const allowed = allowedCpus(pid, Number(tid));
      if (allowed === undefined) continue;
      threads++;
      if (allowed === String(cpu)) continue;
      moved.push(`${pid}/${tid}: ${allowed}`);
      try {
        execFileSync('taskset', ['-p', '-c', String(cpu), tid], { stdio: 'ignore' });
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return { threads, moved };
}

/** Pins this process (the orchestrator: HTTP backends, parsing) to `cpu`, away from the servers. */
export function pinSelf(cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
}

/** The full path of a command, or undefined when it is not installed. */
export function which(command: string): string | undefined {
  try {
    const out = execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
    return out === '' ? undefined : out;
  } catch {
    return undefined;
  }
}

/** The first line of `command args` output (stdout and stderr) that matches `pattern`, for the versions line. */
export function versionOf(command: string, args: readonly string[], pattern = /\S/): string {
  let out = '';
  try {
    const r = spawnSync(command, args, { encoding: 'utf8', timeout: 5000 });
    out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  } catch {
    return '?';
  }
  return out.split('\n').find((l) => pattern.test(l))?.trim() ?? '?';
}
