import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../cli/program.js';
import { renderCliReference } from '../../../cli/help-doc.js';

describe('docs/cli.md', () => {
  it('is the current --help of every command (regenerate with `npm run build && npm run docs:cli`)', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'cli.md'), 'utf8');
    expect(doc).toBe(renderCliReference(buildProgram()));
  });
});
