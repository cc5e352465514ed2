import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** Writes `text` as a zone file in a new temporary folder; `cleanups` gets the folder's removal. */
export function tempZoneFile(text: string, cleanups: (() => unknown)[], prefix = 'rondo-zone-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'example.test.zone');
  writeFileSync(file, text);
  return file;
}
