/**
 * The least a Node process does to serve a zone: start, (with `compile`) read and compile the zone
 * file in its own thread with the fast lane, then bind UDP and answer every query with the
 * question copied back as a response claiming `answers` records. No server, no worker thread, no
 * program imported but the compiler. bench/large-zones.ts --floor times it like Rondo and Knot:
 * a lower bound on Rondo's start-up on the same machine.
 *
 *   node dist/bench/lib/start-floor.js <bare|compile> <zone file> <port> <answers>
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';

const [mode, file, port, answers] = process.argv.slice(2);
if (mode === 'compile') {
  const { fastCompile } = await import('../../zones/fast-compile.js');
  if (!fastCompile(readFileSync(file ?? '', 'latin1'), file ?? '')) throw new Error(`${file}: not a zone the fast lane takes`);
}
const socket = dgram.createSocket('udp4');
socket.on('message', (query, from) => {
  if (query.length < 12) return;
  query[2] = (query[2] ?? 0) | 0x80;
  query.writeUInt16BE(Number(answers), 6);
  socket.send(query, from.port, from.address);
});
socket.bind(Number(port), '127.0.0.1');
