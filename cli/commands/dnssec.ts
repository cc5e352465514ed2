/** `rondo dnssec ds ZONE`: the DS records of a zone's keys, to hand to the parent zone. */
import { Command } from 'commander';
import { ConfigError } from '../../lib/errors.js';
import { readKeyDir } from '../../dns/sign/keys.js';
import { dsText } from '../../dns/sign/records.js';
import { keyPlan } from '../../dns/sign/zone-signer.js';
import { lowerName } from '../../zones/names.js';

/** The DS lines for `zone`: its SEP keys (KSK/CSK), else every zone key; keys already deleted are left out. */
export async function dsLines(dir: string, zone: string, nowMs = Date.now()): Promise<string[]> {
  const origin = lowerName(zone.endsWith('.') ? zone : `${zone}.`);
  const keys = (await readKeyDir(dir)).get(origin) ?? [];
  if (keys.length === 0) throw new ConfigError('DNSSEC_NO_KEYS', `no keys for ${origin} in ${dir}`);
  const published = keyPlan(keys, nowMs).published;
  const candidates = published.length > 0 ? published : keys;
  const sep = candidates.filter((k) => (k.flags & 1) !== 0);
  return (sep.length > 0 ? sep : candidates).map((k) => dsText(k, origin));
}

/** One line per key of every zone in `dir`: zone, tag, algorithm, role and state now (for `rondo status`). */
export async function keyStatusLines(dir: string, nowMs = Date.now()): Promise<string[]> {
  const lines: string[] = [];
  for (const [zone, keys] of await readKeyDir(dir)) {
    const plan = keyPlan(keys, nowMs);
    const signed = plan.zsk.length > 0;
    lines.push(`${zone} ${signed ? 'signed' : 'not signed (no active key)'}`);
    for (const k of keys) {
      const role = plan.ksk.includes(k) && plan.zsk.includes(k) ? 'csk' : (k.flags & 1) !== 0 ? 'ksk' : 'zsk';
      const state = plan.zsk.includes(k) || plan.ksk.includes(k) ? 'active' : plan.published.includes(k) ? 'published' : k.timing.publish !== undefined && k.timing.publish > nowMs ? 'future' : 'retired';
      lines.push(`  key ${k.tag} alg ${k.algorithm} ${role} ${state}`);
    }
  }
  return lines;
}

export function dnssecCommand(): Command {
  const cmd = new Command('dnssec').description('DNSSEC keys of signed zones');
  cmd
    .command('ds')
    .description('print the DS records (SHA-256) of a zone\'s key-signing keys, for the parent zone')
    .argument('<zone>', 'the zone, e.g. example.com')
    .requiredOption('--dnssec-keys <dir>', 'directory of BIND key files (K<zone>.+<alg>+<tag>.key/.private)')
    .action(async (zone: string, opts: { dnssecKeys: string }) => {
      for (const line of await dsLines(opts.dnssecKeys, zone)) process.stdout.write(`${line}\n`);
    });
  return cmd;
}
