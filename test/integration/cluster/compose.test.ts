/**
 * The top-level docker-compose.yml (issue 4). No Docker engine runs here, so the file is checked
 * with `docker-compose config -q` (Debian package docker-compose), plus what the engine would not
 * catch: the services of the topology are there, the zone it mounts loads, and the zone's pool
 * answers the backends' static addresses. The same topology runs as processes in the other
 * tests of this folder.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runRondoOk } from '../../../bench/lib/rondo-process.js';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');

async function compose(...args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('docker-compose', ['-f', COMPOSE_FILE, ...args], { cwd: ROOT, timeout: 30_000 });
    return stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('docker-compose is not installed: apt-get install docker-compose (the Debian package; .ci/run installs it)', { cause: err });
    }
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`docker-compose ${args.join(' ')} failed: ${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`, { cause: err });
  }
}

describe('docker-compose.yml', () => {
  it('passes `docker-compose config -q`', async () => {
    expect(await compose('config', '-q')).toBe('');
  });

  it('has Redis, two DNS servers, two checkers and three backends', async () => {
    const services = (await compose('config', '--services')).trim().split('\n').sort();
    expect(services).toEqual(['backend-1', 'backend-2', 'backend-3', 'checker-1', 'checker-2', 'dns-1', 'dns-2', 'redis']);
  });

  it('mounts a zone that loads, whose pools answer the backends\' static addresses', async () => {
    const text = await readFile(COMPOSE_FILE, 'utf8');
    expect(text).toContain('./deploy/zones:/zones');
    const backendAddresses = [...text.matchAll(/^ {2}backend-\d+:[\s\S]*?ipv4_address: ([\d.]+)/gm)].map((m) => m[1]).sort();
    expect(backendAddresses).toHaveLength(3);

    const zoneFile = path.join(ROOT, 'deploy', 'zones', 'example.test.zone');
    expect(await runRondoOk(['zone', 'check', zoneFile])).toContain('OK');
    const zone = await readFile(zoneFile, 'utf8');
    const www = [...zone.matchAll(/^www\s+(?:\d+\s+)?IN\s+A\s+([\d.]+)/gm)].map((m) => m[1]).sort();
    expect(www).toEqual(backendAddresses);
  });
});
