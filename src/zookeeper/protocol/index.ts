export { CreateMode, type CreateModeTraits, type CreateModeValue, createModeTraits } from './create-mode.ts';
export {
  ZOO_ERRORS,
  type ZooError,
  ZooErrorCode,
  type ZooErrorName,
  zooErrorByCode,
  zooErrorName,
} from './error-codes.ts';
export {
  FOUR_LETTER_WORDS,
  type FourLetterWord,
  fourLetterWordOfLength,
  recognizeFourLetterWord,
} from './four-letter-words.ts';
export {
  checkFrameLength,
  decodeNotification,
  decodeRequest,
  decodeResponse,
  encodeNotification,
  encodeRequest,
  encodeResponse,
  JUTE_MAX_BUFFER_DEFAULT,
  type MultiOp,
  type MultiRequest,
  type MultiResponse,
  type MultiResult,
  peekXid,
  REQUEST_TYPES,
  type RequestBodies,
  type RequestType,
  type ResponseBodies,
  type ResponseType,
  type UnknownRequest,
  type ZooRequest,
  type ZooResponse,
} from './frame.ts';
export {
  decodeConnectRequest,
  decodeConnectResponse,
  encodeConnectRequest,
  encodeConnectResponse,
  type Handshake,
} from './handshake.ts';
export { readUstring, readVector, writeUstring, writeVector } from './jute.ts';
export { OpCode, type OpCodeName, type OpCodeValue, opCodeName } from './op-codes.ts';
export { Perms } from './perms.ts';
export * from './records.generated.ts';
export type { JuteField, JutePrimitive, JuteType, RecordCodec, RecordSchema } from './schema.ts';
export { Xid } from './special-xids.ts';
export { AddWatchMode, EventType, KeeperState, WatcherType } from './watch-events.ts';
