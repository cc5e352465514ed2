/** `rondo zone check <file...>`: lint zone files like named-checkzone; every error, exit 1 if any. */
import { Command } from 'commander';
import { CliExit } from '../exit.js';
import { findZoneFiles, loadZoneFile } from '../../zones/load.js';
import { ZoneCompiler } from '../../zones/zone-compiler.js';
import { CompactZone } from '../../zones/compact.js';
import { fromPlain } from '../../zones/compile-files.js';
import { silentLogger } from '../../lib/logger.js';
import { readKeyDir, type DnssecKey } from '../../dns/sign/keys.js';
import { keyPlan } from '../../dns/sign/zone-signer.js';

export interface ZoneCheckOutcome {
  readonly errors: number;
}

/** One problem as `--json` prints it: where, the stable code (docs/errors.md), and the text. */
export interface ZoneProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly code: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

/** `--json`: every error and warning of every file, with its position and code. */
async function zoneCheckJson(files: readonly string[], out: NodeJS.WritableStream): Promise<ZoneCheckOutcome> {
  let errors = 0;
  const problems: ZoneProblem[] = [];
  for (const file of files) {
    const result = await loadZoneFile(file);
    const list = result.ok ? result.warnings.map((e) => ({ e, severity: 'warning' as const })) : result.errors.map((e) => ({ e, severity: 'error' as const }));
    if (!result.ok) errors += result.errors.length;
    for (const { e, severity } of list) problems.push({ file: e.file, line: e.line, column: e.column, code: e.code, severity, message: e.detail });
  }
  out.write(`${JSON.stringify(problems, null, 2)}\n`);
  return { errors };
}

export async function zoneCheck(paths: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream, dnssecKeys?: string, json = false): Promise<ZoneCheckOutcome> {
  const files = await findZoneFiles(paths);
  if (json) return zoneCheckJson(files, out);
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
  // The server's own compiler (worker thread): what passes here loads in `rondo serve`.
  const compiler = new ZoneCompiler({ logger: silentLogger() });
  try {
    for (const file of files) {
      const result = await compiler.compile({ file });
      if (result.status === 'loaded') {
        const zone = new CompactZone(result.zone);
        for (const w of result.warnings) err.write(`${fromPlain(w).message} (warning)\n`);
        out.write(`${file}: zone ${zone.display} OK, ${zone.size} records, ${zone.poolIndex.count} pools, ${zone.checks.size} checks\n`);
        if (keys) {
          const zoneKeys = keys.get(zone.origin) ?? [];
          const plan = keyPlan(zoneKeys, Date.now());
          if (zoneKeys.length === 0) out.write(`${file}: not signed (no keys for ${zone.origin})\n`);
          else if (plan.zsk.length === 0) err.write(`${file}: keys for ${zone.origin} but none active now: it would be served unsigned (warning)\n`);
          else {
            out.write(`${file}: signed with ${plan.zsk.map((k) => `${k.tag}/${k.algorithm}`).join(', ')}; DNSKEY ${plan.published.map((k) => k.tag).join(', ')}\n`);
            const algorithms = new Set(plan.zsk.map((k) => k.algorithm));
            for (const k of plan.ksk) if (!algorithms.has(k.algorithm)) err.write(`${file}: key ${k.tag} uses algorithm ${k.algorithm}, which no zone-signing key uses: validators need every DS algorithm to sign the zone (RFC 6840 §5.11) (warning)\n`);
          }
        }
      } else if (result.status === 'failed') {
        errors += result.errors.length;
        for (const e of result.errors) err.write(`${fromPlain(e).message}\n`);
      }
    }
  } finally {
    compiler.close();
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
    .option('--json', 'print every error and warning as JSON with its file, line, column and code', false)
    .action(async (paths: string[], opts: { dnssecKeys?: string; json: boolean }) => {
      const { errors } = await zoneCheck(paths, process.stdout, process.stderr, opts.dnssecKeys, opts.json);
      if (errors > 0) throw new CliExit(1);
    });
  return zone;
}
