/**
 * Issue 14, start-up: the first zone file of `rondo serve`, guessed from its arguments before the
 * program (and commander) is imported, so the zone worker compiles it during the imports.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { firstZoneJob } from '../../../cli/first-zone-job.js';

const dir = mkdtempSync(path.join(tmpdir(), 'rondo-first-zone-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'example.org.zone');
writeFileSync(file, '');

describe('firstZoneJob', () => {
  it.each([
    [['--zones', file], false],
    [['-z', file, '--listen', '127.0.0.1:5353'], false],
    [[`--zones=${file}`, '--allow-include-outside'], true],
    [[`-z${file}`], false],
    [['--log-level', 'warn', '--zones', file, '--zones', dir], false],
    [['--workers', '1', '--zones', file], undefined],
  ])('%j: the first --zones file, with its load options', (args, allowIncludeOutside) => {
    const job = firstZoneJob(args);
    if (allowIncludeOutside === undefined) expect(job).toBeUndefined();
    else expect(job).toEqual({ file, options: { allowIncludeOutside }, shared: true });
  });

  it.each([
    [['--zones', dir]], // a directory: its files are the runtime's to list
    [['--zones', path.join(dir, 'missing.zone')]],
    [['--listen', '127.0.0.1:5353']],
    [['--zones', file, '--workers', '4']], // worker processes load zones themselves
    [['--zones', file, '--help']],
    [['--', '--zones', file]],
  ])('%j: nothing to guess', (args) => {
    expect(firstZoneJob(args)).toBeUndefined();
  });
});
