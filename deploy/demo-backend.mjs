// A demo web backend for docker-compose.yml: answers /healthz with 200 (503 while the file
// /tmp/down exists, so a backend can fail its checks without stopping), anything else with its
// name. `docker compose exec backend-2 touch /tmp/down` takes it out; `rm /tmp/down` brings it back.
import { existsSync } from 'node:fs';
import http from 'node:http';
import process from 'node:process';

const name = process.env.NAME ?? 'backend';
const port = Number(process.env.PORT ?? 8080);

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    const down = existsSync('/tmp/down');
    res.writeHead(down ? 503 : 200, { 'Content-Type': 'text/plain' }).end(down ? 'down\n' : 'ok\n');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`hello from ${name}\n`);
});
server.listen(port, '0.0.0.0', () => process.stdout.write(`${name} listening on :${port}\n`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
