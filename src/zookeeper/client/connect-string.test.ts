import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConnectString } from './connect-string.ts';

test('servers with and without ports, IPv6 in brackets, and a chroot', () => {
  assert.deepEqual(parseConnectString('a:1,b,[::1]:3/app/x'), {
    servers: [
      { host: 'a', port: 1 },
      { host: 'b', port: 2181 },
      { host: '::1', port: 3 },
    ],
    chroot: '/app/x',
  });
  assert.equal(parseConnectString('h:2181/').chroot, '');
});

test('bad ports, empty lists and a trailing slash in the chroot are refused', () => {
  assert.throws(() => parseConnectString('h:0'), /bad port/);
  assert.throws(() => parseConnectString('h:x1'), /bad port/);
  assert.throws(() => parseConnectString(''), /no servers/);
  assert.throws(() => parseConnectString('h/app/'), /ends with/);
});
