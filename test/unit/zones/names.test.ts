/** Domain-name text: completion, escapes, limits, and the helpers other rooms use. */
import { describe, expect, it } from 'vitest';
import { isSubdomain, nameLabels, nameToWire, nameWireLength, originOf, parentName, parseName } from '../../../zones/names.js';

const origin = originOf('Example.Test.');

describe('parseName', () => {
  it.each([
    ['www', 'www.Example.Test.', 'www.example.test.'],
    ['WWW.example.org.', 'WWW.example.org.', 'www.example.org.'],
    ['@', 'Example.Test.', 'example.test.'],
    ['.', '.', '.'],
    ['a\\.b', 'a\\.b.Example.Test.', 'a\\.b.example.test.'],
    ['\\065', 'A.Example.Test.', 'a.example.test.'],
    ['a\\032b', 'a\\032b.Example.Test.', 'a\\032b.example.test.'],
    ['a\\ b', 'a\\032b.Example.Test.', 'a\\032b.example.test.'],
    ['\\@x', '\\@x.Example.Test.', '\\@x.example.test.'],
    ['é', '\\195\\169.Example.Test.', '\\195\\169.example.test.'],
    ['*', '*.Example.Test.', '*.example.test.'],
  ])('%s', (token, display, name) => {
    expect(parseName(token, origin)).toMatchObject({ ok: true, display, name });
  });

  it.each([
    ['a..b', 'ZONE_BAD_NAME'],
    ['.a', 'ZONE_BAD_NAME'],
    ['a\\', 'ZONE_BAD_NAME'],
    ['a\\25', 'ZONE_BAD_NAME'],
    ['a\\256', 'ZONE_BAD_NAME'],
    ['x'.repeat(64), 'ZONE_LABEL_TOO_LONG'],
    [`${'\\120'.repeat(64)}`, 'ZONE_LABEL_TOO_LONG'],
    [Array(4).fill('x'.repeat(63)).join('.') + '.', 'ZONE_NAME_TOO_LONG'],
  ])('refuses %s', (token, code) => {
    expect(parseName(token, origin)).toMatchObject({ ok: false, code });
  });

  it('accepts a name of exactly 255 octets', () => {
    const name = [...Array(3).fill('x'.repeat(63)), 'x'.repeat(61)].join('.') + '.';
    expect(parseName(name, origin)).toMatchObject({ ok: true, wireLength: 255 });
  });

  it('needs an origin for relative names', () => {
    expect(parseName('www', undefined)).toMatchObject({ ok: false, code: 'ZONE_NO_ORIGIN' });
  });
});

describe('name helpers', () => {
  it('isSubdomain respects label boundaries and escapes', () => {
    expect(isSubdomain('www.example.test.', 'example.test.')).toBe(true);
    expect(isSubdomain('example.test.', 'example.test.')).toBe(true);
    expect(isSubdomain('wwwexample.test.', 'example.test.')).toBe(false);
    expect(isSubdomain('a\\.example.test.', 'example.test.')).toBe(false);
    expect(isSubdomain('a\\\\.example.test.', 'example.test.')).toBe(true);
    expect(isSubdomain('anything.', '.')).toBe(true);
  });

  it('parentName skips escaped dots', () => {
    expect(parentName('a\\.b.example.test.')).toBe('example.test.');
    expect(parentName('test.')).toBe('.');
    expect(parentName('.')).toBeUndefined();
  });

  it('nameLabels and nameToWire decode escapes', () => {
    expect(nameLabels('a\\.b.\\065.test.')).toEqual(['a\\.b', '\\065', 'test']);
    expect([...nameToWire('a\\.b.test.')]).toEqual([3, 97, 46, 98, 4, 116, 101, 115, 116, 0]);
    expect(nameWireLength('a\\.b.test.')).toBe(10);
    expect([...nameToWire('.')]).toEqual([0]);
  });
});
