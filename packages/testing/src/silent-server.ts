import { createServer, type AddressInfo, type Socket } from 'node:net';

/** A loopback TCP server that accepts connections and never sends a byte: a dependency that hangs. */
export interface SilentServer {
  port: number;
  /** Closes the connections it holds (their clients see the peer hang up), then the server. */
  close(): Promise<void>;
}

/** Starts a SilentServer on a free loopback port, for tests of deadlines (health checks, reachability probes). */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
