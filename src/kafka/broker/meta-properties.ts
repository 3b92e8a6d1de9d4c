import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../../base/index.ts';
import { writeFileDurably } from './durable-file.ts';

export const META_PROPERTIES_FILE = 'meta.properties';

/** A log dir's identity, as Kafka (KRaft mode) writes it in `<log dir>/meta.properties`. */
export interface MetaProperties {
  readonly version: 1;
  readonly nodeId: number;
  readonly clusterId: string;
  /** A UUID in Kafka's base64url form, unique per log dir (KIP-858). */
  readonly directoryId: string;
}

/** A log dir that belongs to another node or cluster, or an unreadable meta.properties. */
export class MetaPropertiesError extends SluiceError {
  constructor(message: string) {
    super('INCONSISTENT_CLUSTER_ID', message);
  }
}

/** A random UUID v4 in Kafka's base64url (22 characters) form. */
export function randomBase64Uuid(): string {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return b.toString('base64url');
}

function parse(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

export function readMetaProperties(dir: string): MetaProperties | null {
  const path = join(dir, META_PROPERTIES_FILE);
  if (!existsSync(path)) return null;
  const p = parse(readFileSync(path, 'utf8'));
  const version = p.get('version');
  const nodeId = Number(p.get('node.id') ?? p.get('broker.id'));
  const clusterId = p.get('cluster.id');
  if (version !== '1' && version !== '0') {
    throw new MetaPropertiesError(`${path}: version=${version ?? '(missing)'}, expected 1`);
  }
  if (!Number.isInteger(nodeId) || clusterId === undefined || clusterId === '') {
    throw new MetaPropertiesError(`${path}: node.id and cluster.id are required`);
  }
  return { version: 1, nodeId, clusterId, directoryId: p.get('directory.id') ?? randomBase64Uuid() };
}

export async function writeMetaProperties(dir: string, meta: MetaProperties): Promise<void> {
  const text = [
    '#',
    `#${new Date().toUTCString()}`,
    `cluster.id=${meta.clusterId}`,
    `directory.id=${meta.directoryId}`,
    `node.id=${meta.nodeId}`,
    `version=${meta.version}`,
    '',
  ].join('\n');
  await writeFileDurably(join(dir, META_PROPERTIES_FILE), text);
}

/**
 * Makes every log dir carry this node's meta.properties and returns the cluster id: the one already
 * written in a log dir (all must agree, and with `configuredClusterId` when set), or
 * `configuredClusterId`, or `generate()` for a fresh node.
 */
export async function ensureMetaProperties(
  logDirs: readonly string[],
  nodeId: number,
  configuredClusterId: string | null,
  generate: () => string,
): Promise<string> {
  const found = new Map<string, MetaProperties>();
  for (const dir of logDirs) {
    mkdirSync(dir, { recursive: true });
    const meta = readMetaProperties(dir);
    if (meta === null) continue;
    if (meta.nodeId !== nodeId) {
      throw new MetaPropertiesError(
        `${join(dir, META_PROPERTIES_FILE)} belongs to node.id=${meta.nodeId}, but this broker is node.id=${nodeId}`,
      );
    }
    found.set(dir, meta);
  }
  let clusterId = configuredClusterId;
  for (const [dir, meta] of found) {
    if (clusterId !== null && meta.clusterId !== clusterId) {
      const source = clusterId === configuredClusterId ? 'the configured cluster.id' : 'another log dir';
      throw new MetaPropertiesError(
        `${join(dir, META_PROPERTIES_FILE)} has cluster.id=${meta.clusterId}, but ${source} is ${clusterId}`,
      );
    }
    clusterId = meta.clusterId;
  }
  clusterId ??= generate();
  for (const dir of logDirs) {
    if (found.has(dir)) continue;
    await writeMetaProperties(dir, { version: 1, nodeId, clusterId, directoryId: randomBase64Uuid() });
  }
  return clusterId;
}
