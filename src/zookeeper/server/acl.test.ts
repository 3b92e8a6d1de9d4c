import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ZooErrorCode } from '../protocol/index.ts';
import { AclError, digestId, fixupAcl, ipMatches, permitted } from './acl.ts';

test('digest ids are user:base64(sha1(user:password)), as kazoo and ZooKeeper compute them', () => {
  assert.equal(digestId('alice:secret'), 'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=');
  assert.equal(digestId('super:superpw'), 'super:g9oN2HttPfn8MMWJZ2r45Np/LIA=');
});

test('permitted: world, digest, ip prefixes, super; any bit of the asked permission', () => {
  const digest = [{ perms: 1, id: { scheme: 'digest', id: digestId('bob:pw') } }];
  assert.equal(permitted(digest, 1, []), false);
  assert.equal(permitted(digest, 1, [{ scheme: 'digest', id: digestId('bob:pw') }]), true);
  assert.equal(permitted(digest, 2, [{ scheme: 'digest', id: digestId('bob:pw') }]), false);
  assert.equal(permitted(digest, 1 | 16, [{ scheme: 'digest', id: digestId('bob:pw') }]), true);
  assert.equal(permitted(digest, 2, [{ scheme: 'super', id: 'super' }]), true);
  const ip = [{ perms: 31, id: { scheme: 'ip', id: '192.168.0.0/16' } }];
  assert.equal(permitted(ip, 1, [{ scheme: 'ip', id: '192.168.4.5' }]), true);
  assert.equal(permitted(ip, 1, [{ scheme: 'ip', id: '192.169.4.5' }]), false);
  assert.equal(ipMatches('127.0.0.1', '::ffff:127.0.0.1'), true);
});

test('fixupAcl expands auth into the session digests and rejects invalid lists', () => {
  const auth = [
    { scheme: 'ip', id: '127.0.0.1' },
    { scheme: 'digest', id: 'u:x' },
  ];
  assert.deepEqual(fixupAcl([{ perms: 31, id: { scheme: 'auth', id: '' } }], auth), [
    { perms: 31, id: { scheme: 'digest', id: 'u:x' } },
  ]);
  const invalid = (acl: Parameters<typeof fixupAcl>[0], a = auth) =>
    assert.throws(
      () => fixupAcl(acl, a),
      (e: unknown) => e instanceof AclError && e.code === ZooErrorCode.INVALIDACL,
    );
  invalid(null);
  invalid([]);
  invalid([{ perms: 31, id: { scheme: 'auth', id: '' } }], [{ scheme: 'ip', id: '1.2.3.4' }]);
  invalid([{ perms: 31, id: { scheme: 'world', id: 'someone' } }]);
  invalid([{ perms: 31, id: { scheme: 'ip', id: '300.1.1.1' } }]);
  invalid([{ perms: 31, id: { scheme: 'digest', id: 'nocolon' } }]);
  invalid([{ perms: 31, id: { scheme: 'kerberos', id: 'x' } }]);
});
