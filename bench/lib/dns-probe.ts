/** One UDP question to a server under test, to see that it is up and answers what it should. */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { decodeMessage } from './dns-decode.js';

function query(name: string, type: number): Buffer {
  const labels = name.replace(/\.$/, '').split('.');
  const id = Math.floor(Math.random() * 65536);
  return Buffer.concat([
    Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
    Buffer.from([0, type >> 8, type & 0xff, 0, 1]),
  ]);
}

/** The A addresses answered, or undefined on timeout or error. */
export async function askA(port: number, name: string, timeoutMs = 500): Promise<string[] | undefined> {
  const socket = dgram.createSocket('udp4');
  try {
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    socket.send(query(name, 1), port, '127.0.0.1');
    const reply = await Promise.race([
      once(socket, 'message').then(([msg]) => msg as Buffer),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs)),
    ]);
    if (!reply) return undefined;
    const decoded = decodeMessage(reply);
    if (!decoded.ok || decoded.message.rcode !== 0) return undefined;
    return decoded.message.answer.flatMap((rr) => (rr.rdata.kind === 'A' ? [rr.rdata.address] : []));
  } catch {
    return undefined;
  } finally {
    socket.close();
  }
}

/** Waits until the server answers `name` with `count` addresses; throws after `deadlineMs`. */
export async function waitForAnswer(port: number, name: string, count: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  let last: string[] | undefined;
  while (Date.now() < until) {
    last = await askA(port, name);
    if (last && last.length === count) return;
    await new Promise((r) => setTimeout(r, 200)); // bounded poll of a foreign process
  }
  throw new Error(`no answer with ${count} addresses within ${deadlineMs} ms (last: ${last === undefined ? 'none' : JSON.stringify(last)})`);
}
