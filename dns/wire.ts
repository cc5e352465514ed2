/**
 * The DNS wire codec: strict query parsing, response encoding with compression and truncation,
 * and a lenient decoder with presentation text for tests and probes. Our own codec rather than
 * dns2's Packet: building Packets costs ~15 µs a query, the parser must survive any malformed
 * datagram, and we need RFC 3597 generic types, TC truncation and EDNS extended RCODEs.
 */
export * from './wire/constants.js';
export type * from './wire/message.js';
export { parseQuery } from './wire/parse-query.js';
export { encodeResponse, type EncodedResponse } from './wire/encode.js';
export { decodeMessage, type DecodedMessage, type DecodedRecord, type DecodedEdns, type DecodeResult } from './wire/decode.js';
export { presentMessage, formatDecodedRecord, formatRdata, typeName, rcodeName, type PresentedMessage } from './wire/presentation.js';
export { lowerName, labelsToText, isAtOrBelow } from './wire/names.js';
