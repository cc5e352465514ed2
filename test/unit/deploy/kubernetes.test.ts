/**
 * Issue 16: the Kubernetes example (deploy/kubernetes/*.yaml) is checked without a cluster: every
 * document parses, has the fields its kind requires (a small schema of the parts used), ExternalDNS
 * points at the webhook address the Rondo sidecar listens on, the sidecar's arguments are options
 * `rondo serve` has, its zone file loads, and the annotations are the ones the README documents.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildProgram } from '../../../cli/program.js';
import { parseZoneText } from '../../../zones/load.js';

const ROOT = path.join(import.meta.dirname, '..', '..', '..');
const DIR = path.join(ROOT, 'deploy', 'kubernetes');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));

type Doc = Record<string, unknown>;
const str = (v: unknown): v is string => typeof v === 'string' && v !== '';
const obj = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): v is unknown[] => Array.isArray(v);

function docs(file: string): Doc[] {
  const parsed = parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8'));
  const out: Doc[] = [];
  for (const d of parsed) {
    expect(d.errors.map((e) => e.message), file).toEqual([]);
    const value: unknown = d.toJS();
    if (value !== null) out.push(value as Doc);
  }
  return out;
}

/** The parts of each kind's schema the example uses. */
const SCHEMA: Record<string, { apiVersion: string; check(doc: Doc): string[] }> = {
  Namespace: { apiVersion: 'v1', check: () => [] },
  ServiceAccount: { apiVersion: 'v1', check: () => [] },
  Secret: { apiVersion: 'v1', check: (d) => (obj(d.stringData) && Object.values(d.stringData).every(str) ? [] : ['stringData must map keys to strings']) },
  ConfigMap: { apiVersion: 'v1', check: (d) => (obj(d.data) && Object.values(d.data).every(str) ? [] : ['data must map keys to strings']) },
  ClusterRole: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    check: (d) => (list(d.rules) && d.rules.every((r) => obj(r) && list(r.apiGroups) && list(r.resources) && list(r.verbs)) ? [] : ['rules need apiGroups, resources, verbs']),
  },
  ClusterRoleBinding: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    check: (d) => (obj(d.roleRef) && str(d.roleRef.name) && list(d.subjects) ? [] : ['roleRef and subjects are required']),
  },
  Service: {
    apiVersion: 'v1',
    check: (d) => {
      const spec = d.spec;
      if (!obj(spec) || !list(spec.ports)) return ['spec.ports is required'];
      return spec.ports.every((p) => obj(p) && Number.isInteger(p.port) && ['UDP', 'TCP', undefined].includes(p.protocol as string | undefined)) ? [] : ['ports need an integer port and UDP/TCP'];
    },
  },
  Deployment: {
    apiVersion: 'apps/v1',
    check: (d) => {
      const spec = d.spec as Doc | undefined;
      const template = spec?.template as Doc | undefined;
      const pod = template?.spec as Doc | undefined;
      const errors: string[] = [];
      if (!obj(spec?.selector) || !obj((spec.selector as Doc).matchLabels)) errors.push('spec.selector.matchLabels is required');
      const labels = (template?.metadata as Doc | undefined)?.labels;
      for (const [k, v] of Object.entries(((spec?.selector as Doc | undefined)?.matchLabels as Doc | undefined) ?? {})) if (!obj(labels) || labels[k] !== v) errors.push(`template labels must match selector ${k}`);
      if (!list(pod?.containers) || pod.containers.length === 0) return [...errors, 'containers are required'];
      for (const c of pod.containers) {
        if (!obj(c) || !str(c.name) || !str(c.image)) errors.push('a container needs name and image');
        else if (c.args !== undefined && !(list(c.args) && c.args.every(str))) errors.push(`${c.name}: args must be strings`);
      }
      return errors;
    },
  },
};

const all = FILES.flatMap((f) => docs(f).map((d) => ({ file: f, doc: d })));
const byKind = (kind: string) => all.filter((x) => x.doc.kind === kind).map((x) => x.doc);

describe('deploy/kubernetes (issue 16)', () => {
  it('has manifests', () => {
    expect(FILES.length).toBeGreaterThan(0);
    expect(all.length).toBeGreaterThan(5);
  });

  it('every document fits the schema of its kind', () => {
    for (const { file, doc } of all) {
      const schema = SCHEMA[String(doc.kind)];
      expect(schema, `${file}: kind ${String(doc.kind)} has no schema here`).toBeDefined();
      if (!schema) continue;
      expect(doc.apiVersion, `${file} ${String(doc.kind)}`).toBe(schema.apiVersion);
      expect(obj(doc.metadata) && str(doc.metadata.name), `${file} ${String(doc.kind)}: metadata.name`).toBe(true);
      expect(schema.check(doc), `${file} ${String(doc.kind)} ${String((doc.metadata as Doc).name)}`).toEqual([]);
    }
  });

  it('runs Rondo as ExternalDNS\'s webhook sidecar, with options rondo serve has', () => {
    const deployment = byKind('Deployment').find((d) => (d.metadata as Doc).name === 'external-dns') as Doc;
    const containers = ((deployment.spec as Doc).template as Doc).spec as { containers: { name: string; args: string[] }[] };
    const externalDns = containers.containers.find((c) => c.name === 'external-dns');
    const rondo = containers.containers.find((c) => c.name === 'rondo');
    expect(externalDns?.args).toContain('--provider=webhook');
    const url = externalDns?.args.find((a) => a.startsWith('--webhook-provider-url='))?.split('=')[1];
    const args = rondo?.args ?? [];
    expect(args[0]).toBe('serve');
    const webhook = args[args.indexOf('--externaldns') + 1];
    expect(new URL(url ?? '').port).toBe(webhook?.split(':')[1]);
    expect(['localhost', '127.0.0.1']).toContain(new URL(url ?? '').hostname);
    const serve = buildProgram().commands.find((c) => c.name() === 'serve');
    const flags = new Set(serve?.options.flatMap((o) => [o.long, o.short]).filter(str));
    for (const a of args.slice(1).filter((x) => x.startsWith('-'))) expect(flags.has(a.split('=')[0] ?? ''), `rondo serve has no ${a}`).toBe(true);
  });

  it('the zone file in the ConfigMap loads, with the webhook\'s default check and the template pool', () => {
    const data = (byKind('ConfigMap')[0]?.data ?? {}) as Record<string, string>;
    for (const [name, text] of Object.entries(data)) {
      const result = parseZoneText(text, name);
      expect(result.ok, result.ok ? '' : result.errors.map((e) => e.message).join('\n')).toBe(true);
      if (!result.ok) continue;
      expect(result.zone.checks.has('externaldns')).toBe(true);
      expect(result.zone.pools.some((p) => p.name === 'www.example.org.')).toBe(true);
    }
  });

  it('annotates the example Service only with annotations the README documents', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const services = byKind('Service').filter((s) => obj((s.metadata as Doc).annotations));
    expect(services.length).toBeGreaterThan(0);
    for (const s of services) {
      for (const key of Object.keys((s.metadata as Doc).annotations as Doc)) expect(readme, `README does not document ${key}`).toContain(key);
    }
  });
});
