/**
 * docs/errors.md lists every error code the product can report, and nothing else (as fastify's
 * "Ensure that all errors are in Errors.md documented", both ways).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const PRODUCT_DIRS = ['cli', 'server', 'model', 'dns', 'zones', 'balance', 'checks', 'health', 'report', 'admin', 'lib'];
const CODE = /(?<!env\()'((?:ZONE|DNSSEC|DNS|CHECK|REDIS|CLI|CONFIG|REPORT|SIMULATE|OVERRIDE|ADMIN|HEALTH|STATUS|RRL)_[A-Z0-9_]+)'/g;
const KEY = /^\s+((?:ZONE)_[A-Z0-9_]+):/gm;

function sourceFiles(dir: string): string[] {
  let out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out = out.concat(sourceFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

function codesInSource(): Set<string> {
  const codes = new Set<string>();
  for (const d of PRODUCT_DIRS) {
    let files: string[] = [];
    try {
      files = sourceFiles(join(ROOT, d));
    } catch {
      continue;
    }
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(CODE)) codes.add(m[1] ?? '');
      for (const m of text.matchAll(KEY)) codes.add(m[1] ?? '');
    }
  }
  codes.add('ZONE_REFUSED');
  return codes;
}

function codesInDoc(): Set<string> {
  const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
  return new Set([...doc.matchAll(/^\|\s*`?([A-Z][A-Z0-9_]+)`?\s*\|/gm)].map((m) => m[1] ?? '').filter((c) => c !== 'code'));
}

describe('docs/errors.md', () => {
  it('documents every error code used in the product code', () => {
    const documented = codesInDoc();
    const missing = [...codesInSource()].filter((c) => !documented.has(c));
    expect(missing).toEqual([]);
  });

  it('lists no code the product code does not use', () => {
    const used = codesInSource();
    const stale = [...codesInDoc()].filter((c) => !used.has(c));
    expect(stale).toEqual([]);
  });
});
