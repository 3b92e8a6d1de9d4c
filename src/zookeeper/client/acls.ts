import { createHash } from 'node:crypto';
import { type ACL, Perms } from '../protocol/index.ts';

/** world:anyone with every permission (ZooDefs.Ids.OPEN_ACL_UNSAFE). */
export const OPEN_ACL_UNSAFE: readonly ACL[] = Object.freeze([
  { perms: Perms.all, id: { scheme: 'world', id: 'anyone' } },
]);
/** world:anyone, read only (ZooDefs.Ids.READ_ACL_UNSAFE). */
export const READ_ACL_UNSAFE: readonly ACL[] = Object.freeze([
  { perms: Perms.read, id: { scheme: 'world', id: 'anyone' } },
]);
/** Every permission for the identities the session authenticated with (ZooDefs.Ids.CREATOR_ALL_ACL). */
export const CREATOR_ALL_ACL: readonly ACL[] = Object.freeze([
  { perms: Perms.all, id: { scheme: 'auth', id: '' } },
]);

/** The digest scheme's id for `user:password`: `user:base64(sha1("user:password"))`. */
export function digestOf(user: string, password: string): string {
  return `${user}:${createHash('sha1').update(`${user}:${password}`, 'utf8').digest('base64')}`;
}

/** An ACL entry granting `perms` to the digest identity `user:password`. */
export function digestAcl(user: string, password: string, perms: number = Perms.all): ACL {
  return { perms, id: { scheme: 'digest', id: digestOf(user, password) } };
}

const permLetters: readonly [number, string][] = [
  [Perms.create, 'c'],
  [Perms.delete, 'd'],
  [Perms.read, 'r'],
  [Perms.write, 'w'],
  [Perms.admin, 'a'],
];

/** zkCli's permission letters: `cdrwa`. */
export function permsToString(perms: number): string {
  return permLetters.map(([bit, letter]) => ((perms & bit) !== 0 ? letter : '')).join('');
}

/** Parses `cdrwa` letters; undefined for any other letter. */
export function permsFromString(s: string): number | undefined {
  let perms = 0;
  for (const ch of s) {
    const entry = permLetters.find(([, letter]) => letter === ch);
    if (entry === undefined) return undefined;
    perms |= entry[0];
  }
  return perms;
}
