import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Express } from 'express';
import { StartupError } from '../errors';

export interface ListeningServer {
  readonly server: http.Server;
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish, then closes idle keep-alive sockets. */
  close(graceMs: number): Promise<void>;
}

/** Creates the HTTP server without listening yet: Node-RED must attach to it before requests. */
export function createHttpServer(app: Express): http.Server {
  const server = http.createServer(app);
  // Keep-alive sockets otherwise hold close() open for the client's idle time.
  server.keepAliveTimeout = 5000;
  return server;
}

export function listen(server: http.Server, port: number, host: string): Promise<ListeningServer> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        err.code === 'EADDRINUSE'
          ? new StartupError(`HTTP port ${port} is already in use`, 'stop what uses it or set PORT to a free port')
          : err.code === 'EACCES'
            ? new StartupError(`no permission to listen on port ${port}`, 'use a port above 1023 or set PORT')
            : err,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      const actual = (server.address() as AddressInfo).port;
      resolve({
        server,
        port: actual,
        close: (graceMs) =>
          new Promise<void>((done) => {
            const timer = setTimeout(() => {
              for (const s of sockets) s.destroy();
            }, graceMs);
            server.close(() => {
              clearTimeout(timer);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}
