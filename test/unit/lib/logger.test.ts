import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createRootLogger, defaultLogFormat } from '../../../lib/logger.js';
import { logFormat } from '../../../cli/logging.js';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('log formats', () => {
  it('json writes one pino object a line, with the record fields', () => {
    const out = sink();
    createRootLogger('info', out.stream, 'json').child({ zone: 'example.org.' }).warn({ target: 't1' }, 'target down');
    const record = JSON.parse(out.text().trim()) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 40, zone: 'example.org.', target: 't1', msg: 'target down', pid: process.pid });
  });

  it('pretty renders the same record for a person: level, message and every field, not JSON', () => {
    const out = sink();
    createRootLogger('info', out.stream, 'pretty').child({ zone: 'example.org.' }).warn({ target: 't1' }, 'target down');
    const text = out.text();
    expect(() => JSON.parse(text.trim())).toThrow();
    expect(text).toMatch(/WARN/);
    expect(text).toContain('target down');
    expect(text).toMatch(/zone: "example\.org\."/);
    expect(text).toMatch(/target: "t1"/);
  });

  it('defaults to pretty on a terminal and json otherwise; --log-format overrides', () => {
    expect(defaultLogFormat(1)).toBe(process.stdout.isTTY === true ? 'pretty' : 'json');
    expect(logFormat({ logFormat: 'json' })).toBe('json');
    expect(logFormat({ logFormat: 'pretty' })).toBe('pretty');
    expect(logFormat({}, 2)).toBe(process.stderr.isTTY === true ? 'pretty' : 'json');
  });
});
