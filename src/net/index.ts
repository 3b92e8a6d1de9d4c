export { FrameDecoder, FrameSizeError } from './frame-decoder.ts';
export {
  CloseConnectionError,
  type ConnectionInfo,
  FramedConnection,
  type FramedConnectionOptions,
  type FrameHandler,
  formatRemote,
} from './framed-connection.ts';
export { bindUdp, listenOn } from './listen.ts';
export {
  type BoundAddress,
  CLOSE_GRACE_MS_DEFAULT,
  FRAME_BYTES_MAX_DEFAULT,
  IDLE_TIMEOUT_MS_DEFAULT,
  IN_FLIGHT_BYTES_MAX_DEFAULT,
  IN_FLIGHT_MAX_DEFAULT,
  ListenError,
  TcpServer,
  type TcpServerOptions,
  WRITE_BUFFER_BYTES_HIGH_DEFAULT,
} from './tcp-server.ts';
