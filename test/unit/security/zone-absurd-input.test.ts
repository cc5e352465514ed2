/**
 * Absurd zone input is refused with a clear error, quickly (issue 7). test/unit/zones covers the
 * lexer's token limit, include depth 16 with a 20-file chain, and $INCLUDE outside the zone
 * directory; this adds the whole-loader cases the issue names: a 10 MB TXT line, a
 * million-deep $INCLUDE chain (stopped by the depth limit, and the message says so), and a name
 * of 300 characters.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEAD, loadErrors } from '../zones/helpers.js';

describe('absurd zone input', () => {
  it('refuses a 10 MB TXT line, naming the limit, in well under a second', () => {
    const started = performance.now();
    const errors = loadErrors(`${HEAD}big IN TXT "${'x'.repeat(10 * 1024 * 1024)}"\nafter IN A 192.0.2.1\n`);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    const first = errors[0];
    expect(first?.code).toMatch(/^ZONE_(TOKEN|LINE)_TOO_LONG$/);
    expect(first?.line).toBe(6);
    expect(first?.message).toMatch(/longer than \d+ characters/);
    // The error quotes a little of the token, not 10 MB of it.
    expect(first?.message.length ?? 0).toBeLessThan(300);
  });

  it('stops a million-deep $INCLUDE chain at depth 16 and says so', () => {
    let reads = 0;
    const readInclude = (file: string): string => {
      reads++;
      const n = Number(/f(\d+)\.inc$/.exec(file)?.[1] ?? '0');
      return n < 1_000_000 ? `$INCLUDE f${n + 1}.inc\n` : '';
    };
    const errors = loadErrors(HEAD + '$INCLUDE f0.inc\n', { readInclude });
    expect(errors.map((e) => e.code)).toEqual(['ZONE_INCLUDE_DEPTH']);
    expect(errors[0]?.message).toContain('$INCLUDE nested deeper than 16 files');
    expect(path.basename(errors[0]?.file ?? '')).toBe('f15.inc');
    expect(reads).toBeLessThanOrEqual(17);
  });

  it('refuses a 300-character name, as one label or as many', () => {
    const oneLabel = loadErrors(`${HEAD}${'a'.repeat(300)} IN A 192.0.2.1\n`);
    expect(oneLabel.map((e) => `${e.code}@${e.line}`)).toEqual(['ZONE_LABEL_TOO_LONG@6']);
    expect(oneLabel[0]?.message).toMatch(/63/);

    const labels = Array.from({ length: 5 }, () => 'b'.repeat(59)).join('.'); // 299 characters, relative
    const manyLabels = loadErrors(`${HEAD}${labels} IN A 192.0.2.1\n`);
    expect(manyLabels.map((e) => `${e.code}@${e.line}`)).toEqual(['ZONE_NAME_TOO_LONG@6']);
    expect(manyLabels[0]?.message).toMatch(/255/);

    // In rdata too: a CNAME target.
    const target = loadErrors(`${HEAD}alias IN CNAME ${labels}.example.test.\n`);
    expect(target.map((e) => e.code)).toEqual(['ZONE_NAME_TOO_LONG']);
  });
});
