import type { Server } from 'node:http';

/**
 * Stops accepting connections and resolves once the requests in flight have
 * been answered, so that none of them meets a closed publisher.
 */
export function closeHttpServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Idle keep-alive sockets would otherwise hold close() open.
    server.closeIdleConnections();
  });
}
