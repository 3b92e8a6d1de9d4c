import type { Socket } from 'node:net';
import type { FlumeEvent } from '../api/event.ts';
import { AvroReader, AvroWriter } from './avro-binary.ts';
import type { NettyFrame } from './netty-frame.ts';
import {
  AVRO_SOURCE_PROTOCOL_JSON,
  AVRO_SOURCE_PROTOCOL_MD5,
  type CallResponse,
  type HandshakeResponse,
  readCallRequest,
  readHandshakeRequest,
  type Status,
  writeCallResponse,
  writeHandshakeResponse,
} from './protocol.ts';
import { RpcTransport, type RpcTransportOptions } from './rpc-transport.ts';

export interface AvroRpcHandler {
  /** `append` (one event) or `appendBatch`; the Status answered. A throw becomes an error response. */
  call(message: 'append' | 'appendBatch', events: FlumeEvent[]): Promise<Status>;
  /** The connection sent something that is not AvroSourceProtocol over Netty framing; it is closed. */
  badInput(err: Error): void;
}

/**
 * Clients' protocol hashes this process has accepted (a client sends its protocol text once per
 * hash, after a NONE answer; later connections only send the hash, as Avro's Responder caches).
 */
const knownClientHashes = new Set<string>([AVRO_SOURCE_PROTOCOL_MD5.toString('hex')]);

function compatibleProtocol(text: string): boolean {
  try {
    const p = JSON.parse(text) as { messages?: Record<string, unknown> };
    return (
      typeof p.messages === 'object' &&
      p.messages !== null &&
      ('append' in p.messages || 'appendBatch' in p.messages)
    );
  } catch {
    return false;
  }
}

/**
 * Serves AvroSourceProtocol on one accepted connection, as Avro's NettyServer + Responder do:
 * the first request carries a handshake; calls are answered in arrival order with the request's
 * serial. Malformed input closes this connection only.
 */
export function serveAvroRpc(socket: Socket, options: RpcTransportOptions, handler: AvroRpcHandler): void {
  let handshaken = false;
  let busy = false;
  let closed = false;
  const queue: NettyFrame[] = [];

  const bad = (err: Error) => {
    if (closed) return;
    closed = true;
    queue.length = 0;
    handler.badInput(err);
    socket.destroy();
  };

  const transport = new RpcTransport(
    socket,
    options,
    (f) => {
      queue.push(f);
      // A client pipelining faster than the channels accept is held back by TCP, not by memory.
      if (queue.length >= 16) socket.pause();
      if (!busy) void drain();
    },
    bad,
  );

  const answer = (
    serial: number,
    handshake: HandshakeResponse | undefined,
    call: CallResponse | undefined,
  ) => {
    const w = new AvroWriter();
    if (handshake) writeHandshakeResponse(w, handshake);
    if (call) writeCallResponse(w, call);
    transport.send(serial, w.toBuffer());
  };

  const handle = async (frame: NettyFrame): Promise<void> => {
    const r = new AvroReader(frame.payload);
    let handshake: HandshakeResponse | undefined;
    if (!handshaken) {
      const req = readHandshakeRequest(r);
      const hash = req.clientHash.toString('hex');
      if (!knownClientHashes.has(hash) && req.clientProtocol !== null) {
        if (!compatibleProtocol(req.clientProtocol)) {
          throw new Error('the client protocol has neither append nor appendBatch');
        }
        knownClientHashes.add(hash);
      }
      if (!knownClientHashes.has(hash)) {
        answer(
          frame.serial,
          {
            match: 'NONE',
            serverProtocol: AVRO_SOURCE_PROTOCOL_JSON,
            serverHash: AVRO_SOURCE_PROTOCOL_MD5,
            meta: null,
          },
          undefined,
        );
        return;
      }
      handshaken = true;
      handshake = req.serverHash.equals(AVRO_SOURCE_PROTOCOL_MD5)
        ? { match: 'BOTH', serverProtocol: null, serverHash: null, meta: null }
        : {
            match: 'CLIENT',
            serverProtocol: AVRO_SOURCE_PROTOCOL_JSON,
            serverHash: AVRO_SOURCE_PROTOCOL_MD5,
            meta: null,
          };
    }
    const call = readCallRequest(r);
    const meta = new Map<string, Buffer>();
    if (call.message !== 'append' && call.message !== 'appendBatch') {
      answer(frame.serial, handshake, {
        meta,
        error: true,
        message: `No such remote message: ${call.message}`,
      });
      return;
    }
    let response: CallResponse;
    try {
      response = { meta, error: false, status: await handler.call(call.message, [...call.events]) };
    } catch (err) {
      response = { meta, error: true, message: err instanceof Error ? err.message : String(err) };
    }
    if (!closed) answer(frame.serial, handshake, response);
  };

  const drain = async () => {
    busy = true;
    while (queue.length > 0 && !closed) {
      const frame = queue.shift()!;
      try {
        await handle(frame);
      } catch (err) {
        bad(err as Error);
      }
    }
    busy = false;
    if (!closed) socket.resume();
  };

  socket.on('close', () => {
    closed = true;
  });
}
