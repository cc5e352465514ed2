/**
 * Issue 12, portability: the worked example of docs/zone-syntax.md still loads in BIND
 * (`named-checkzone` passes: `;@map` is a comment there), and `rondo zone check` reports map
 * errors as file:line:column with stable codes (`--json`).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { zoneCheck, type ZoneProblem } from '../../../cli/commands/zone-check.js';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'rondo-sites-port-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

const DOC = readFileSync(path.resolve(import.meta.dirname, '../../../docs/zone-syntax.md'), 'utf8');
const EXAMPLE = [...DOC.matchAll(/```zone\n(\$ORIGIN[\s\S]*?)```/g)].map((m) => m[1] ?? '').find((b) => b.includes(';@map'))!;

describe('sites: portability', () => {
  it.runIf(existsSync('/usr/bin/named-checkzone') || existsSync('/usr/sbin/named-checkzone'))('the worked example passes named-checkzone', async () => {
    const file = path.join(dir, 'example.org.zone');
    writeFileSync(file, EXAMPLE);
    const { stdout } = await run('named-checkzone', ['example.org', file]);
    expect(stdout).toMatch(/loaded serial 2026120501\nOK/);
  });

  it('rondo zone check: the example is clean, map errors come with position and code', async () => {
    const good = path.join(dir, 'good.example.org.zone');
    writeFileSync(good, EXAMPLE.replace('$ORIGIN example.org.', '$ORIGIN good.example.org.'));
    const out = sink();
    const err = sink();
    expect((await zoneCheck([good], out.stream, err.stream)).errors).toBe(0);
    expect(err.text()).toBe('');
    const bad = path.join(dir, 'bad.example.org.zone');
    writeFileSync(bad, EXAMPLE.replace('$ORIGIN example.org.', '$ORIGIN bad.example.org.').replace('continent:EU=eu>us', 'continent:EUR=eu>us').replace('map=geo', 'map=gone'));
    const text = sink();
    expect((await zoneCheck([bad], sink().stream, text.stream)).errors).toBe(2);
    expect(text.text()).toMatch(new RegExp(`${bad.replace(/[.]/g, '\\.')}:8:\\d+: continent must be one of AF AN AS EU NA OC SA \\(got "EUR"\\)`));
    const json = sink();
    await zoneCheck([bad], json.stream, sink().stream, undefined, true);
    const problems = JSON.parse(json.text()) as ZoneProblem[];
    expect(problems.map((p) => `${p.line}:${p.column} ${p.code}`)).toEqual(['8:85 ZONE_MAP_BAD_CONTINENT', '9:48 ZONE_UNKNOWN_MAP']);
  });
});
