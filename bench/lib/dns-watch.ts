/**
 * A DNS watcher process, for tests that cannot query from their own process (servers inside
 * network namespaces: run it in one with `ip netns exec`). Every EVERY_MS it asks each server for
 * NAME (A, UDP, 1 s timeout) and prints one JSON line per round:
 *   {"round":1,"answers":[{"server":"10.231.0.11:5300","rcode":0,"addresses":["10.231.0.15"]},…]}
 * (`rcode` -1: no answer in time). Addresses are sorted. Runs until killed.
 *
 *   node dist/bench/lib/dns-watch.js EVERY_MS NAME HOST:PORT [HOST:PORT …]
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { answerAddresses as addresses, aQuery as query } from './udp-asker.js';

interface Answer {
  readonly server: string;
  readonly rcode: number;
  readonly addresses: readonly string[];
}

async function ask(socket: dgram.Socket, waiting: Map<number, (a: Answer) => void>, id: number, server: string, name: string): Promise<Answer> {
  const [host, port] = server.split(/:(?=\d+$)/) as [string, string];
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      resolve({ server, rcode: -1, addresses: [] });
    }, 1000);
    waiting.set(id, (a) => {
      clearTimeout(timer);
      resolve(a);
    });
    socket.send(query(id, name), Number(port), host);
  });
}

async function main(): Promise<void> {
  const [everyText, name, ...servers] = process.argv.slice(2);
  const every = Number(everyText);
  if (!Number.isFinite(every) || name === undefined || servers.length === 0) {
    process.stderr.write('usage: dns-watch EVERY_MS NAME HOST:PORT [HOST:PORT ...]\n');
    process.exit(2);
  }
  const socket = dgram.createSocket('udp4');
  socket.bind(0);
  await once(socket, 'listening');
  const waiting = new Map<number, (a: Answer) => void>();
  const serverOf = new Map<number, string>();
  socket.on('message', (msg) => {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    const resolve = waiting.get(id);
    if (!resolve) return;
    waiting.delete(id);
    const rcode = msg.readUInt16BE(2) & 0xf;
    resolve({ server: serverOf.get(id) ?? '', rcode, addresses: rcode === 0 ? addresses(msg) : [] });
  });
  let nextId = 1;
  for (let round = 1; ; round++) {
    const started = Date.now();
    const answers = await Promise.all(
      servers.map((server) => {
        const id = (nextId = (nextId % 0xffff) + 1);
        serverOf.set(id, server);
        return ask(socket, waiting, id, server, name);
      }),
    );
    process.stdout.write(`${JSON.stringify({ round, answers })}\n`);
    await new Promise((r) => setTimeout(r, Math.max(0, every - (Date.now() - started))));
  }
}

await main();
