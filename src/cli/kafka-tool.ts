import type * as KafkaClient from '@platformatic/kafka';
import { type Command, InvalidArgumentError } from 'commander';
import { SluiceError } from '../base/index.ts';
import { loadPropertiesFile } from '../config/index.ts';
import { errorByName } from '../kafka/protocol/index.ts';

/**
 * What the Kafka-style tools (`topics`, `console-producer`, `console-consumer`, `get-offsets`,
 * `configs`) share: flag parsing helpers, client properties, and turning client errors into one
 * line naming the resource and Kafka's error name.
 */

export type KafkaClientModule = typeof KafkaClient;

/**
 * Loads @platformatic/kafka on first use: main.ts registers every command up front, and the
 * client library takes about half a second to load, which `sluice broker` should not pay.
 */
export function loadKafkaClient(): Promise<KafkaClientModule> {
  return import('@platformatic/kafka');
}

/** Kafka wire values the tools send and read (the client's enums, without loading the client). */
export const ConfigResource = { TOPIC: 2, BROKER: 4 } as const;
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
  GROUP_CONFIG: 8,
} as const;
export const AlterConfigOp = { SET: 0, DELETE: 1 } as const;

/** A tool failure: printed as one line by main.ts, exit code 1. */
export class ToolError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOOL', message, options);
  }
}

/** commander accumulator for repeatable flags. */
export const collectValues = (value: string, previous: string[]): string[] => [...previous, value];

/** `key=value` (the value may contain `=`), as `--config`, `--property`, `--producer-property` take. */
export function splitKeyValue(pair: string, flag: string): [string, string] {
  const at = pair.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`${flag} expects key=value, got "${pair}"`);
  return [pair.slice(0, at).trim(), pair.slice(at + 1)];
}

export function keyValueMap(pairs: readonly string[], flag: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of pairs) {
    const [k, v] = splitKeyValue(pair, flag);
    map.set(k, v);
  }
  return map;
}

