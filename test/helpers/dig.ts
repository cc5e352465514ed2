/**
 * Runs the real `dig` (bind9-dnsutils) against a server and parses its output into
 * presentation-format sections, so DNS assertions read like dig output:
 * `expectRR(res.answer, 'www.example.test. 20 IN A 192.0.2.10')`.
 */
import { execFile } from 'node:child_process';
import { expect } from 'vitest';

export interface DnsTarget {
  readonly host: string;
  readonly port: number;
}

export interface DigOptions {
  readonly tcp?: boolean;
  /** false: no OPT record (+noedns); a number: EDNS version to send (+edns=N). Default: EDNS 0. */
  readonly edns?: false | number;
  /** Advertised UDP payload size (+bufsize=N). */
  readonly bufsize?: number;
  /** Set the DO bit (+dnssec). */
  readonly dnssec?: boolean;
  /** EDNS Client Subnet to send (+subnet=ADDR/PREFIX). */
  readonly subnet?: string;
  /** Send RD=1 (dig's default); false sends +norecurse. */
  readonly recurse?: boolean;
  /** Query class (IN by default). */
  readonly klass?: string;
  /** Extra dig arguments. */
  readonly extra?: readonly string[];
  readonly timeoutMs?: number;
}

export interface DigResult {
  readonly status: string;
  readonly opcode: string;
  readonly id: number;
  /** Header flags as dig prints them: qr aa tc rd ra ad cd. */
  readonly flags: readonly string[];
  readonly question: readonly string[];
  readonly answer: readonly string[];
  readonly authority: readonly string[];
  readonly additional: readonly string[];
  /** The OPT pseudo-section, when the response had one. */
  readonly edns?: { readonly version: number; readonly flags: readonly string[]; readonly udp: number; readonly subnet?: string };
  readonly raw: string;
}

/** Collapses runs of blanks, as dig separates fields with tabs. */
export function normalizeRR(line: string): string {
  return line.trim().replace(/\s+/g, ' ');
}

export function parseDigOutput(raw: string): DigResult {
  let status = '';
  let opcode = '';
  let id = -1;
  let flags: string[] = [];
  const sections: Record<'question' | 'answer' | 'authority' | 'additional', string[]> = { question: [], answer: [], authority: [], additional: [] };
  let section: keyof typeof sections | 'opt' | undefined;
  let edns: { version: number; flags: string[]; udp: number; subnet?: string } | undefined;
  for (const line of raw.split('\n')) {
    const header = /^;; ->>HEADER<<- opcode: (\w+), status: (\w+), id: (\d+)/.exec(line);
    if (header) {
      opcode = header[1] ?? '';
      status = header[2] ?? '';
      id = Number(header[3]);
      continue;
    }
    const flagLine = /^;; flags:([^;]*);/.exec(line);
    if (flagLine) {
      flags = (flagLine[1] ?? '').trim().split(/\s+/).filter(Boolean);
      continue;
    }
    const sectionHeader = /^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL|OPT) (?:SECTION|PSEUDOSECTION):/.exec(line);
    if (sectionHeader) {
      const name = sectionHeader[1]?.toLowerCase();
      section = name === 'opt' ? 'opt' : (name as keyof typeof sections);
      continue;
    }
    if (line.trim() === '') {
      if (section === 'opt') section = undefined;
      continue;
    }
    if (section === 'opt') {
      const e = /^; EDNS: version: (\d+), flags:([^;]*); udp: (\d+)/.exec(line);
      if (e) edns = { version: Number(e[1]), flags: (e[2] ?? '').trim().split(/\s+/).filter(Boolean), udp: Number(e[3]) };
      const subnet = /^; CLIENT-SUBNET: (\S+)/.exec(line);
      if (subnet && edns) edns.subnet = subnet[1];
      continue;
    }
    if (section === 'question') {
      if (line.startsWith(';')) sections.question.push(normalizeRR(line.slice(1)));
      continue;
    }
    if (section && !line.startsWith(';')) sections[section].push(normalizeRR(line));
  }
  if (id < 0) throw new Error(`dig printed no response header:\n${raw}`);
  return { status, opcode, id, flags, ...sections, ...(edns ? { edns } : {}), raw };
}

export function digArgs(target: DnsTarget, name: string, type: string, options: DigOptions = {}): string[] {
  const args = [`@${target.host}`, '-p', String(target.port), '-c', options.klass ?? 'IN', '-t', type, '-q', name];
  args.push('+noall', '+comments', '+question', '+answer', '+authority', '+additional', '+nocookie', '+tries=1', '+time=3', '+ignore');
  args.push(options.tcp ? '+tcp' : '+notcp');
  if (options.edns === false) args.push('+noedns');
  else if (typeof options.edns === 'number') args.push(`+edns=${options.edns}`, '+noednsnegotiation');
  if (options.bufsize !== undefined) args.push(`+bufsize=${options.bufsize}`);
  if (options.dnssec) args.push('+dnssec');
  if (options.subnet) args.push(`+subnet=${options.subnet}`);
  if (options.recurse === false) args.push('+norecurse');
  args.push(...(options.extra ?? []));
  return args;
}

/** Runs dig once; rejects (with dig's output) when dig gets no answer. */
export function dig(target: DnsTarget, name: string, type = 'A', options: DigOptions = {}): Promise<DigResult> {
  const args = digArgs(target, name, type, options);
  return new Promise((resolve, reject) => {
    execFile('dig', args, { timeout: options.timeoutMs ?? 10_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`dig ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
        return;
      }
      try {
        resolve(parseDigOutput(stdout));
      } catch (parseErr) {
        reject(parseErr instanceof Error ? parseErr : new Error(String(parseErr)));
      }
    });
  });
}

/** Asserts that a section holds this record (whitespace-insensitive, case-sensitive). */
export function expectRR(section: readonly string[], line: string): void {
  expect(section.map(normalizeRR)).toContain(normalizeRR(line));
}

/** Asserts that a section holds exactly these records, in any order. */
export function expectSection(section: readonly string[], lines: readonly string[]): void {
  expect([...section.map(normalizeRR)].sort()).toEqual([...lines.map(normalizeRR)].sort());
}
