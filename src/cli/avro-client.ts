import { createReadStream } from 'node:fs';
import { readdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type Command, InvalidArgumentError } from 'commander';
import { SluiceError } from '../base/index.ts';
import { parseProperties } from '../config/index.ts';
import { AVRO_CLIENT_BATCH_SIZE, type AvroClientInput, runAvroClient } from '../flume/index.ts';

const COMPLETED = '.COMPLETED';

/**
 * `sluice avro-client`: flume-ng avro-client. Sends each line of a file (or standard input) as
 * one event to an avro source, in batches, and exits 0 once every batch was answered OK.
 */

export interface AvroClientFlags {
  host?: string;
  port?: number;
  filename?: string;
  dirname?: string;
  headerFile?: string;
  rpcProps?: string;
}

class AvroClientError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('AVRO_CLIENT', message, options);
  }
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535)
    throw new InvalidArgumentError('expected a port in [1, 65535]');
  return n;
}

async function readProperties(file: string, what: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AvroClientError(`cannot read the ${what} ${file}: ${(err as Error).message}`, { cause: err });
  }
  const out = new Map<string, string>();
  for (const [k, e] of parseProperties(text, file).entries) out.set(k, e.value);
  return out;
}

const positiveInt = (props: Map<string, string>, key: string, file: string): number | undefined => {
  const v = props.get(key);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1) {
    throw new AvroClientError(
      `${file}: invalid value ${JSON.stringify(v)} for '${key}': expected a positive integer`,
    );
  }
  return Number(v);
};

interface Target {
  host: string;
  port: number;
  batchSize: number;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  deflate: boolean;
}

/** The RPC client properties Sluice reads from `--rpcProps` (the default client type only). */
async function targetFromRpcProps(file: string): Promise<Target> {
  const p = await readProperties(file, 'RPC client properties file');
  const type = p.get('client.type') ?? 'default';
  if (type !== 'default') {
    throw new AvroClientError(`${file}: client.type ${type} is not supported (only the default Avro client)`);
  }
  const first = (p.get('hosts') ?? '').trim().split(/\s+/)[0] ?? '';
  const address = first === '' ? undefined : p.get(`hosts.${first}`);
  const m = address === undefined ? null : /^(.+):(\d+)$/.exec(address.trim());
  if (m === null) throw new AvroClientError(`${file}: expected 'hosts' and 'hosts.<name> = host:port'`);
  const connectTimeoutMs = positiveInt(p, 'connect-timeout', file);
  const requestTimeoutMs = positiveInt(p, 'request-timeout', file);
  return {
    host: m[1]!,
    port: parsePort(m[2]!),
    batchSize: positiveInt(p, 'batch-size', file) ?? 100,
    ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
    ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
    deflate: (p.get('compression-type') ?? 'none').toLowerCase() === 'deflate',
  };
}

/**
 * `--dirname`: as Flume's client reads a spooling directory, every regular file not hidden and
 * not already ending in `.COMPLETED`, oldest first, is sent and then renamed to `<name>.COMPLETED`.
 */
async function spoolInputs(dir: string): Promise<AvroClientInput[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new AvroClientError(`cannot read the directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const files: { path: string; mtime: number }[] = [];
  for (const name of names) {
    if (name.startsWith('.') || name.endsWith(COMPLETED)) continue;
    const path = join(dir, name);
    const s = await stat(path);
    if (s.isFile()) files.push({ path, mtime: s.mtimeMs });
  }
  files.sort((a, b) => a.mtime - b.mtime || a.path.localeCompare(b.path));
  return files.map(({ path }) => ({
    get stream() {
      return createReadStream(path);
    },
    completed: () => rename(path, `${path}${COMPLETED}`),
  }));
}

export async function avroClientCommand(flags: AvroClientFlags, stdin: Readable): Promise<number> {
  if (flags.filename !== undefined && flags.dirname !== undefined) {
    throw new InvalidArgumentError('--filename and --dirname options cannot be used simultaneously');
  }
  let target: Target;
  if (flags.rpcProps !== undefined) target = await targetFromRpcProps(flags.rpcProps);
  else if (flags.host === undefined || flags.port === undefined) {
    throw new InvalidArgumentError('Either --rpcProps or both --host and --port must be specified.');
  } else target = { host: flags.host, port: flags.port, batchSize: AVRO_CLIENT_BATCH_SIZE, deflate: false };
  const headers: Record<string, string> = {};
  if (flags.headerFile !== undefined) {
    for (const [k, v] of await readProperties(flags.headerFile, 'header file')) headers[k] = v;
  }
  const inputs =
    flags.dirname !== undefined
      ? await spoolInputs(flags.dirname)
      : [{ stream: flags.filename === undefined ? stdin : createReadStream(flags.filename) }];
  try {
    return await runAvroClient({ ...target, headers }, inputs);
  } catch (err) {
    throw new AvroClientError(
      `unable to deliver events to ${target.host}:${target.port}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

export function registerAvroClientCommand(program: Command): void {
  program
    .command('avro-client')
    .description(
      'send each line of a file or standard input as an event to an avro source (flume-ng avro-client)',
    )
    .option('-H, --host <host>', 'hostname of the avro source')
    .option('-p, --port <port>', 'port of the avro source', parsePort)
    .option('-F, --filename <file>', 'file to stream to the avro source (default: standard input)')
    .option(
      '--dirname <dir>',
      'directory whose files are streamed to the avro source, each renamed to <name>.COMPLETED once sent',
    )
    .option('-R, --headerFile <file>', 'file containing headers as key/value pairs on each new line')
    .option(
      '-P, --rpcProps <file>',
      'RPC client properties file with server connection params (hosts, hosts.<name>, batch-size, connect-timeout, request-timeout, compression-type)',
    )
    .option('-c, --conf <dir>', "Flume's configuration directory (accepted for compatibility; not read)")
    .action(async (flags: AvroClientFlags) => {
      await avroClientCommand(flags, process.stdin);
    });
}
