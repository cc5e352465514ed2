/**
 * One DNS-over-TCP connection (RFC 7766): messages framed by a 2-octet length, pipelined queries
 * answered in order. The idle timer restarts only when a whole query arrives, so a peer that
 * trickles a partial message holds the connection no longer than the idle timeout.
 */
import type net from 'node:net';
import type { Logger } from '../lib/logger.js';
import type { Peer, QueryHandler } from './query-handler.js';

export interface TcpConnectionOptions {
  readonly idleTimeoutMs: number;
  /** Queries answered back to back before yielding the event loop to other clients. */
  readonly maxInFlight: number;
  readonly log: Logger;
  readonly onIdle: () => void;
}

/** Chunks are merged past this count, so a peer sending one octet per segment cannot grow the list. */
const MAX_CHUNKS = 32;

export class TcpConnection {
  /** Settles when the socket has closed, for whatever reason. */
  readonly closed: Promise<void>;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly idle: NodeJS.Timeout;
  private readonly peer: Peer;
  private waitingForDrain = false;
  private yielded = false;
  /** Shutting down: answer the complete queries already read, read no new ones, then FIN. */
  private draining = false;
  private stopped = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly handler: QueryHandler,
    private readonly options: TcpConnectionOptions,
  ) {
    this.peer = { address: socket.remoteAddress ?? '', family: socket.remoteFamily === 'IPv6' ? 6 : 4, transport: 'tcp' };
    socket.setNoDelay(true);
    this.idle = setTimeout(() => {
      options.onIdle();
      socket.destroy();
    }, options.idleTimeoutMs);
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        clearTimeout(this.idle);
        this.chunks = [];
        resolve();
      });
    });
    socket.on('error', (err) => options.log.debug({ err, client: this.peer.address }, 'tcp connection error'));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      if (!this.waitingForDrain) return;
      this.waitingForDrain = false;
      this.socket.resume();
      this.process();
    });
  }

  /**
   * Drains: answers the complete queries already read (they are in flight for the client), reads
   * no new ones, flushes, sends FIN; destroys the socket at the deadline.
   */
  async shutdown(deadline: AbortSignal): Promise<void> {
    this.draining = true;
    clearTimeout(this.idle);
    // Paused for backpressure or a yield: the drain or the yield resumes processing.
    if (!this.waitingForDrain && !this.yielded) this.process();
    if (deadline.aborted) this.socket.destroy();
    const onAbort = (): void => {
      this.socket.destroy();
    };
    deadline.addEventListener('abort', onAbort, { once: true });
    try {
      await this.closed;
    } finally {
      deadline.removeEventListener('abort', onAbort);
    }
  }

  private onData(chunk: Buffer): void {
    if (this.stopped || this.draining) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.chunks.length > MAX_CHUNKS) this.chunks = [Buffer.concat(this.chunks)];
    if (!this.waitingForDrain && !this.yielded) this.process();
  }

  private process(): void {
    let answered = 0;
    while (!this.stopped && this.buffered >= 2) {
      const length = this.peekLength();
      if (this.buffered < 2 + length) break;
      const message = this.take(2 + length).subarray(2);
      this.idle.refresh();
      const response = this.handler.handle(message, this.peer);
      if (response) this.write(response);
      answered++;
      if (this.socket.writableNeedDrain) {
        // The peer is not reading its answers: stop reading its queries until it does.
        this.waitingForDrain = true;
        this.socket.pause();
        return;
      }
      if (answered >= this.options.maxInFlight && this.buffered >= 2) {
        this.yielded = true;
        this.socket.pause();
        setImmediate(() => {
          this.yielded = false;
          if (this.stopped || this.socket.destroyed) return;
          this.socket.resume();
          this.process();
        });
        return;
      }
    }
    if (this.draining && !this.stopped) this.finishDrain();
  }

  /** Every complete query read is answered: FIN after the queued answers; keep reading to see the peer's. */
  private finishDrain(): void {
    this.stopped = true;
    this.chunks = [];
    this.buffered = 0;
    this.socket.end();
    this.socket.resume();
  }

  private write(response: Buffer): void {
    const framed = Buffer.allocUnsafe(response.length + 2);
    framed.writeUInt16BE(response.length, 0);
    response.copy(framed, 2);
    this.socket.write(framed);
  }

  private peekLength(): number {
    const first = this.chunks[0];
    if (first && first.length >= 2) return first.readUInt16BE(0);
    return this.take(2, true).readUInt16BE(0);
  }

  /** The next `n` octets; with `peek`, left in place. */
  private take(n: number, peek = false): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      if (!peek) {
        if (first.length === n) this.chunks.shift();
        else this.chunks[0] = first.subarray(n);
        this.buffered -= n;
      }
      return out;
    }
    const merged = Buffer.concat(this.chunks);
    this.chunks = [merged];
    return this.take(n, peek);
  }
}
