/** Issue 11: the pool keys of skew correction, `skew=correct|off`, `ttl-min=`, `ttl-max=` — valid, then invalid with codes. */
import { describe, expect, it } from 'vitest';
import { RRType } from '../../../model/zone.js';
import { HEAD, codeLines, loadErrors, loadOk } from './helpers.js';

const WWW = 'www A 192.0.2.10\nwww A 192.0.2.11\n';

function pool(line: string) {
  const { zone } = loadOk(HEAD + line + '\n' + WWW);
  const p = zone.pools.find((x) => x.name === 'www.example.test.' && x.type === RRType.A);
  if (!p) throw new Error('pool missing');
  return p;
}

describe('skew pool keys', () => {
  it('defaults to skew=off with no TTL bounds', () => {
    expect(pool(';@pool www').config).toMatchObject({ skew: 'off', ttlMin: undefined, ttlMax: undefined });
  });

  it.each([
    ['skew=off', { skew: 'off' }],
    ['skew=correct', { skew: 'correct', ttlMin: undefined, ttlMax: undefined }],
    ['skew=correct ttl-min=2', { skew: 'correct', ttlMin: 2 }],
    ['skew=correct ttl-min=0', { skew: 'correct', ttlMin: 0 }],
    ['skew=correct ttl-max=1m', { skew: 'correct', ttlMax: 60 }],
    ['skew=correct ttl-min=1s ttl-max=30s', { skew: 'correct', ttlMin: 1, ttlMax: 30 }],
    ['skew=correct ttl=5 ttl-min=5', { skew: 'correct', ttlMin: 5 }],
    ['skew=correct policy=weighted', { skew: 'correct', policy: 'weighted', answers: 1 }],
    ['skew=correct answers=all', { skew: 'correct', answers: 'all' }],
  ])('reads %s', (keys, expected) => {
    expect(pool(`;@pool www ${keys}`).config).toMatchObject(expected);
  });

  it('leaves the pool TTL as it was', () => {
    expect(pool(';@pool www skew=correct ttl=5 ttl-max=10').ttl).toBe(5);
  });

  const invalid: [string, string, number][] = [
    [';@pool www skew=on', 'ZONE_BAD_VALUE', 12],
    [';@pool www skew=', 'ZONE_BAD_VALUE', 12],
    [';@pool www skew', 'ZONE_BAD_VALUE', 12],
    [';@pool www skew=correct ttl-min=-1', 'ZONE_BAD_VALUE', 25],
    [';@pool www skew=correct ttl-min=soon', 'ZONE_BAD_VALUE', 25],
    [';@pool www skew=correct map=geo', 'ZONE_BAD_VALUE', 12],
    [';@pool www skew=correct ttl-max=0', 'ZONE_BAD_VALUE', 25],
    [';@pool www skew=correct ttl-max=2147483648', 'ZONE_BAD_VALUE', 25],
    [';@pool www skew=correct ttl-min=10 ttl-max=5', 'ZONE_BAD_VALUE', 25],
    [';@pool www skew=correct ttl=5 ttl-min=6', 'ZONE_BAD_VALUE', 31],
    [';@pool www ttl-min=1', 'ZONE_BAD_VALUE', 12],
    [';@pool www skew=off ttl-max=5', 'ZONE_BAD_VALUE', 21],
    [';@pool www skew=correct policy=sticky', 'ZONE_BAD_VALUE', 12],
    [';@pool www skew=correct policy=failover', 'ZONE_BAD_VALUE', 12],
    [';@pool www skew=correct skew=off', 'ZONE_DUPLICATE_KEY', 25],
    [';@pool www ttl-mid=3', 'ZONE_UNKNOWN_KEY', 12],
  ];
  it.each(invalid)('refuses %s', (line, code, column) => {
    const errors = loadErrors(HEAD + line + '\n' + WWW);
    expect(codeLines(errors)).toEqual([`${code}@6`]);
    expect(errors[0]?.column).toBe(column);
  });
});
