import { describe, expect, it } from 'vitest';
import { formatDuration, renderStatusTable, type StatusModel } from '../../../health/status.js';

const model: StatusModel = {
  generatedAt: 10_000,
  prefix: 'rondo',
  targets: [
    {
      id: 'example.test./web/192.0.2.10/8080',
      members: [{ pool: 'www.example.test.', address: '192.0.2.10' }],
      quorum: 'majority',
      checkers: [
        { checker: 'node-a', state: 'up', reason: 'HTTP 200', latencyMs: 12.34, load: undefined, ageMs: 400, fresh: true, expiresInMs: 2600 },
        { checker: 'node-b', state: 'down', reason: 'timeout after 1000ms', latencyMs: undefined, load: 0.5, ageMs: 9000, fresh: false, expiresInMs: -6000 },
      ],
      consensus: { state: 'up', reason: '1/1 checkers: HTTP 200', ups: 1, downs: 0, required: 1, latencyMs: 12.34, load: undefined },
      override: { kind: 'drain', reason: 'maintenance', by: 'ops', setAt: 9000, expiresInMs: 50_000 },
      effective: 'down',
    },
  ],
  memberOverrides: [{ pool: 'www.example.test.', address: '192.0.2.11', kind: 'force-down', reason: undefined, by: 'ops', setAt: 1, expiresInMs: undefined }],
  nodes: [{ nodeId: 'dns-1:10', role: 'dns', startedAt: 0, at: 9500, version: '0.1.0', pid: 10, host: 'dns-1', lastSeenMs: 500, upForMs: 10_000 }],
};

describe('renderStatusTable', () => {
  const text = renderStatusTable(model);
  const lines = text.split('\n');

  it('shows each target with its effective state, override and votes', () => {
    const row = lines.find((l) => l.startsWith('example.test./web/192.0.2.10/8080'));
    expect(row).toBeDefined();
    expect(row).toMatch(/\bdown\s+drain \(50\.0s left\)\s+1 up, 0 down \(need 1\)\s+majority\s+www\.example\.test\. 192\.0\.2\.10$/);
  });

  it('lists each checker under its target, marking stale verdicts', () => {
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}node-a\s+up\s+12\.3ms\s+-\s+400ms ago\s+HTTP 200$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}node-b\s+down \(stale\)\s+-\s+load 0\.5\s+9\.0s ago\s+timeout after 1000ms$/));
  });

  it('lists member overrides and nodes', () => {
    expect(text).toContain('Member overrides (1)');
    expect(lines).toContainEqual(expect.stringMatching(/^www\.example\.test\.\s+192\.0\.2\.11\s+force-down\s+never\s+ops\s+-$/));
    expect(lines).toContainEqual(expect.stringMatching(/^dns-1:10\s+dns\s+dns-1\s+10\s+0\.1\.0\s+10\.0s\s+500ms ago$/));
  });

  it('says (none) for empty sections', () => {
    const empty = renderStatusTable({ ...model, targets: [], memberOverrides: [], nodes: [] });
    expect(empty.match(/\(none\)/g)).toHaveLength(3);
  });
});

describe('formatDuration', () => {
  it.each([
    [-5, '0ms'],
    [850, '850ms'],
    [4200, '4.2s'],
    [190_000, '3m10s'],
    [7_500_000, '2h5m'],
  ])('%i -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
