import { type OnReadOpts, Socket } from 'node:net';

/**
 * Size of the read buffer shared by the connections of one server. Reads into it are consumed
 * (copied out) before the callback returns, and one thread runs every callback, so one is enough.
 */
export const SHARED_READ_BUFFER_BYTES = 64 * 1024;

/**
 * Re-wraps a socket a server accepted (with `pauseOnConnect`, so nothing was read yet) as a socket
 * whose reads land in buffers the caller chooses (Node's `onread`), or returns null when that is not
 * possible here.
 *
 * Why: a plain socket allocates a fresh 64 KiB buffer for every read, and at a few hundred MB/s
 * this external memory alone makes V8 run a full mark-compact every few tens of milliseconds; with
 * `onread`, a large request frame is read straight into its own (reused) buffer instead. Node only
 * offers `onread` to sockets it constructs, never to the ones `net.Server` accepts, so the accepted
 * socket's native handle moves to a new Socket. The old Socket object (which the server counts as
 * a connection) is closed without its handle when the new one closes, so that `server.close()`
 * still completes. `_handle` is Node's internal field; without it the caller keeps the plain
 * socket.
 */
export function adoptWithReadBuffers(accepted: Socket, onread: OnReadOpts): Socket | null {
  const holder = accepted as unknown as { _handle?: object | null };
  const handle = holder._handle;
  if (handle === null || handle === undefined || accepted.readableFlowing === true) return null;
  let adopted: Socket;
  try {
    adopted = new Socket({
      handle,
      allowHalfOpen: accepted.allowHalfOpen,
      readable: true,
      writable: true,
      onread,
    } as ConstructorParameters<typeof Socket>[0]);
  } catch {
    return null;
  }
  adopted.once('close', () => {
    // The handle is closed already: detach it so that destroying the old Socket only releases the
    // server's count of it.
    holder._handle = null;
    accepted.destroy();
  });
  return adopted;
}
