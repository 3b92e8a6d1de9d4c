import type { Socket as UdpSocket } from 'node:dgram';
import type { Server } from 'node:net';
import { ListenError } from './tcp-server.ts';

/**
 * Starts `server` listening on `host:port` and resolves with the bound port (the chosen one when
 * `port` is 0). A failure rejects with a ListenError that starts with `what` and names the
 * address; later server errors are left to the caller.
 */
export function listenOn(server: Server, what: string, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(
        new ListenError(`${what} cannot listen on ${host}:${port}: ${err.code ?? err.message}`, {
          cause: err,
        }),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

/** Binds a UDP socket as `listenOn` listens (all interfaces when `host` is null); the bound port. */
export function bindUdp(socket: UdpSocket, what: string, port: number, host: string | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(
        new ListenError(`${what} cannot bind ${host ?? '0.0.0.0'}:${port}: ${err.code ?? err.message}`, {
          cause: err,
        }),
      );
    socket.once('error', onError);
    const done = () => {
      socket.off('error', onError);
      resolve(socket.address().port);
    };
    if (host === null) socket.bind(port, done);
    else socket.bind(port, host, done);
  });
}
