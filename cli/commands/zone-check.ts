/** `rondo zone check <file...>`: lint zone files like named-checkzone; every error, exit 1 if any. */
import { Command } from 'commander';
import { CliExit } from '../exit.js';
import { findZoneFiles, loadZoneFile } from '../../zones/load.js';
import { readKeyDir, type DnssecKey } from '../../dns/sign/keys.js';
import { keyPlan } from '../../dns/sign/zone-signer.js';

export interface ZoneCheckOutcome {
  readonly errors: number;
}

export async function zoneCheck(paths: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream, dnssecKeys?: string): Promise<ZoneCheckOutcome> {
  const files = await findZoneFiles(paths);
  let errors = 0;
  let keys: Map<string, DnssecKey[]> | undefined;
  if (dnssecKeys !== undefined) {
    try {
      keys = await readKeyDir(dnssecKeys);
    } catch (e) {
      err.write(`${(e as Error).message}\n`);
      errors++;
    }
  }
  for (const file of files) {
    const result = await loadZoneFile(file);
    if (result.ok) {
      for (const w of result.warnings) err.write(`${w.message} (warning)\n`);
      out.write(`${file}: zone ${result.zone.display} OK, ${result.zone.size} records, ${result.zone.pools.length} pools, ${result.zone.checks.size} checks\n`);
      if (keys) {
        const zoneKeys = keys.get(result.zone.origin) ?? [];
        const plan = keyPlan(zoneKeys, Date.now());
        if (zoneKeys.length === 0) out.write(`${file}: not signed (no keys for ${result.zone.origin})\n`);
        else if (plan.zsk.length === 0) err.write(`${file}: keys for ${result.zone.origin} but none active now: it would be served unsigned (warning)\n`);
        else {
          out.write(`${file}: signed with ${plan.zsk.map((k) => `${k.tag}/${k.algorithm}`).join(', ')}; DNSKEY ${plan.published.map((k) => k.tag).join(', ')}\n`);
          const algorithms = new Set(plan.zsk.map((k) => k.algorithm));
          for (const k of plan.ksk) if (!algorithms.has(k.algorithm)) err.write(`${file}: key ${k.tag} uses algorithm ${k.algorithm}, which no zone-signing key uses: validators need every DS algorithm to sign the zone (RFC 6840 §5.11) (warning)\n`);
        }
      }
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
    .option('--dnssec-keys <dir>', 'also read the BIND key files in this directory and say how each zone would be signed')
    .action(async (paths: string[], opts: { dnssecKeys?: string }) => {
      const { errors } = await zoneCheck(paths, process.stdout, process.stderr, opts.dnssecKeys);
      if (errors > 0) throw new CliExit(1);
    });
  return zone;
}
