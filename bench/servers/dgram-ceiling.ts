/**
 * Node's ceiling for the benchmark: a plain node:dgram server whose one answer (the bench
 * question, `www.bench.example.test. A`, with four addresses) is encoded before the first query;
 * per query it copies those bytes, patches in the query ID and sends. No parsing, no lookup, no
 * policy: whatever a Node DNS server does on top of this is its own cost.
 *
 * Run: node dist/bench/servers/dgram-ceiling.js PORT [NAME] [ADDRESS...]
 */
import dgram from 'node:dgram';

const port = Number(process.argv[2]);
const name = process.argv[3] ?? 'www.bench.example.test.';
const addresses = process.argv.length > 4 ? process.argv.slice(4) : ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14'];
if (!Number.isInteger(port) || port <= 0) throw new Error('usage: dgram-ceiling PORT [NAME] [ADDRESS...]');

function wireName(text: string): Buffer {
  const labels = text.replace(/\.$/, '').split('.');
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
}

// Header (ID patched per query): QR AA RD, QDCOUNT 1, ANCOUNT n; the question; n A records
// pointing at the question name (0xC00C), TTL 20.
const header = Buffer.from([0, 0, 0x85, 0, 0, 1, 0, addresses.length, 0, 0, 0, 0]);
const question = Buffer.concat([wireName(name), Buffer.from([0, 1, 0, 1])]);
const answers = addresses.map((a) => Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 20, 0, 4, ...a.split('.').map(Number)]));
const response = Buffer.concat([header, question, ...answers]);

const socket = dgram.createSocket('udp4');
socket.on('message', (query, rinfo) => {
  const out = Buffer.allocUnsafe(response.length);
  response.copy(out);
  out[0] = query[0] ?? 0;
  out[1] = query[1] ?? 0;
  socket.send(out, rinfo.port, rinfo.address);
});
socket.bind(port, '127.0.0.1', () => console.log(`dgram ceiling listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => socket.close());
