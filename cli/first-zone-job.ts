/**
 * The first zone `rondo serve` will load, read from its arguments before the program is imported,
 * so that the zone worker compiles it while the rest of the program loads (cli/index.ts). Only a
 * guess, made without commander: the ZoneCompiler takes the result over only for the same job on
 * files unchanged since, so a wrong guess costs one compile, never a wrong zone or other errors.
 */
import { statSync } from 'node:fs';
import type { CompileJob } from '../zones/compile-files.js';

/** `args`: what follows `serve` on the command line. Undefined when there is no single-process load of a zone file to guess. */
export function firstZoneJob(args: readonly string[]): CompileJob | undefined {
  let file: string | undefined;
  let allowIncludeOutside = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--') break;
    if (a === '-h' || a === '--help') return undefined;
    // Worker processes load the zones themselves (server/workers.ts).
    if (a === '--workers' || a.startsWith('--workers=')) return undefined;
    if (a === '--allow-include-outside') allowIncludeOutside = true;
    else if (a === '-z' || a === '--zones') file ??= args[++i];
    else if (a.startsWith('--zones=')) file ??= a.slice('--zones='.length);
    else if (a.startsWith('-z')) file ??= a.slice(2);
  }
  // A directory's files are listed by the runtime (findZoneFiles); only a file is guessed here.
  if (file === undefined || file === '' || !isFile(file)) return undefined;
  // As the zone watcher asks for a zone's first version.
  return { file, options: { allowIncludeOutside }, shared: true };
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
