import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CreateMode, createModeTraits } from './create-mode.ts';
import { ZOO_ERRORS, ZooErrorCode, zooErrorByCode, zooErrorName } from './error-codes.ts';
import { FOUR_LETTER_WORDS, fourLetterWordOfLength, recognizeFourLetterWord } from './four-letter-words.ts';
import { JUTE_MAX_BUFFER_DEFAULT } from './frame.ts';
import { OpCode, opCodeName } from './op-codes.ts';
import { Perms } from './perms.ts';
import { Xid } from './special-xids.ts';
import { EventType, KeeperState, WatcherType } from './watch-events.ts';

describe('protocol constants', () => {
  test('opcodes', () => {
    const expected: [string, number][] = [
      ['notification', 0],
      ['create', 1],
      ['delete', 2],
      ['exists', 3],
      ['getData', 4],
      ['setData', 5],
      ['getACL', 6],
      ['setACL', 7],
      ['getChildren', 8],
      ['sync', 9],
      ['ping', 11],
      ['getChildren2', 12],
      ['check', 13],
      ['multi', 14],
      ['create2', 15],
      ['reconfig', 16],
      ['checkWatches', 17],
      ['removeWatches', 18],
      ['createContainer', 19],
      ['deleteContainer', 20],
      ['createTTL', 21],
      ['multiRead', 22],
      ['auth', 100],
      ['setWatches', 101],
      ['sasl', 102],
      ['getEphemerals', 103],
      ['getAllChildrenNumber', 104],
      ['setWatches2', 105],
      ['addWatch', 106],
      ['whoAmI', 107],
      ['createSession', -10],
      ['closeSession', -11],
      ['error', -1],
    ];
    assert.deepEqual(Object.entries(OpCode), expected);
    assert.equal(opCodeName(12), 'getChildren2');
    assert.equal(opCodeName(10), 'unknown(10)');
  });

  test('error codes, names and retriability', () => {
    assert.equal(ZOO_ERRORS.length, 32);
    assert.equal(new Set(ZOO_ERRORS.map((e) => e.code)).size, ZOO_ERRORS.length);
    for (let i = 1; i < ZOO_ERRORS.length; i++) assert.ok(ZOO_ERRORS[i]!.code < ZOO_ERRORS[i - 1]!.code);
    const expected: [string, number][] = [
      ['OK', 0],
      ['SYSTEMERROR', -1],
      ['RUNTIMEINCONSISTENCY', -2],
      ['CONNECTIONLOSS', -4],
      ['UNIMPLEMENTED', -6],
      ['BADARGUMENTS', -8],
      ['UNKNOWNSESSION', -12],
      ['NEWCONFIGNOQUORUM', -13],
      ['RECONFIGINPROGRESS', -14],
      ['APIERROR', -100],
      ['NONODE', -101],
      ['NOAUTH', -102],
      ['BADVERSION', -103],
      ['NOCHILDRENFOREPHEMERALS', -108],
      ['NODEEXISTS', -110],
      ['NOTEMPTY', -111],
      ['SESSIONEXPIRED', -112],
      ['INVALIDACL', -114],
      ['AUTHFAILED', -115],
      ['SESSIONMOVED', -118],
      ['NOTREADONLY', -119],
      ['EPHEMERALONLOCALSESSION', -120],
      ['NOWATCHER', -121],
      ['REQUESTTIMEOUT', -122],
      ['RECONFIGDISABLED', -123],
      ['SESSIONCLOSEDREQUIRESASLAUTH', -124],
      ['QUOTAEXCEEDED', -125],
      ['THROTTLEDOP', -127],
    ];
    for (const [name, code] of expected) {
      assert.equal(ZooErrorCode[name as keyof typeof ZooErrorCode], code, name);
      assert.equal(zooErrorName(code), name);
    }
    assert.equal(zooErrorByCode(-4)?.retriable, true);
    assert.equal(zooErrorByCode(-101)?.retriable, false);
    assert.equal(zooErrorName(-9999), 'UNKNOWN(-9999)');
  });

  test('create modes, watch enums, xids and permissions', () => {
    assert.deepEqual(Object.values(CreateMode), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(createModeTraits(3), {
      ephemeral: true,
      sequential: true,
      container: false,
      ttl: false,
    });
    assert.deepEqual(createModeTraits(6), {
      ephemeral: false,
      sequential: true,
      container: false,
      ttl: true,
    });
    assert.equal(createModeTraits(4)?.container, true);
    assert.equal(createModeTraits(7), undefined);
    assert.equal(createModeTraits(-1), undefined);
    assert.equal(createModeTraits(1.5), undefined);
    assert.equal(EventType.nodeChildrenChanged, 4);
    assert.equal(EventType.none, -1);
    assert.equal(KeeperState.syncConnected, 3);
    assert.equal(KeeperState.expired, -112);
    assert.equal(WatcherType.any, 3);
    assert.deepEqual(Object.values(Xid), [-1, -2, -4, -8]);
    assert.equal(Perms.read | Perms.write | Perms.create | Perms.delete | Perms.admin, Perms.all);
  });

  test('four-letter words are recognized from the first 4 bytes of a connection', () => {
    for (const word of [
      'ruok',
      'stat',
      'srvr',
      'mntr',
      'conf',
      'cons',
      'crst',
      'srst',
      'wchs',
      'wchc',
      'wchp',
      'dump',
      'envi',
      'isro',
      'dirs',
    ]) {
      assert.ok((FOUR_LETTER_WORDS as readonly string[]).includes(word), word);
    }
    for (const word of FOUR_LETTER_WORDS) {
      const bytes = Buffer.from(word, 'latin1');
      assert.equal(recognizeFourLetterWord(bytes), word);
      assert.equal(fourLetterWordOfLength(bytes.readInt32BE(0)), word);
      assert.ok(bytes.readInt32BE(0) > JUTE_MAX_BUFFER_DEFAULT, 'never a valid packet length');
    }
    assert.equal(recognizeFourLetterWord(Buffer.from('ruokXYZ')), 'ruok', 'only the first 4 bytes count');
    assert.equal(recognizeFourLetterWord(Buffer.from('RUOK')), null);
    assert.equal(recognizeFourLetterWord(Buffer.from('ruo')), null);
    assert.equal(recognizeFourLetterWord(Buffer.from('0000002d', 'hex')), null, 'a ConnectRequest length');
    assert.equal(fourLetterWordOfLength(45), null);
  });
});
