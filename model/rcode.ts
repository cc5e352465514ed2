/**
 * DNS response codes (RFC 1035 §4.1.1, RFC 6895 §2.3; BADVERS is RFC 6891 §6.1.3's extended
 * code): the one table, read by the answerer, its logs and metrics, and the `dns` health check.
 */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  BADVERS: 16,
} as const;

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(Rcode).map(([name, value]) => [value, name]));

/** The mnemonic of an rcode, or undefined for one without a name here. */
export function rcodeName(value: number): string | undefined {
  return NAMES.get(value);
}

/** An rcode written as a mnemonic (`NXDOMAIN`) or a header value (`3`, at most 15); undefined when unknown. */
export function rcodeValue(text: string): number | undefined {
  const upper = text.trim().toUpperCase();
  if (/^\d+$/.test(upper)) {
    const n = Number(upper);
    return n <= 15 ? n : undefined;
  }
  return Object.hasOwn(Rcode, upper) ? Rcode[upper as keyof typeof Rcode] : undefined;
}
