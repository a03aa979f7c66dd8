import { createServer } from 'node:net';

// Ports are drawn below Linux's ephemeral range (32768–60999 by default): a port handed out there can
// be taken, before the server that wanted it binds, by any outgoing connection's local end (a dev
// server once failed to start on such a port in CI). Below it only listeners compete, and each port is
// handed out once per process.
const LOW = 20_000;
const HIGH = 32_767;
const handedOut = new Set<number>();

const bindable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A TCP port nothing listens on right now, outside the ephemeral range when one can be found. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
