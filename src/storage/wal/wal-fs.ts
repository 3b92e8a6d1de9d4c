import fs from 'node:fs';

/**
 * The file-system calls the write-ahead log makes, as a port: tests wrap it to count syncs, hold a
 * sync open or inject failures; production uses `nodeWalFs`. Positions are absolute (pread/pwrite)
 * so no call depends on a file offset kept by the kernel.
 */
export interface WalFs {
  mkdir(dir: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  /**
   * `flags` as for fs.open: 'r' (replay), 'r+' (recovered active file), 'wx+' (new file). With
   * `dsync`, the file is opened O_DSYNC: each write returns only once its data is durable.
   */
  open(path: string, flags: 'r' | 'r+' | 'wx+', dsync?: boolean): Promise<number>;
  /** Whether open(…, dsync = true) is available (O_DSYNC exists on this platform). */
  readonly dsyncSupported: boolean;
  close(fd: number): Promise<void>;
  size(fd: number): Promise<number>;
  read(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Writes every byte of `bufs` at `position` (callers check the returned count). */
  writev(fd: number, bufs: Uint8Array[], position: number): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Makes the directory's entries (creations, renames, deletions) durable. */
  syncDir(dir: string): Promise<void>;
}

function done<T>(resolve: (v: T) => void, reject: (e: unknown) => void) {
  return (err: NodeJS.ErrnoException | null, value: T) => (err ? reject(err) : resolve(value));
}

const { O_RDONLY, O_RDWR, O_CREAT, O_EXCL, O_DSYNC } = fs.constants;
const OPEN_FLAGS = { r: O_RDONLY, 'r+': O_RDWR, 'wx+': O_RDWR | O_CREAT | O_EXCL } as const;

export const nodeWalFs: WalFs = {
  dsyncSupported: O_DSYNC !== undefined,
  mkdir: (dir) =>
    new Promise((resolve, reject) =>
      fs.mkdir(dir, { recursive: true }, (err) => (err ? reject(err) : resolve())),
    ),
  readdir: (dir) => new Promise((resolve, reject) => fs.readdir(dir, done(resolve, reject))),
  open: (path, flags, dsync = false) => {
    const mode = OPEN_FLAGS[flags] | (dsync ? O_DSYNC : 0);
    return new Promise((resolve, reject) => fs.open(path, mode, 0o644, done(resolve, reject)));
  },
  close: (fd) => new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve()))),
  size: (fd) =>
    new Promise((resolve, reject) => fs.fstat(fd, (err, st) => (err ? reject(err) : resolve(st.size)))),
  read: (fd, buf, offset, length, position) =>
    new Promise((resolve, reject) => fs.read(fd, buf, offset, length, position, done(resolve, reject))),
  writev: (fd, bufs, position) =>
    new Promise((resolve, reject) => fs.writev(fd, bufs, position, done(resolve, reject))),
  fdatasync: (fd) =>
    new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve()))),
  ftruncate: (fd, length) =>
    new Promise((resolve, reject) => fs.ftruncate(fd, length, (err) => (err ? reject(err) : resolve()))),
  rename: (from, to) =>
    new Promise((resolve, reject) => fs.rename(from, to, (err) => (err ? reject(err) : resolve()))),
  unlink: (path) =>
    new Promise((resolve, reject) => fs.unlink(path, (err) => (err ? reject(err) : resolve()))),
  syncDir: async (dir) => {
    const fd = await nodeWalFs.open(dir, 'r');
    try {
      await new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
    } finally {
      await nodeWalFs.close(fd);
    }
  },
};
