import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';

/**
 * A minimal in-process server speaking the WebHDFS REST protocol, for tests (real HDFS cannot be
 * installed here). A "namenode" listener answers metadata calls and redirects CREATE, APPEND and
 * OPEN with 307 to a separate "datanode" listener, which takes or serves the bytes, as Hadoop does.
 * Files live under a local directory. Supported: CREATE (overwrite), APPEND, OPEN, RENAME, MKDIRS,
 * GETFILESTATUS, LISTSTATUS, DELETE (recursive); errors are RemoteException JSON bodies.
 */
export interface WebHdfsTestServer {
  /** `http://127.0.0.1:<namenode port>` */
  readonly url: string;
  readonly port: number;
  /** Every request the namenode and datanode received, as `METHOD op path`. */
  readonly requests: string[];
  /** The local path holding HDFS path `p`. */
  local(p: string): string;
  /** Makes the next `n` calls of `op` fail with a 500 RemoteException. */
  failNext(op: string, n?: number): void;
  close(): Promise<void>;
}

export async function startWebHdfsServer(root: string): Promise<WebHdfsTestServer> {
  mkdirSync(root, { recursive: true });
  const requests: string[] = [];
  const failures = new Map<string, number>();
  const local = (p: string) => join(root, ...p.split('/').filter((s) => s !== ''));

  const remote = (res: ServerResponse, status: number, exception: string, message: string) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ RemoteException: { exception, javaClassName: `java.io.${exception}`, message } }),
    );
  };
  const json = (res: ServerResponse, body: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const statusOf = (path: string, suffix: string) => {
    const st = statSync(path);
    return {
      accessTime: st.atimeMs | 0,
      blockSize: 134217728,
      group: 'supergroup',
      length: st.isDirectory() ? 0 : st.size,
      modificationTime: Math.floor(st.mtimeMs),
      owner: 'sluice',
      pathSuffix: suffix,
      permission: st.isDirectory() ? '755' : '644',
      replication: st.isDirectory() ? 0 : 3,
      type: st.isDirectory() ? 'DIRECTORY' : 'FILE',
    };
  };
  const body = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const parse = (req: IncomingMessage) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const prefix = url.pathname.startsWith('/dn/webhdfs/v1') ? '/dn/webhdfs/v1' : '/webhdfs/v1';
    const path = decodeURIComponent(url.pathname.slice(prefix.length)) || '/';
    return {
      url,
      path,
      op: (url.searchParams.get('op') ?? '').toUpperCase(),
      datanode: prefix === '/dn/webhdfs/v1',
    };
  };

  let datanodePort = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse, isDatanode: boolean) => {
    const { url, path, op } = parse(req);
    requests.push(`${isDatanode ? 'DN' : 'NN'} ${req.method} ${op} ${path}`);
    const data = await body(req);
    const failing = failures.get(op) ?? 0;
    if (failing > 0) {
      failures.set(op, failing - 1);
      remote(res, 500, 'IOException', `injected failure of ${op}`);
      return;
    }
    const file = local(path);
    if (!isDatanode && (op === 'CREATE' || op === 'APPEND' || op === 'OPEN')) {
      if (op === 'APPEND' && !existsSync(file))
        return remote(res, 404, 'FileNotFoundException', `File does not exist: ${path}`);
      if (op === 'OPEN' && !existsSync(file))
        return remote(res, 404, 'FileNotFoundException', `File does not exist: ${path}`);
      const target = new URL(
        `http://127.0.0.1:${datanodePort}/dn/webhdfs/v1${url.pathname.slice('/webhdfs/v1'.length)}`,
      );
      for (const [k, v] of url.searchParams) target.searchParams.set(k, v);
      target.searchParams.set('namenoderpcaddress', 'localhost:8020');
      res.writeHead(307, { location: target.toString(), 'content-length': '0' });
      res.end();
      return;
    }
    switch (op) {
      case 'CREATE': {
        const overwrite = url.searchParams.get('overwrite') === 'true';
        if (existsSync(file) && !overwrite)
          return remote(res, 403, 'FileAlreadyExistsException', `${path} for client already exists`);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, data);
        res.writeHead(201, { location: `hdfs://localhost:8020${path}`, 'content-length': '0' });
        res.end();
        return;
      }
      case 'APPEND':
        if (!existsSync(file))
          return remote(res, 404, 'FileNotFoundException', `File does not exist: ${path}`);
        appendFileSync(file, data);
        res.writeHead(200, { 'content-length': '0' });
        res.end();
        return;
      case 'OPEN':
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(readFileSync(file));
        return;
      case 'MKDIRS':
        mkdirSync(file, { recursive: true });
        return json(res, { boolean: true });
      case 'RENAME': {
        const dest = url.searchParams.get('destination');
        if (dest === null || !existsSync(file) || existsSync(local(dest)))
          return json(res, { boolean: false });
        mkdirSync(dirname(local(dest)), { recursive: true });
        renameSync(file, local(dest));
        return json(res, { boolean: true });
      }
      case 'DELETE': {
        if (!existsSync(file)) return json(res, { boolean: false });
        const recursive = url.searchParams.get('recursive') === 'true';
        if (statSync(file).isDirectory() && !recursive && readdirSync(file).length > 0) {
          return remote(res, 403, 'PathIsNotEmptyDirectoryException', `${path} is non empty`);
        }
        rmSync(file, { recursive: true, force: true });
        return json(res, { boolean: true });
      }
      case 'GETFILESTATUS':
        if (!existsSync(file))
          return remote(res, 404, 'FileNotFoundException', `File does not exist: ${path}`);
        return json(res, { FileStatus: statusOf(file, '') });
      case 'LISTSTATUS':
        if (!existsSync(file))
          return remote(res, 404, 'FileNotFoundException', `File ${path} does not exist.`);
        return json(res, {
          FileStatuses: {
            FileStatus: statSync(file).isDirectory()
              ? readdirSync(file)
                  .sort()
                  .map((n) => statusOf(join(file, n), n))
              : [statusOf(file, '')],
          },
        });
      default:
        return remote(
          res,
          400,
          'IllegalArgumentException',
          `Invalid value for webhdfs parameter "op": ${op}`,
        );
    }
  };

  const listen = (isDatanode: boolean): Promise<Server> =>
    new Promise((resolve) => {
      const server = createServer((req, res) => {
        handle(req, res, isDatanode).catch((err: unknown) => remote(res, 500, 'IOException', String(err)));
      });
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
  const namenode = await listen(false);
  const datanode = await listen(true);
  datanodePort = (datanode.address() as AddressInfo).port;
  const port = (namenode.address() as AddressInfo).port;
  const close = (s: Server) =>
    new Promise<void>((resolve) => {
      s.closeAllConnections();
      s.close(() => resolve());
    });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    local,
    failNext(op, n = 1) {
      failures.set(op.toUpperCase(), n);
    },
    async close() {
      await Promise.all([close(namenode), close(datanode)]);
    },
  };
}
