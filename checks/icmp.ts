import { execFile } from 'node:child_process';
import net from 'node:net';
import { CheckError } from '../lib/errors.js';
import type { Target } from '../model/zone.js';
import { abortReason, elapsedMs } from './abort-reason.js';
import type { Probe, ProbeResult } from './types.js';

/**
 * ICMP echo through the system `ping` (iputils-ping), so Rondo itself needs no raw-socket
 * privilege. On Debian/Ubuntu `ping` works unprivileged either because the binary carries the file
 * capability `cap_net_raw` (`getcap /usr/bin/ping` shows `cap_net_raw=ep`; restore it with
 * `setcap cap_net_raw+ep /usr/bin/ping`) or because the user's group is inside the kernel's
 * `net.ipv4.ping_group_range` (e.g. `sysctl -w net.ipv4.ping_group_range="0 2147483647"`), which
 * allows ICMP datagram sockets without any privilege. When neither holds, or `ping` is not
 * installed, `preflight` fails and the scheduler refuses to start with CHECK_ICMP_UNAVAILABLE.
 */
export interface IcmpProbeOptions {
  /** The ping program; tests point it at a missing one. */
  readonly command?: string;
}

const RTT = /time[=<]\s*([\d.]+)\s*ms/;

/** Whole seconds for `ping -W` (fractions are not portable); the signal enforces the exact deadline. */
function waitSeconds(timeoutMs: number): string {
  return String(Math.max(1, Math.ceil(timeoutMs / 1000)));
}

export function pingArgs(address: string, timeoutMs: number): string[] {
  const args = ['-n', '-c', '1', '-W', waitSeconds(timeoutMs)];
  if (net.isIPv6(address)) args.unshift('-6');
  return [...args, address];
}

/** The round-trip time ping printed, in milliseconds, or undefined. */
export function parsePingRtt(output: string): number | undefined {
  const m = RTT.exec(output);
  if (!m) return undefined;
  const rtt = Number(m[1]);
  return Number.isFinite(rtt) ? rtt : undefined;
}

interface ExecOutcome {
  readonly error: (Error & { code?: unknown }) | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runPing(command: string, args: readonly string[], signal: AbortSignal): Promise<ExecOutcome> {
  return new Promise((resolve) => {
    execFile(command, args, { signal, env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ error, stdout, stderr });
    });
  });
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}

export function createIcmpProbe(options: IcmpProbeOptions = {}): Probe {
  const command = options.command ?? 'ping';
  return {
    async run(target: Target, signal: AbortSignal): Promise<ProbeResult> {
      const start = performance.now();
      if (signal.aborted) return { ok: false, latencyMs: 0, reason: abortReason(signal, target) };
      const { error, stdout, stderr } = await runPing(command, pingArgs(target.address, target.check.timeoutMs), signal);
      const latencyMs = elapsedMs(start);
      if (signal.aborted) return { ok: false, latencyMs, reason: abortReason(signal, target) };
      if (error) {
        // iputils exit status: 1 = no reply, 2 = other error (message on stderr).
        if (error.code === 1) return { ok: false, latencyMs, reason: 'no echo reply' };
        if (error.code === 'ENOENT') return { ok: false, latencyMs, reason: `${command} not found` };
        return { ok: false, latencyMs, reason: firstLine(stderr) || error.message };
      }
      return { ok: true, latencyMs: parsePingRtt(stdout) ?? latencyMs };
    },

    async preflight(signal: AbortSignal): Promise<void> {
      const { error, stderr } = await runPing(command, pingArgs('127.0.0.1', 1000), signal);
      if (!error || error.code === 1) return;
      if (error.code === 'ENOENT') {
        throw new CheckError(
          'CHECK_ICMP_UNAVAILABLE',
          `icmp checks need the system "${command}" program, which is not installed or not on PATH (Debian: apt-get install iputils-ping)`,
          { cause: error },
        );
      }
      throw new CheckError(
        'CHECK_ICMP_UNAVAILABLE',
        `icmp checks cannot run "${command}": ${firstLine(stderr) || error.message}. ` +
          'Give ping the cap_net_raw capability (setcap cap_net_raw+ep $(command -v ping)) or allow ICMP datagram ' +
          'sockets for this group (sysctl net.ipv4.ping_group_range)',
        { cause: error },
      );
    },
  };
}

export const icmpProbe: Probe = createIcmpProbe();
