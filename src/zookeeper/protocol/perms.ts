/** ACL permission bits (`ACL.perms`, ZooDefs.Perms). */
export const Perms = Object.freeze({
  read: 1,
  write: 2,
  create: 4,
  delete: 8,
  admin: 16,
  all: 31,
} as const);
