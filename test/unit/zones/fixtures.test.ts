/**
 * Golden fixtures: every test/fixtures/zones/ok/*.zone loads and matches its .json summary;
 * every bad/*.zone is refused with exactly the errors its `; expect:` line lists; and every
 * example zone in zones/examples/ loads clean. UPDATE_FIXTURES=1 rewrites the .json files
 * (review the diff before committing it).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { findZoneFiles, loadZoneFile, parseZoneText } from '../../../zones/load.js';
import { describeZone } from '../../helpers/zone-present.js';
import { RRType } from '../../../model/zone.js';

const root = path.resolve(import.meta.dirname, '../../fixtures/zones');
const zoneFiles = (dir: string) => readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.zone')).sort();

describe('ok fixtures', () => {
  it.each(zoneFiles('ok'))('%s', async (name) => {
    const file = path.join(root, 'ok', name);
    const result = await loadZoneFile(file);
    if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
    expect(result.warnings.map((w) => w.message)).toEqual([]);
    const actual = JSON.parse(JSON.stringify(describeZone(result.zone))) as unknown;
    const golden = file.replace(/\.zone$/, '.json');
    if (process.env.UPDATE_FIXTURES === '1' || !existsSync(golden)) writeFileSync(golden, JSON.stringify(actual, null, 2) + '\n');
    expect(actual).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
  });
});

describe('bad fixtures', () => {
  it.each(zoneFiles('bad'))('%s', async (name) => {
    const file = path.join(root, 'bad', name);
    const expected = /^; expect: (.*)$/m.exec(readFileSync(file, 'utf8'))?.[1]?.split(/\s+/);
    if (!expected) throw new Error(`${name} has no "; expect:" line`);
    const result = await loadZoneFile(file);
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors.map((e) => (e.file === file ? `${e.code}@${e.line}` : `${e.code}@${path.basename(e.file)}:${e.line}`))).toEqual(expected);
    for (const e of errors) expect(e.message).toMatch(/^[^:]+:\d+:\d+: \S/);
  });
});

describe('zones/examples', () => {
  it('every example zone loads without errors or warnings', async () => {
    const files = await findZoneFiles([path.resolve(import.meta.dirname, '../../../zones/examples')]);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const result = await loadZoneFile(file);
      expect(result.ok ? result.warnings.map((w) => w.message) : result.errors.map((e) => e.message), file).toEqual([]);
    }
  });

  it('example.test.zone serves www with 4 A and 2 AAAA records', async () => {
    const result = await loadZoneFile(path.resolve(import.meta.dirname, '../../../zones/examples/example.test.zone'));
    if (!result.ok) throw new Error('example.test.zone refused');
    const www = result.zone.nodes.get('www.example.test.');
    expect(www?.rrsets.get(RRType.A)?.records).toHaveLength(4);
    expect(www?.rrsets.get(RRType.AAAA)?.records).toHaveLength(2);
  });
});

describe.each(['docs/zone-syntax.md', 'README.md'])('%s', (file) => {
  it('every zone block in it loads clean', () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, '../../..', file), 'utf8');
    const blocks = [...doc.matchAll(/```(?:zone)?\n(\$ORIGIN[\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      const result = parseZoneText(block, file);
      expect(result.ok ? result.warnings.map((w) => w.message) : result.errors.map((e) => e.message)).toEqual([]);
    }
  });
});

describe('findZoneFiles', () => {
  it('expands directories into their sorted *.zone files and keeps files as given', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rondo-find-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    for (const f of ['b.example.test.zone', 'a.example.test.zone', 'notes.txt', 'parts.inc']) writeFileSync(path.join(dir, f), '');
    mkdirSync(path.join(dir, 'sub.zone'));
    const single = path.join(root, 'bad', 'no-soa.example.test.zone');
    const files = await findZoneFiles([dir, single, path.join(dir, 'a.example.test.zone'), path.join(dir, 'missing.zone')]);
    expect(files).toEqual([
      path.join(dir, 'a.example.test.zone'),
      path.join(dir, 'b.example.test.zone'),
      single,
      path.join(dir, 'missing.zone'),
    ]);
  });
});
