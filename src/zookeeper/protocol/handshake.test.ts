import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { recordArbitraryByName } from '../../../test/support/zookeeper/record-arbitrary.ts';
import { DecodeError } from '../../base/index.ts';
import {
  decodeConnectRequest,
  decodeConnectResponse,
  encodeConnectRequest,
  encodeConnectResponse,
} from './handshake.ts';
import type { ConnectRequest, ConnectResponse } from './records.generated.ts';

const passwd = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

// Built by hand from the IDL layout: a reconnect of session 0x1000000abc with timeout 30000 ms.
const REQUEST_44 =
  '0000002c' + // length 44
  '00000000' + // protocolVersion 0
  '0000000100000002' + // lastZxidSeen 0x100000002
  '00007530' + // timeOut 30000
  '0000001000000abc' + // sessionId
  '00000010' +
  passwd.toString('hex'); // passwd, 16 bytes
const REQUEST_45 = `0000002d${REQUEST_44.slice(8)}01`; // + readOnly true

const RESPONSE_36 =
  '00000024' + // length 36
  '00000000' + // protocolVersion 0
  '00004e20' + // negotiated timeOut 20000
  '0000001000000abc' + // sessionId
  '00000010' +
  passwd.toString('hex');
const RESPONSE_37 = `00000025${RESPONSE_36.slice(8)}00`; // + readOnly false

const request: ConnectRequest = {
  protocolVersion: 0,
  lastZxidSeen: 0x100000002n,
  timeOut: 30000,
  sessionId: 0x1000000abcn,
  passwd,
  readOnly: true,
};
const response: ConnectResponse = {
  protocolVersion: 0,
  timeOut: 20000,
  sessionId: 0x1000000abcn,
  passwd,
  readOnly: false,
};

describe('session handshake', () => {
  test('ConnectRequest with the readOnly byte (45 bytes): golden bytes both ways', () => {
    assert.equal(Buffer.concat(encodeConnectRequest(request, true)).toString('hex'), REQUEST_45);
    assert.deepEqual(decodeConnectRequest(Buffer.from(REQUEST_45, 'hex').subarray(4)), {
      message: request,
      hasReadOnly: true,
    });
  });

  test('ConnectRequest without it (44 bytes, 3.3-era and node-zookeeper-client): readOnly reads false', () => {
    assert.equal(Buffer.concat(encodeConnectRequest(request, false)).toString('hex'), REQUEST_44);
    assert.deepEqual(decodeConnectRequest(Buffer.from(REQUEST_44, 'hex').subarray(4)), {
      message: { ...request, readOnly: false },
      hasReadOnly: false,
    });
  });

  test('ConnectResponse in both forms (37 and 36 bytes)', () => {
    assert.equal(Buffer.concat(encodeConnectResponse(response, true)).toString('hex'), RESPONSE_37);
    assert.equal(Buffer.concat(encodeConnectResponse(response, false)).toString('hex'), RESPONSE_36);
    assert.deepEqual(decodeConnectResponse(Buffer.from(RESPONSE_37, 'hex').subarray(4)), {
      message: response,
      hasReadOnly: true,
    });
    assert.deepEqual(decodeConnectResponse(Buffer.from(RESPONSE_36, 'hex').subarray(4)), {
      message: response,
      hasReadOnly: false,
    });
  });

  test('a new session: zero id, 16 zero bytes of password', () => {
    const fresh = { ...request, lastZxidSeen: 0n, sessionId: 0n, passwd: Buffer.alloc(16), readOnly: false };
    const frame = Buffer.concat(encodeConnectRequest(fresh, true)).subarray(4);
    assert.equal(frame.length, 45);
    assert.deepEqual(decodeConnectRequest(frame).message, fresh);
  });

  test('more than one byte after passwd, or a short frame, is malformed', () => {
    const long = Buffer.from(`${REQUEST_45.slice(8)}00`, 'hex');
    assert.throws(() => decodeConnectRequest(long), /trailing/);
    assert.throws(() => decodeConnectRequest(Buffer.from(REQUEST_44.slice(8, 60), 'hex')), DecodeError);
    assert.throws(() => decodeConnectResponse(Buffer.from(`${RESPONSE_37.slice(8)}0000`, 'hex')), /trailing/);
    assert.throws(() => decodeConnectRequest(Buffer.alloc(0x100000)), /jute.maxbuffer/);
  });

  test('property: every request and response round trips in both forms', () => {
    fc.assert(
      fc.property(
        recordArbitraryByName('ConnectRequest'),
        recordArbitraryByName('ConnectResponse'),
        fc.boolean(),
        (req, res, hasReadOnly) => {
          const q = req as unknown as ConnectRequest;
          const s = res as unknown as ConnectResponse;
          const rq = decodeConnectRequest(Buffer.concat(encodeConnectRequest(q, hasReadOnly)).subarray(4));
          assert.deepStrictEqual(rq, { message: { ...q, readOnly: hasReadOnly && q.readOnly }, hasReadOnly });
          const rs = decodeConnectResponse(Buffer.concat(encodeConnectResponse(s, hasReadOnly)).subarray(4));
          assert.deepStrictEqual(rs, { message: { ...s, readOnly: hasReadOnly && s.readOnly }, hasReadOnly });
        },
      ),
      { numRuns: 100 },
    );
  });
});
