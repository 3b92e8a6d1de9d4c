import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Perms } from '../protocol/index.ts';
import { digestAcl, digestOf, permsFromString, permsToString } from './acls.ts';

test('digest ids are user:base64(sha1(user:password))', () => {
  // As zkCli's DigestAuthenticationProvider.generateDigest prints for bob:pw.
  assert.equal(digestOf('bob', 'pw'), 'bob:ikIaKsbtGweaHnb/jKn7OHqbunM=');
  assert.deepEqual(digestAcl('bob', 'pw', Perms.read), {
    perms: Perms.read,
    id: { scheme: 'digest', id: 'bob:ikIaKsbtGweaHnb/jKn7OHqbunM=' },
  });
});

test('permission letters in zkCli order', () => {
  assert.equal(permsToString(Perms.all), 'cdrwa');
  assert.equal(permsToString(Perms.read | Perms.admin), 'ra');
  assert.equal(permsFromString('rw'), Perms.read | Perms.write);
  assert.equal(permsFromString('rx'), undefined);
});
