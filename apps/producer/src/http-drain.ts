import type { Server } from 'node:http';

/**
 * Stops accepting connections and resolves once the requests in flight have
 * been answered, so that none of them meets a closed publisher.
 */
export function closeHttpServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    // Keep-alive sockets would hold close() open for their idle timeout: close
    // each one as soon as its request has been answered.
    const closeIdle = setInterval(() => server.closeIdleConnections(), 50);
    server.close(() => {
      clearInterval(closeIdle);
      resolve();
    });
    server.closeIdleConnections();
  });
}
