/** DNS wire constants used by the codec and the answerer (RFC 1035 §4.1, RFC 6891, RFC 7871). */

export const HEADER_SIZE = 12;

export { Rcode } from '../../model/rcode.js';

export const Opcode = { QUERY: 0 } as const;

/** Header flag bits in the second 16-bit word. */
export const Flag = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  AD: 0x0020,
  CD: 0x0010,
} as const;

export const CLASS_IN = 1;
export const CLASS_ANY = 255;

export const TYPE_OPT = 41;
export const TYPE_IXFR = 251;
export const TYPE_AXFR = 252;
export const TYPE_MAILB = 253;
export const TYPE_MAILA = 254;
export const TYPE_ANY = 255;

/** RFC 7871 EDNS Client Subnet option code. */
export const EDNS_OPTION_ECS = 8;
/** RFC 6891 §6.2.5: a requester's payload size below 512 is treated as 512. */
export const MIN_UDP_PAYLOAD = 512;
/** The largest UDP response we send whatever the requester advertises. */
export const MAX_UDP_PAYLOAD = 4096;
/** The payload size we advertise (DNS Flag Day 2020: avoids IP fragmentation). */
export const OUR_UDP_PAYLOAD = 1232;
/** RFC 1035 §4.2.2: TCP messages carry a 16-bit length. */
export const MAX_TCP_MESSAGE = 65535;
