import { describe, expect, it } from 'vitest';
import { parseReply } from '../../../health/verdict-reads.js';

describe('verdict reads: the read script’s reply', () => {
  it('gives Redis’s time and each key’s fields, empty keys included', () => {
    const text = JSON.stringify(['1765000000123', 'rondo:v:a', 2, 'chk-1', '{"state":"up"}', 'chk-2', '{"state":"down"}', 'rondo:v:b', 0]);
    expect(parseReply(text)).toEqual({
      redisNow: 1765000000123,
      hashes: [
        ['rondo:v:a', { 'chk-1': '{"state":"up"}', 'chk-2': '{"state":"down"}' }],
        ['rondo:v:b', {}],
      ],
    });
  });

  it('is undefined for anything else, so the chunk is read the other way', () => {
    expect(parseReply('not json')).toBeUndefined();
    expect(parseReply('{}')).toBeUndefined();
    expect(parseReply(JSON.stringify([1765000000123]))).toBeUndefined();
    expect(parseReply(JSON.stringify(['1', 'k', 2, 'f', 'v']))).toBeUndefined();
    expect(parseReply(JSON.stringify(['1', 'k', 1, 'f', 3]))).toBeUndefined();
    expect(parseReply(JSON.stringify(['1', 'k', -1]))).toBeUndefined();
  });
});
