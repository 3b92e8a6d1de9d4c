import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatStat, parseAcl, parseZkShellArgs, tokenize } from './zk-shell.ts';

test('zkCli flags, then the command', () => {
  assert.deepEqual(parseZkShellArgs(['-server', 'h:1', '-timeout', '5000', 'ls', '/']), {
    server: 'h:1',
    timeoutMs: 5000,
    command: ['ls', '/'],
  });
  assert.deepEqual(parseZkShellArgs([]).command, []);
});

test('quoted words and ACL strings with colons in the id', () => {
  assert.deepEqual(tokenize(`set /a "two words" 'x y'`), ['set', '/a', 'two words', 'x y']);
  assert.deepEqual(parseAcl('world:anyone:r,digest:bob:abc=:cdrwa'), [
    { perms: 1, id: { scheme: 'world', id: 'anyone' } },
    { perms: 31, id: { scheme: 'digest', id: 'bob:abc=' } },
  ]);
  assert.throws(() => parseAcl('world:anyone:rz'), /cdrwa/);
});

test('stat lines as zkCli prints them', () => {
  const text = formatStat({
    czxid: 2n,
    mzxid: 3n,
    ctime: 0n,
    mtime: 1_700_000_000_000n,
    version: 1,
    cversion: 0,
    aversion: 0,
    ephemeralOwner: -(2n ** 63n),
    dataLength: 5,
    numChildren: 0,
    pzxid: 2n,
  });
  assert.equal(
    text,
    'cZxid = 0x2\nctime = Thu Jan 01 00:00:00 UTC 1970\nmZxid = 0x3\nmtime = Tue Nov 14 22:13:20 UTC 2023\n' +
      'pZxid = 0x2\ncversion = 0\ndataVersion = 1\naclVersion = 0\nephemeralOwner = 0x8000000000000000\n' +
      'dataLength = 5\nnumChildren = 0\n',
  );
});
