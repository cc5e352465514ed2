/**
 * When every member of a pool is down, the pool's `all-down=` rule decides the answer:
 * serve-all (fail open: every member), serve-backup (only the backups), nodata (NOERROR, no
 * records, the SOA in the authority section) or servfail.
 */
import { describe, expect, it } from 'vitest';
import { dig, expectRR } from '../../helpers/dig.js';
import { addressSet, POLL, query, startBackends, startRondo, zoneText } from './fixture.js';

describe('all-down rules', () => {
  it('answers each all-down mode once every member failed its checks, and recovers with one live member', async () => {
    // Backends made and stopped at once: their port is known and every probe is refused.
    const backends = await startBackends(['127.0.0.31', '127.0.0.32', '127.0.0.33']);
    await Promise.all(backends.map((b) => b.stop()));
    const port = backends[0]?.port ?? 0;
    const rondo = await startRondo(
      zoneText(`
;@check web tcp port=${port} interval=200ms timeout=150ms fall=2 rise=1
;@pool fail-open check=web all-down=serve-all
fail-open   20 IN A 127.0.0.31
fail-open   20 IN A 127.0.0.32
;@pool to-backup check=web all-down=serve-backup
to-backup   20 IN A 127.0.0.31
to-backup   20 IN A 127.0.0.32
to-backup   20 IN A 127.0.0.33   ;@ backup
;@pool empty check=web all-down=nodata
empty       20 IN A 127.0.0.31
empty       20 IN A 127.0.0.32
;@pool fail check=web all-down=servfail
fail        20 IN A 127.0.0.31
fail        20 IN A 127.0.0.32
`),
    );
    // Before the first verdicts, unknown=up (the default) answers the primaries.
    expect(await addressSet(rondo.target, 'empty.example.test')).toEqual(['127.0.0.31', '127.0.0.32']);

    await expect.poll(() => rondo.states('to-backup'), POLL).toEqual(['down', 'down', 'down']);

    expect(await addressSet(rondo.target, 'fail-open.example.test')).toEqual(['127.0.0.31', '127.0.0.32']);
    expect(await addressSet(rondo.target, 'to-backup.example.test')).toEqual(['127.0.0.33']);

    const empty = await dig(rondo.target, 'empty.example.test', 'A');
    expect(empty.status).toBe('NOERROR');
    expect(empty.flags).toContain('aa');
    expect(empty.answer).toEqual([]);
    expectRR(empty.authority, 'example.test. 30 IN SOA ns1.example.test. hostmaster.example.test. 1 7200 900 1209600 30');

    const fail = await dig(rondo.target, 'fail.example.test', 'A');
    expect(fail.status).toBe('SERVFAIL');
    expect(fail.answer).toEqual([]);
    expect((await query(rondo.target, 'fail.example.test', { type: 'A' })).rcode).toBe(2);

    // One member comes back: every pool answers it alone, whatever its all-down rule.
    await backends[1]?.start();
    for (const name of ['fail-open', 'to-backup', 'empty', 'fail']) {
      await expect.poll(() => addressSet(rondo.target, `${name}.example.test`), POLL).toEqual(['127.0.0.32']);
    }
  });
});
