/**
 * The naive Node baseline for the benchmark: a dns2 server that, per query, parses the request
 * into a Packet and builds the answer as a new Packet (createResponseFromRequest, four A records
 * pushed, serialised by dns2). This is how a DNS server in Node is usually first written.
 *
 * Run: node dist/bench/servers/dns2-naive.js PORT [ADDRESS...]
 */
import dns2 from 'dns2';

const { Packet } = dns2;
const port = Number(process.argv[2]);
const addresses = process.argv.length > 3 ? process.argv.slice(3) : ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14'];
if (!Number.isInteger(port) || port <= 0) throw new Error('usage: dns2-naive PORT [ADDRESS...]');

const server = dns2.createServer({
  udp: true,
  handle: (request, send) => {
    const response = Packet.createResponseFromRequest(request);
    const [question] = request.questions;
    if (question) {
      // A plain record object, as dns2's README builds answers (its typings want a Resource).
      for (const address of addresses) response.answers.push({ name: question.name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 20, address } as (typeof response.answers)[number]);
    }
    void send(response);
  },
});
server.on('requestError', () => undefined);
await server.listen({ udp: { port, address: '127.0.0.1' } });
console.log(`dns2 naive listening on 127.0.0.1:${port}`);
process.on('SIGTERM', () => void server.close());
