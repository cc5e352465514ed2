/** A loopback port free for both UDP and TCP right now (a DNS server listens on both). */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';

export async function freeDnsPort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = net.createServer();
    tcp.listen(0, host);
    await once(tcp, 'listening');
    const address = tcp.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const udp = dgram.createSocket('udp4');
    const udpOk = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, host, () => resolve(true));
    });
    if (udpOk) udp.close();
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    if (udpOk && port !== 0) return port;
  }
  throw new Error('could not find a port free for both UDP and TCP');
}
