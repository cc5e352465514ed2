/**
 * A file's stat signature (modification time, size, inode): what the zone watcher compares to
 * tell a changed file without reading it. Its own module so that zone-worker-start.ts, loaded
 * before the rest of the program, can take one without importing the watcher.
 */
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';

/** The signature of a file that cannot be stat'ed. */
export const MISSING = 'missing';

function format(s: { mtimeMs: number; size: number; ino: number }): string {
  return `${s.mtimeMs}:${s.size}:${s.ino}`;
}

export async function signature(file: string): Promise<string> {
  try {
    return format(await stat(file));
  } catch {
    return MISSING;
  }
}

export function signatureSync(file: string): string {
  try {
    return format(statSync(file));
  } catch {
    return MISSING;
  }
}
