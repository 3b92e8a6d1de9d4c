import { SluiceError } from '../../base/index.ts';

/**
 * A small WebHDFS REST client (Hadoop's `/webhdfs/v1` protocol), enough for the HDFS sink: the
 * namenode answers CREATE, APPEND and OPEN with a 307 redirect to a datanode, which takes or serves
 * the bytes; RENAME, MKDIRS, DELETE answer `{"boolean": ...}`; GETFILESTATUS and LISTSTATUS return
 * FileStatus objects; failures carry a `RemoteException` JSON body. Authentication is Hadoop's
 * "simple" scheme (`user.name`, and `doas` for a proxy user); Kerberos/SPNEGO is not supported.
 */

export class WebHdfsError extends SluiceError {
  readonly status: number;
  /** The RemoteException's `exception` (FileNotFoundException, FileAlreadyExistsException...). */
  readonly exception: string | undefined;

  constructor(message: string, status: number, exception?: string, options?: { cause?: unknown }) {
    super('FLUME_WEBHDFS', message, options);
    this.status = status;
    this.exception = exception;
  }
}

export interface WebHdfsFileStatus {
  readonly type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
  readonly length: number;
  readonly pathSuffix: string;
  readonly modificationTime: number;
  readonly replication: number;
  readonly permission: string;
}

export interface WebHdfsClientOptions {
  /** The namenode's HTTP address, `http://host:9870`. */
  readonly url: string;
  /** `user.name` of Hadoop's simple authentication; omitted when undefined. */
  readonly user?: string | undefined;
  /** `doas` (hdfs.proxyUser). */
  readonly doAs?: string | undefined;
  /** Each HTTP call's time limit (hdfs.callTimeout). */
  readonly timeoutMs: number;
}

type Query = Record<string, string>;

export class WebHdfsClient {
  readonly #base: string;
  readonly #options: WebHdfsClientOptions;

  constructor(options: WebHdfsClientOptions) {
    this.#base = options.url.replace(/\/+$/, '');
    this.#options = options;
  }

  /** Creates `path` holding `data`; fails with FileAlreadyExistsException unless `overwrite`. */
  async create(path: string, data: Buffer, overwrite = false): Promise<void> {
    await this.#redirected('PUT', path, { op: 'CREATE', overwrite: String(overwrite) }, data, [201, 200]);
  }

  async append(path: string, data: Buffer): Promise<void> {
    await this.#redirected('POST', path, { op: 'APPEND' }, data, [200]);
  }

  async open(path: string): Promise<Buffer> {
    return this.#redirected('GET', path, { op: 'OPEN' }, undefined, [200]);
  }

  async rename(from: string, to: string): Promise<boolean> {
    return this.#boolean('PUT', from, { op: 'RENAME', destination: to });
  }

  async mkdirs(path: string): Promise<boolean> {
    return this.#boolean('PUT', path, { op: 'MKDIRS' });
  }

  async delete(path: string, recursive = false): Promise<boolean> {
    return this.#boolean('DELETE', path, { op: 'DELETE', recursive: String(recursive) });
  }

  /** The file's status, or null when it does not exist. */
  async getFileStatus(path: string): Promise<WebHdfsFileStatus | null> {
    try {
      const body = await this.#call('GET', this.#url(path, { op: 'GETFILESTATUS' }), undefined, [200]);
      return (JSON.parse(body.toString('utf8')) as { FileStatus: WebHdfsFileStatus }).FileStatus;
    } catch (err) {
      if (err instanceof WebHdfsError && err.status === 404) return null;
      throw err;
    }
  }

  async listStatus(path: string): Promise<WebHdfsFileStatus[]> {
    const body = await this.#call('GET', this.#url(path, { op: 'LISTSTATUS' }), undefined, [200]);
    return (JSON.parse(body.toString('utf8')) as { FileStatuses: { FileStatus: WebHdfsFileStatus[] } })
      .FileStatuses.FileStatus;
  }

  #url(path: string, query: Query): string {
    if (!path.startsWith('/')) throw new WebHdfsError(`WebHDFS paths are absolute, got '${path}'`, 0);
    const q = new URLSearchParams(query);
    if (this.#options.user !== undefined) q.set('user.name', this.#options.user);
    if (this.#options.doAs !== undefined) q.set('doas', this.#options.doAs);
    const encoded = path
      .split('/')
      .map((s) => encodeURIComponent(s))
      .join('/');
    return `${this.#base}/webhdfs/v1${encoded}?${q}`;
  }

  async #boolean(method: string, path: string, query: Query): Promise<boolean> {
    const body = await this.#call(method, this.#url(path, query), undefined, [200]);
    const parsed = JSON.parse(body.toString('utf8')) as { boolean?: unknown };
    if (typeof parsed.boolean !== 'boolean') {
      throw new WebHdfsError(`WebHDFS ${query.op} ${path}: no boolean in the answer`, 200);
    }
    return parsed.boolean;
  }

  /** The namenode step (no body, 307 expected), then the datanode step with the bytes. */
  async #redirected(
    method: string,
    path: string,
    query: Query,
    data: Buffer | undefined,
    ok: readonly number[],
  ): Promise<Buffer> {
    const first = await this.#fetch(method, this.#url(path, query), undefined);
    if (first.status !== 307) {
      // Some gateways (HttpFS with data=true) take the bytes directly; we always expect a redirect.
      await this.#fail(first, `${query.op} ${path}`);
    }
    const location = first.headers.get('location');
    await first.arrayBuffer().catch(() => undefined);
    if (location === null) throw new WebHdfsError(`WebHDFS ${query.op} ${path}: 307 without Location`, 307);
    return this.#call(method, location, data, ok);
  }

  async #call(method: string, url: string, data: Buffer | undefined, ok: readonly number[]): Promise<Buffer> {
    const res = await this.#fetch(method, url, data);
    if (!ok.includes(res.status)) await this.#fail(res, `${method} ${new URL(url).pathname}`);
    return Buffer.from(await res.arrayBuffer());
  }

  async #fetch(method: string, url: string, data: Buffer | undefined): Promise<Response> {
    try {
      return await fetch(url, {
        method,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#options.timeoutMs),
        ...(data === undefined
          ? {}
          : { body: data, headers: { 'content-type': 'application/octet-stream' } }),
      });
    } catch (err) {
      throw new WebHdfsError(
        `WebHDFS ${method} ${url.split('?')[0]} failed: ${err instanceof Error ? err.message : String(err)}`,
        0,
        undefined,
        { cause: err },
      );
    }
  }

  async #fail(res: Response, what: string): Promise<never> {
    const text = await res.text().catch(() => '');
    let exception: string | undefined;
    let message = text.slice(0, 300);
    try {
      const r = (JSON.parse(text) as { RemoteException?: { exception?: string; message?: string } })
        .RemoteException;
      if (r !== undefined) {
        exception = r.exception;
        message = `${r.exception ?? 'RemoteException'}: ${r.message ?? ''}`;
      }
    } catch {
      // not JSON: keep the text
    }
    throw new WebHdfsError(`WebHDFS ${what}: HTTP ${res.status} ${message}`.trim(), res.status, exception);
  }
}
