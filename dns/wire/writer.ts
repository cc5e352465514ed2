/**
 * A growable message buffer with RFC 1035 §4.1.4 name compression. Encoding is synchronous, so
 * one scratch buffer is reused by every response and the finished message is copied out.
 */
import { parseTextName } from './names.js';

const POINTER_LIMIT = 0x3fff;

let scratch = Buffer.allocUnsafe(16 * 1024);


export class MessageWriter {
  private buf: Buffer;
  pos = 0;
  /** Lowercase suffix text → offset of that suffix in the message. */
  private readonly names = new Map<string, number>();
  /** Keys in insertion order with their offsets, so a rollback can forget them. */
  private readonly nameLog: { key: string; offset: number }[] = [];

  constructor() {
    this.buf = scratch;
  }

  /** Starts a new message, reusing this writer's buffer and tables. */
  reset(): void {
    this.pos = 0;
    this.names.clear();
    this.nameLog.length = 0;
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
    scratch = bigger;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  patchU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v & 0xffff, at);
  }

  /** Rewinds to `at`, forgetting names written after it. */
  rollback(at: number): void {
    this.pos = at;
    while (this.nameLog.length > 0) {
      const last = this.nameLog[this.nameLog.length - 1];
      if (!last || last.offset < at) break;
      this.nameLog.pop();
      if (this.names.get(last.key) === last.offset) this.names.delete(last.key);
    }
  }

  private remember(key: string, offset: number): void {
    if (offset > POINTER_LIMIT || this.names.has(key)) return;
    this.names.set(key, offset);
    this.nameLog.push({ key, offset });
  }

  /**
   * Writes the question name as asked (uncompressed, case kept) and records its suffixes, so
   * later names point at it and show the query's case.
   */
  question(wire: Uint8Array, lowerText: string, textStarts: readonly number[], wireStarts: readonly number[]): void {
    const at = this.pos;
    for (let i = 0; i < textStarts.length; i++) this.remember(lowerText.slice(textStarts[i] ?? 0), at + (wireStarts[i] ?? 0));
    this.bytes(wire);
  }

  /**
   * Writes an absolute presentation name. With `compress`, the longest suffix already in the
   * message becomes a pointer; suffixes written here are remembered either way, as RFC 3597 §4
   * only forbids pointing *from* new-type rdata, not *to* it.
   */
  name(text: string, compress: boolean): void {
    const parsed = parseTextName(text);
    if (!parsed) throw new Error(`not an absolute domain name: ${JSON.stringify(text)}`);
    const { labels, lowerSuffixes } = parsed;
    for (let i = 0; i < labels.length; i++) {
      const key = lowerSuffixes[i] ?? '';
      if (compress) {
        const at = this.names.get(key);
        if (at !== undefined) {
          this.u16(0xc000 | at);
          return;
        }
      }
      this.remember(key, this.pos);
      const label = labels[i] ?? new Uint8Array(0);
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }

  /** A copy of the finished message. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
