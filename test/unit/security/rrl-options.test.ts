/** The `rondo serve --rrl-*` flags: defaults (off), parsing, and bad values refused with the value named. */
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/errors.js';
import { addRrlOptions, rrlFromOptions, type RrlCliOptions } from '../../../cli/rrl-options.js';

function parse(args: string[]): RrlCliOptions {
  const cmd = addRrlOptions(new Command('serve')).exitOverride().configureOutput({ writeErr: () => undefined });
  cmd.parse(args, { from: 'user' });
  return cmd.opts<RrlCliOptions>();
}

describe('--rrl-* options', () => {
  it('is off unless --rrl-rate is given', () => {
    const opts = parse([]);
    expect(opts).toMatchObject({ rrlRate: 0, rrlSlip: 2, rrlWindow: 1, rrlIpv4Prefix: 24, rrlIpv6Prefix: 56, rrlExemptLoopback: true });
    expect(rrlFromOptions(opts)).toBeUndefined();
  });

  it('builds a limiter with the flags given', () => {
    const rrl = rrlFromOptions(parse(['--rrl-rate', '5', '--rrl-slip', '1', '--rrl-exempt', '192.0.2.0/24,2001:db8::/32', '--rrl-exempt', '198.51.100.7', '--no-rrl-exempt-loopback']));
    expect(rrl?.enabled).toBe(true);
    // www.example.test. 20 IN A 192.0.2.10, as the server encodes it.
    const www = Buffer.from('0007840000010001000000000377777707' + '6578616d706c65' + '0474657374' + '00' + '00010001' + 'c00c000100010000001400' + '04c000020a', 'hex');
    // Exempt networks pass everything; loopback is limited (slip 1: truncated copies, not the answer).
    for (let i = 0; i < 20; i++) expect(rrl?.filter(www, '198.51.100.7', 4)).toBe(www);
    const loopback = Array.from({ length: 20 }, () => rrl?.filter(www, '127.0.0.1', 4));
    expect(loopback.filter((r) => r === www)).toHaveLength(5);
  });

  it.each([
    [['--rrl-rate', 'ten'], CommanderError, 'ten'],
    [['--rrl-rate', '-1'], CommanderError, '-1'],
    [['--rrl-rate', '5', '--rrl-exempt', '192.0.2.0/33'], ConfigError, '192.0.2.0/33'],
    [['--rrl-rate', '5', '--rrl-slip', '99'], ConfigError, 'slip'],
  ])('refuses %j', (args, kind, word) => {
    let caught: unknown;
    try {
      rrlFromOptions(parse(args));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(kind);
    expect((caught as Error).message).toContain(word);
  });
});
