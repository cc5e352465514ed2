/**
 * ZoneWatcher on a temp directory: a new valid version is loaded, a broken one reported while
 * the old zone is kept, unchanged content is skipped, $INCLUDEd files are followed.
 */
import { closeSync, mkdtempSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../lib/logger.js';
import type { ZoneSyntaxError } from '../../../lib/errors.js';
import type { Zone } from '../../../model/zone.js';
import { ZoneWatcher } from '../../../zones/watch.js';
import { HEAD } from './helpers.js';

function setup(files: Record<string, string>, { pollIntervalMs = 0, useFsWatch = true, debounceMs = 20 } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'rondo-watch-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const zones: Zone[] = [];
  const failures: { file: string; errors: readonly ZoneSyntaxError[] }[] = [];
  const file = path.join(dir, 'example.test.zone');
  const watcher = new ZoneWatcher({
    files: [file],
    logger: silentLogger(),
    onZone: (zone) => zones.push(zone),
    onError: (f, errors) => failures.push({ file: f, errors }),
    debounceMs,
    pollIntervalMs,
    useFsWatch,
  });
  cleanups.push(() => {
    watcher.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, file, watcher, zones, failures };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const v1 = HEAD + 'www A 192.0.2.10\n';
const v2 = HEAD + 'www A 192.0.2.10\nwww A 192.0.2.11\n';
const addresses = (zone: Zone | undefined) => zone?.pools[0]?.members.map((m) => m.address) ?? [];

describe('ZoneWatcher', () => {
  it('loads every zone on start', async () => {
    const { watcher, zones, file } = setup({ 'example.test.zone': v1 });
    await watcher.start();
    expect(zones).toHaveLength(1);
    expect(watcher.current(file)).toBe(zones[0]);
  });

  it('loads a new valid version, then keeps it when a broken one is written', async () => {
    const { watcher, zones, failures, file } = setup({ 'example.test.zone': v1 });
    await watcher.start();

    writeFileSync(file, v2);
    await vi.waitFor(() => expect(zones).toHaveLength(2), { timeout: 5000, interval: 10 });
    expect(addresses(zones[1])).toEqual(['192.0.2.10', '192.0.2.11']);

    writeFileSync(file, v2 + 'bad A 192.0.2.300\n');
    await vi.waitFor(() => expect(failures).toHaveLength(1), { timeout: 5000, interval: 10 });
    expect(failures[0]?.errors.map((e) => `${e.code}@${e.line}`)).toEqual(['ZONE_BAD_IPV4@8']);
    expect(watcher.current(file)).toBe(zones[1]);
    expect(zones).toHaveLength(2);
  });

  it('never serves a partly written file: the debounce waits for the writes to settle', async () => {
    const { watcher, zones, file } = setup({ 'example.test.zone': v1 }, { debounceMs: 150 });
    await watcher.start();
    const lines = Array.from({ length: 10 }, (_, i) => `www A 192.0.2.${10 + i}\n`);
    // A slow writer: truncate, then append two lines at a time, each chunk a valid zone on its own.
    const fd = openSync(file, 'w');
    try {
      writeSync(fd, HEAD);
      for (let i = 0; i < lines.length; i += 2) {
        writeSync(fd, (lines[i] ?? '') + (lines[i + 1] ?? ''));
        await delay(10); // the writer's pace, well inside the debounce
      }
    } finally {
      closeSync(fd);
    }
    await vi.waitFor(() => expect(zones).toHaveLength(2), { timeout: 5000, interval: 10 });
    expect(addresses(zones[1])).toHaveLength(10);
  });

  it('picks up an editor-style rename over the file', async () => {
    const { watcher, zones, file, dir } = setup({ 'example.test.zone': v1 });
    await watcher.start();
    writeFileSync(path.join(dir, '.example.test.zone.swp'), v2);
    renameSync(path.join(dir, '.example.test.zone.swp'), file);
    await vi.waitFor(() => expect(zones).toHaveLength(2), { timeout: 5000, interval: 10 });
    expect(addresses(watcher.current(file))).toEqual(['192.0.2.10', '192.0.2.11']);
  });

  it('skips a reload when the content is unchanged', async () => {
    const { watcher, zones, file } = setup({ 'example.test.zone': v1 });
    await watcher.start();
    writeFileSync(file, v1); // same bytes, new mtime
    expect(await watcher.reload(file)).toBe('unchanged');
    expect(await watcher.reloadAll()).toEqual(['unchanged']);
    expect(zones).toHaveLength(1);
  });

  it('reloads when an $INCLUDEd file changes', async () => {
    const { watcher, zones, file, dir } = setup({ 'example.test.zone': HEAD + '$INCLUDE www.inc\n', 'www.inc': 'www A 192.0.2.10\n' });
    await watcher.start();
    writeFileSync(path.join(dir, 'www.inc'), 'www A 192.0.2.20\nwww A 192.0.2.21\n');
    await vi.waitFor(() => expect(zones).toHaveLength(2), { timeout: 5000, interval: 10 });
    expect(addresses(watcher.current(file))).toEqual(['192.0.2.20', '192.0.2.21']);
  });

  it('finds changes by polling when fs.watch is off', async () => {
    const { watcher, zones, file } = setup({ 'example.test.zone': v1 }, { pollIntervalMs: 30, useFsWatch: false });
    await watcher.start();
    writeFileSync(file, v2);
    await vi.waitFor(() => expect(zones).toHaveLength(2), { timeout: 5000, interval: 10 });
  });

  it('reports a missing file and loads it once it appears', async () => {
    const { watcher, zones, failures, file } = setup({});
    await watcher.start();
    expect(failures.map((f) => f.errors[0]?.code)).toEqual(['ZONE_UNREADABLE']);
    writeFileSync(file, v1);
    await vi.waitFor(() => expect(zones).toHaveLength(1), { timeout: 5000, interval: 10 });
  });

  it('reloadAll loads what changed (SIGHUP)', async () => {
    const { watcher, zones, file } = setup({ 'example.test.zone': v1 }, { useFsWatch: false });
    await watcher.start();
    writeFileSync(file, v2);
    expect(await watcher.reloadAll()).toEqual(['loaded']);
    expect(addresses(zones[1])).toEqual(['192.0.2.10', '192.0.2.11']);
    expect(await watcher.reloadAll()).toEqual(['unchanged']);
  });

  it('delivers nothing after close', async () => {
    const { watcher, zones, file } = setup({ 'example.test.zone': v1 });
    await watcher.start();
    watcher.close();
    writeFileSync(file, v2);
    expect(await watcher.reloadAll()).toEqual(['closed']);
    expect(zones).toHaveLength(1);
  });
});
