/**
 * Single key presses from a terminal: raw mode, one callback per character. Raw mode swallows
 * Ctrl-C as the character \u0003, so callers treat it as quit. Returns the undo function, which
 * puts the terminal back as it was and lets the process exit.
 */
import type { ReadStream } from 'node:tty';

export const CTRL_C = '\u0003';

export function onKeyPress(stdin: ReadStream, onKey: (key: string) => void): () => void {
  const wasRaw = stdin.isRaw;
  const onData = (chunk: Buffer | string): void => {
    for (const key of chunk.toString()) onKey(key);
  };
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.on('data', onData);
  stdin.resume();
  return () => {
    stdin.off('data', onData);
    stdin.setRawMode(wasRaw);
    stdin.pause();
  };
}