export function parseIntFlag(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} expects an integer in [${min}, ${max}], got "${value}"`);
    }
    return n;
  };
}

/** `host:port` list as `--bootstrap-server` takes it (comma-separated). */
export function parseBootstrap(value: string): string[] {
  const servers = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (servers.length === 0)
    throw new InvalidArgumentError('--bootstrap-server expects host:port[,host:port...]');
  for (const s of servers) {
    if (!/^(\[[^\]]+\]|[^:]+):\d{1,5}$/.test(s)) {
      throw new InvalidArgumentError(`--bootstrap-server expects host:port, got "${s}"`);
    }
  }
  return servers;
}

/** Reads a client properties file (`--command-config`, `--producer.config`, `--consumer.config`). */
export async function loadClientProperties(file: string | undefined): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  if (file === undefined) return map;
  const parsed = await loadPropertiesFile(file);
  for (const [key, entry] of parsed.entries) map.set(key, entry.value);
  return map;
}

/** The @platformatic/kafka base options the tools use, from Kafka client properties. */
export interface ClientBaseOptions {
  clientId: string;
  bootstrapBrokers: string[];
  timeout: number;
  retries: number;
  retryDelay: number;
  autocreateTopics: boolean;
}

/** Client properties every tool understands; the rest are reported once as ignored. */
const BASE_PROPERTIES = new Set([
  'bootstrap.servers',
  'client.id',
  'request.timeout.ms',
  'default.api.timeout.ms',
  'retries',
  'retry.backoff.ms',
  'security.protocol',
]);

export function clientBaseOptions(
  bootstrap: string[],
  props: ReadonlyMap<string, string>,
  defaultClientId: string,
  extraKnown: ReadonlySet<string> = new Set(),
  warn: (line: string) => void = () => {},
): ClientBaseOptions {
  const num = (key: string, fallback: number): number => {
    const raw = props.get(key);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new ToolError(`client property ${key}=${raw}: expected a number`);
    return n;
  };
  const protocol = props.get('security.protocol');
  if (protocol !== undefined && protocol.toUpperCase() !== 'PLAINTEXT') {
    throw new ToolError(`security.protocol=${protocol} is not supported yet (only PLAINTEXT)`);
  }
  for (const key of props.keys()) {
    if (!BASE_PROPERTIES.has(key) && !extraKnown.has(key))
      warn(`ignoring unsupported client property ${key}`);
  }
  return {
    clientId: props.get('client.id') ?? defaultClientId,
    bootstrapBrokers: bootstrap,
    timeout: num('request.timeout.ms', 30_000),
    // Tools fail fast: one retry covers a metadata refresh after a leader move.
    retries: num('retries', 1),
    retryDelay: num('retry.backoff.ms', 200),
    autocreateTopics: false,
  };
}

/** @platformatic/kafka's message for UNKNOWN_TOPIC_OR_PARTITION in a Metadata response. */
const UNKNOWN_TOPIC = /^Unknown topic (.*)\.$/;

interface ProtocolErrorLike {
  apiId?: string;
  path?: string;
  serverErrorMessage?: string | null;
  message: string;
}

/** Every leaf error inside @platformatic/kafka's aggregate errors (retries nest them), with the response it came in. */
function leafErrors(
  err: unknown,
  out: { err: unknown; response: unknown }[] = [],
  response: unknown = undefined,
  depth = 0,
): { err: unknown; response: unknown }[] {
  if (depth > 8) return out;
  const own = (err as { response?: unknown } | null)?.response;
  const carried = own ?? response;
  if (err instanceof AggregateError && err.errors.length > 0) {
    for (const e of err.errors) leafErrors(e, out, carried, depth + 1);
  } else {
    out.push({ err, response: carried });
  }
  return out;
}

/**
 * Names the resource an error path (`/topics/0/partitions/1`) points at inside the response:
 * the `name`/`topic`/`resourceName` and `partitionIndex` fields met on the way.
 */
function resourceAt(response: unknown, path: string | undefined): string {
  if (path === undefined || path === '' || typeof response !== 'object' || response === null) return '';
  let node: unknown = response;
  let topic: string | undefined;
  let partition: number | undefined;
  let resource: string | undefined;
  for (const segment of path.split('/').filter((s) => s !== '')) {
    if (typeof node !== 'object' || node === null) break;
    node = (node as Record<string, unknown>)[segment];
    if (typeof node === 'object' && node !== null && !Array.isArray(node)) {
      const rec = node as Record<string, unknown>;
      const name = rec.name ?? rec.topic ?? rec.topicName;
      if (typeof name === 'string') topic = name;
      if (typeof rec.resourceName === 'string') resource = rec.resourceName;
      const p = rec.partitionIndex ?? rec.partition;
      if (typeof p === 'number') partition = p;
    }
  }
  const parts: string[] = [];
  if (resource !== undefined) parts.push(`resource '${resource}'`);
  if (topic !== undefined) parts.push(`topic '${topic}'`);
  if (partition !== undefined) parts.push(`partition ${partition}`);
  return parts.join(' ');
}

/**
 * One line per distinct problem: `UNKNOWN_TOPIC_OR_PARTITION (topic 'x' partition 0): message`.
 * `context` names what the tool was doing when the response itself does not say.
 */
export function describeClientError(err: unknown, context = ''): string {
  const lines = new Set<string>();
  for (const { err: leaf, response } of leafErrors(err)) {
    const e = leaf as ProtocolErrorLike;
    if (typeof e?.apiId === 'string') {
      const resource = resourceAt(response, e.path);
      const partition = /partition \d+/.exec(resource)?.[0];
      const where = resource.includes('topic')
        ? resource
        : context === ''
          ? resource
          : partition !== undefined && !context.includes('partition')
            ? `${context} ${partition}`
            : context;
      const known = errorByName(e.apiId);
      const detail = e.serverErrorMessage || known?.message || e.message;
      lines.add(`${e.apiId}${where ? ` (${where})` : ''}: ${detail}`);
    } else if (leaf instanceof Error && UNKNOWN_TOPIC.test(leaf.message)) {
      // The client turns UNKNOWN_TOPIC_OR_PARTITION in Metadata into a plain error; name it again.
      const topic = UNKNOWN_TOPIC.exec(leaf.message)![1];
      lines.add(
        `UNKNOWN_TOPIC_OR_PARTITION (topic '${topic}'): ${errorByName('UNKNOWN_TOPIC_OR_PARTITION')?.message}`,
      );
    } else if (leaf instanceof Error) {
      const code = (leaf as { code?: unknown }).code;
      const cause = leaf.cause instanceof Error ? ` (${leaf.cause.message})` : '';
      lines.add(
        `${context ? `${context}: ` : ''}${leaf.message}${cause}${typeof code === 'string' && !leaf.message.includes(code) ? ` [${code}]` : ''}`,
      );
    } else {
      lines.add(`${context ? `${context}: ` : ''}${String(leaf)}`);
    }
  }
  return [...lines].join('; ');
}

/** Wraps a client failure into a ToolError with the described line. */
export function toolError(err: unknown, context = ''): ToolError {
  if (err instanceof ToolError) return err;
  return new ToolError(describeClientError(err, context), { cause: err });
}

/** Every Kafka error name inside a client error (aggregates and retries unwrapped). */
export function kafkaErrorNames(err: unknown): Set<string> {
  const names = new Set<string>();
  for (const { err: leaf } of leafErrors(err)) {
    const id = (leaf as ProtocolErrorLike)?.apiId;
    if (typeof id === 'string') names.add(id);
    else if (leaf instanceof Error && UNKNOWN_TOPIC.test(leaf.message))
      names.add('UNKNOWN_TOPIC_OR_PARTITION');
  }
  return names;
}

/** Closes a client, never letting a close failure hide the command's own outcome. */
export async function closeQuietly(client: { close(): Promise<void> }): Promise<void> {
  try {
    await client.close();
  } catch {
    // the command already has its result; a failed close changes nothing for the user
  }
}

/**
 * A closed stdout (`sluice ... | head`) ends the tool quietly with exit 0, as a pipe reader
 * going away is not an error of the tool.
 */
export function exitQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

/**
 * commander exits 1 on a bad flag; the tools keep 1 for failed operations and use 2 for usage
 * errors, as main.ts does for errors thrown by actions. Help and version still exit 0.
 */
export function usageErrorsExit2(cmd: Command): Command {
  return cmd.exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });
}
