/** `rondo zone check <file...>`: lint zone files like named-checkzone; every error, exit 1 if any. */
import { Command } from 'commander';
import { CliExit } from '../exit.js';
import { findZoneFiles, loadZoneFile } from '../../zones/load.js';

export interface ZoneCheckOutcome {
  readonly errors: number;
}

export async function zoneCheck(paths: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<ZoneCheckOutcome> {
  const files = await findZoneFiles(paths);
  let errors = 0;
  for (const file of files) {
    const result = await loadZoneFile(file);
    if (result.ok) {
      for (const w of result.warnings) err.write(`${w.message} (warning)\n`);
      out.write(`${file}: zone ${result.zone.display} OK, ${result.zone.size} records, ${result.zone.pools.length} pools, ${result.zone.checks.size} checks\n`);
    } else {
      errors += result.errors.length;
      for (const e of result.errors) err.write(`${e.message}\n`);
    }
  }
  return { errors };
}

export function zoneCommand(): Command {
  const zone = new Command('zone').description('work with zone files');
  zone
    .command('check')
    .description('check zone files for errors (exit 0 if clean, 1 with every error as file:line:column: message)')
    .argument('<file...>', 'zone files or directories of *.zone files')
    .action(async (paths: string[]) => {
      const { errors } = await zoneCheck(paths, process.stdout, process.stderr);
      if (errors > 0) throw new CliExit(1);
    });
  return zone;
}
