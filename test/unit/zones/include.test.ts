/** $INCLUDE: relative paths, origin argument, what leaks back, cycles, depth, the directory fence. */
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadZoneFile } from '../../../zones/load.js';
import { HEAD, codeLines, load, loadErrors, loadOk, records } from './helpers.js';

/** A readInclude over an in-memory set of files, relative to the zone's directory `zones/`. */
function files(map: Record<string, string>) {
  return (file: string) => {
    const key = path.relative(path.resolve('zones'), file);
    const text = map[key];
    if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return text;
  };
}

describe('$INCLUDE (in memory)', () => {
  it('reads records from the included file in place', () => {
    const { zone } = loadOk(HEAD + '$INCLUDE hosts.inc\nafter A 192.0.2.3\n', { readInclude: files({ 'hosts.inc': 'www A 192.0.2.1\n A 192.0.2.2\n' }) });
    expect(records(zone, 'www.example.test.')).toEqual(['www.example.test. 300 IN A 192.0.2.1', 'www.example.test. 300 IN A 192.0.2.2']);
    const rr = zone.nodes.get('www.example.test.')?.rrsets.get(1)?.records[0];
    expect(rr?.source).toEqual({ file: path.join('zones', 'hosts.inc'), line: 1, column: 1 });
  });

  it('applies the origin argument inside the file only (RFC 1035 §5.1)', () => {
    const { zone } = loadOk(HEAD + '$INCLUDE sub.inc sub\nafter A 192.0.2.3\n', {
      readInclude: files({ 'sub.inc': 'www A 192.0.2.1\n$ORIGIN other.example.test.\nx A 192.0.2.2\n' }),
    });
    expect(zone.nodes.has('www.sub.example.test.')).toBe(true);
    expect(zone.nodes.has('x.other.example.test.')).toBe(true);
    expect(zone.nodes.has('after.example.test.')).toBe(true);
  });

  it('restores the owner after the include', () => {
    const { zone } = loadOk(HEAD + 'www A 192.0.2.1\n$INCLUDE a.inc\n  A 192.0.2.2\n', { readInclude: files({ 'a.inc': 'other A 192.0.2.9\n' }) });
    expect(records(zone, 'www.example.test.')).toHaveLength(2);
  });

  it('resolves nested includes relative to the including file', () => {
    const { zone } = loadOk(HEAD + '$INCLUDE dir/a.inc\n', {
      readInclude: files({ 'dir/a.inc': '$INCLUDE b.inc\n', 'dir/b.inc': 'deep A 192.0.2.1\n' }),
    });
    expect(zone.nodes.has('deep.example.test.')).toBe(true);
  });

  it('reports errors with the included file name and its line', () => {
    const errors = loadErrors(HEAD + '$INCLUDE bad.inc\n', { readInclude: files({ 'bad.inc': '\n\nwww A 192.0.2.999\n' }) });
    expect(errors.map((e) => e.message)).toEqual([`${path.join('zones', 'bad.inc')}:3:7: bad IPv4 address "192.0.2.999" in A record`]);
  });

  it('refuses a cycle', () => {
    const errors = loadErrors(HEAD + '$INCLUDE a.inc\n', { readInclude: files({ 'a.inc': '$INCLUDE b.inc\n', 'b.inc': '$INCLUDE a.inc\n' }) });
    expect(errors.map((e) => `${e.code} ${path.basename(e.file)}:${e.line}`)).toEqual(['ZONE_INCLUDE_CYCLE b.inc:1']);
  });

  it('refuses a file that includes itself', () => {
    const errors = loadErrors(HEAD + '$INCLUDE example.test.zone\n', { readInclude: files({ 'example.test.zone': HEAD }) });
    expect(codeLines(errors)).toEqual(['ZONE_INCLUDE_CYCLE@6']);
  });

  it('refuses nesting deeper than 16', () => {
    const map: Record<string, string> = {};
    for (let i = 0; i < 20; i++) map[`f${i}.inc`] = `$INCLUDE f${i + 1}.inc\n`;
    map['f20.inc'] = '';
    const errors = loadErrors(HEAD + '$INCLUDE f0.inc\n', { readInclude: files(map) });
    expect(errors.map((e) => `${e.code} ${path.basename(e.file)}`)).toEqual(['ZONE_INCLUDE_DEPTH f15.inc']);
  });

  it('allows the same file twice when it is not a cycle', () => {
    const { zone } = loadOk(HEAD + '$INCLUDE a.inc one\n$INCLUDE a.inc two\n', { readInclude: files({ 'a.inc': 'www A 192.0.2.1\n' }) });
    expect(zone.nodes.has('www.one.example.test.') && zone.nodes.has('www.two.example.test.')).toBe(true);
  });

  it('reports a missing file', () => {
    expect(codeLines(loadErrors(HEAD + '$INCLUDE nope.inc\n', { readInclude: files({}) }))).toEqual(['ZONE_INCLUDE_UNREADABLE@6']);
  });

  it('refuses a path outside the zone directory unless allowed', () => {
    const read = files({ '../outside.inc': 'www A 192.0.2.1\n' });
    expect(codeLines(loadErrors(HEAD + '$INCLUDE ../outside.inc\n', { readInclude: read }))).toEqual(['ZONE_INCLUDE_OUTSIDE@6']);
    expect(load(HEAD + '$INCLUDE ../outside.inc\n', { readInclude: read, allowIncludeOutside: true }).ok).toBe(true);
  });

  it('lists every file read', () => {
    const r = load(HEAD + '$INCLUDE a.inc\n', { readInclude: files({ 'a.inc': '' }) });
    expect(r.files).toEqual(['zones/example.test.zone', path.join('zones', 'a.inc')]);
  });
});

describe('$INCLUDE (files on disk)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rondo-include-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const zonesDir = path.join(dir, 'zones');
  mkdirSync(path.join(zonesDir, 'parts'), { recursive: true });
  writeFileSync(path.join(zonesDir, 'parts', 'www.inc'), 'www A 192.0.2.10\nwww A 192.0.2.11\n');
  writeFileSync(path.join(dir, 'secret.inc'), 'leak A 192.0.2.66\n');
  symlinkSync(path.join(dir, 'secret.inc'), path.join(zonesDir, 'parts', 'link.inc'));

  it('loads a zone with an include through loadZoneFile', async () => {
    const file = path.join(zonesDir, 'example.test.zone');
    writeFileSync(file, HEAD + '$INCLUDE parts/www.inc\n');
    const r = await loadZoneFile(file);
    expect(r.ok && r.zone.pools.map((p) => p.key)).toEqual(['www.example.test./A']);
  });

  it('refuses a symlink that leaves the zone directory, unless allowed', async () => {
    const file = path.join(zonesDir, 'link.example.test.zone');
    writeFileSync(file, HEAD.replace('example.test.', 'link.example.test.') + '$INCLUDE parts/link.inc\n');
    const refused = await loadZoneFile(file);
    expect(refused.ok ? [] : codeLines(refused.errors)).toEqual(['ZONE_INCLUDE_OUTSIDE@6']);
    const allowed = await loadZoneFile(file, { allowIncludeOutside: true });
    expect(allowed.ok).toBe(true);
  });

  it('reports an unreadable top file', async () => {
    const r = await loadZoneFile(path.join(zonesDir, 'missing.zone'));
    expect(r.ok ? [] : codeLines(r.errors)).toEqual(['ZONE_UNREADABLE@1']);
  });
});
