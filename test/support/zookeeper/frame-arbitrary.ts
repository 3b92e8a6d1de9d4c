/**
 * Test support: fast-check arbitraries of request and response bodies for every opcode, and of multi
 * operations and results. The opcode → record tables are written out here, independently of
 * frame.ts, so the round-trip tests check frame.ts's tables. Used by the tests beside it only.
 */
import fc from 'fast-check';
import { OpCode, type RequestType, type ResponseType } from '../../../src/zookeeper/protocol/index.ts';
import { recordArbitraryByName } from './record-arbitrary.ts';

const rec = (name: string) => recordArbitraryByName(name);
const noProto = { noNullPrototype: true } as const;

export const multiOpArbitrary = fc.oneof(
  fc.record(
    {
      type: fc.constantFrom(OpCode.create, OpCode.create2, OpCode.createContainer),
      body: rec('CreateRequest'),
    },
    noProto,
  ),
  fc.record({ type: fc.constant(OpCode.createTTL), body: rec('CreateTTLRequest') }, noProto),
  fc.record(
    { type: fc.constantFrom(OpCode.delete, OpCode.deleteContainer), body: rec('DeleteRequest') },
    noProto,
  ),
  fc.record({ type: fc.constant(OpCode.setData), body: rec('SetDataRequest') }, noProto),
  fc.record({ type: fc.constant(OpCode.check), body: rec('CheckVersionRequest') }, noProto),
  fc.record({ type: fc.constant(OpCode.getChildren), body: rec('GetChildrenRequest') }, noProto),
  fc.record({ type: fc.constant(OpCode.getData), body: rec('GetDataRequest') }, noProto),
);

export const multiResultArbitrary = fc.oneof(
  fc.record({ type: fc.constant(OpCode.create), body: rec('CreateResponse') }, noProto),
  fc.record(
    {
      type: fc.constantFrom(OpCode.create2, OpCode.createContainer, OpCode.createTTL),
      body: rec('Create2Response'),
    },
    noProto,
  ),
  fc.record(
    { type: fc.constantFrom(OpCode.delete, OpCode.deleteContainer, OpCode.check), body: fc.constant(null) },
    noProto,
  ),
  fc.record({ type: fc.constant(OpCode.setData), body: rec('SetDataResponse') }, noProto),
  fc.record({ type: fc.constant(OpCode.getChildren), body: rec('GetChildrenResponse') }, noProto),
  fc.record({ type: fc.constant(OpCode.getData), body: rec('GetDataResponse') }, noProto),
  fc.record({ type: fc.constant(OpCode.error), body: rec('ErrorResponse') }, noProto),
);

export const multiRequestArbitrary = fc.record(
  { ops: fc.array(multiOpArbitrary, { maxLength: 4 }) },
  noProto,
);
export const multiResponseArbitrary = fc.record(
  { results: fc.array(multiResultArbitrary, { maxLength: 4 }) },
  noProto,
);

/** Request body per opcode. */
export const requestBodies: Record<RequestType, fc.Arbitrary<unknown>> = {
  [OpCode.create]: rec('CreateRequest'),
  [OpCode.delete]: rec('DeleteRequest'),
  [OpCode.exists]: rec('ExistsRequest'),
  [OpCode.getData]: rec('GetDataRequest'),
  [OpCode.setData]: rec('SetDataRequest'),
  [OpCode.getACL]: rec('GetACLRequest'),
  [OpCode.setACL]: rec('SetACLRequest'),
  [OpCode.getChildren]: rec('GetChildrenRequest'),
  [OpCode.sync]: rec('SyncRequest'),
  [OpCode.ping]: fc.constant(null),
  [OpCode.getChildren2]: rec('GetChildren2Request'),
  [OpCode.check]: rec('CheckVersionRequest'),
  [OpCode.multi]: multiRequestArbitrary,
  [OpCode.create2]: rec('CreateRequest'),
  [OpCode.reconfig]: rec('ReconfigRequest'),
  [OpCode.checkWatches]: rec('CheckWatchesRequest'),
  [OpCode.removeWatches]: rec('RemoveWatchesRequest'),
  [OpCode.createContainer]: rec('CreateRequest'),
  [OpCode.createTTL]: rec('CreateTTLRequest'),
  [OpCode.multiRead]: multiRequestArbitrary,
  [OpCode.auth]: rec('AuthPacket'),
  [OpCode.setWatches]: rec('SetWatches'),
  [OpCode.sasl]: rec('GetSASLRequest'),
  [OpCode.getEphemerals]: rec('GetEphemeralsRequest'),
  [OpCode.getAllChildrenNumber]: rec('GetAllChildrenNumberRequest'),
  [OpCode.setWatches2]: rec('SetWatches2'),
  [OpCode.addWatch]: rec('AddWatchRequest'),
  [OpCode.whoAmI]: fc.constant(null),
  [OpCode.closeSession]: fc.constant(null),
};

export const responseBodies: Record<ResponseType, fc.Arbitrary<unknown>> = {
  [OpCode.create]: rec('CreateResponse'),
  [OpCode.delete]: fc.constant(null),
  [OpCode.exists]: rec('ExistsResponse'),
  [OpCode.getData]: rec('GetDataResponse'),
  [OpCode.setData]: rec('SetDataResponse'),
  [OpCode.getACL]: rec('GetACLResponse'),
  [OpCode.setACL]: rec('SetACLResponse'),
  [OpCode.getChildren]: rec('GetChildrenResponse'),
  [OpCode.sync]: rec('SyncResponse'),
  [OpCode.ping]: fc.constant(null),
  [OpCode.getChildren2]: rec('GetChildren2Response'),
  [OpCode.check]: rec('SetDataResponse'),
  [OpCode.multi]: multiResponseArbitrary,
  [OpCode.create2]: rec('Create2Response'),
  [OpCode.reconfig]: rec('GetDataResponse'),
  [OpCode.checkWatches]: fc.constant(null),
  [OpCode.removeWatches]: fc.constant(null),
  [OpCode.createContainer]: rec('Create2Response'),
  [OpCode.createTTL]: rec('Create2Response'),
  [OpCode.multiRead]: multiResponseArbitrary,
  [OpCode.auth]: fc.constant(null),
  [OpCode.setWatches]: fc.constant(null),
  [OpCode.sasl]: rec('SetSASLResponse'),
  [OpCode.getEphemerals]: rec('GetEphemeralsResponse'),
  [OpCode.getAllChildrenNumber]: rec('GetAllChildrenNumberResponse'),
  [OpCode.setWatches2]: fc.constant(null),
  [OpCode.addWatch]: rec('ErrorResponse'),
  [OpCode.whoAmI]: rec('WhoAmIResponse'),
  [OpCode.closeSession]: fc.constant(null),
};
