import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../../base/index.ts';
import { brokerConfigDef } from './broker-config.ts';
import { writeFileDurably } from './durable-file.ts';
import { ConfigSource, TOPIC_CONFIG_KEYS, topicConfigProblem } from './topic-configs.ts';

/**
 * Dynamic broker configs (Kafka's KIP-226), in `<first log dir>/__sluice_broker_configs.json`:
 *
 *   { "version": 1,
 *     "default": { "log.retention.ms": "3600000" },        // resource name "" (cluster-wide)
 *     "brokers": { "1": { "message.max.bytes": "2000000" } } }   // resource name = node id
 *
 * Precedence, as in Kafka: DYNAMIC_BROKER_CONFIG (this node) > DYNAMIC_DEFAULT_BROKER_CONFIG >
 * STATIC_BROKER_CONFIG (server.properties) > DEFAULT_CONFIG. Rewritten whole and atomically, like
 * the topic registry. Per-broker entries are kept by node id, so a log dir moved to a node with
 * another id does not pick up values set for a different broker.
 */
export const BROKER_CONFIGS_FILE = '__sluice_broker_configs.json';

interface FileState {
  version: 1;
  default: Record<string, string>;
  brokers: Record<string, Record<string, string>>;
}

export class DynamicBrokerConfigError extends SluiceError {
  constructor(message: string) {
    super('DYNAMIC_BROKER_CONFIG', message);
  }
}

/**
 * Broker keys that can change at run time: the broker synonyms of topic configs (Kafka's
 * DynamicLogConfig: the primary key of each, so `log.retention.ms` but not `log.retention.hours`,
 * and `log.roll.ms` but not `log.roll.hours`), plus `producer.id.expiration.ms` (dynamic since
 * Kafka 3.5). Each maps to the topic config whose validation it shares, or null.
 */
export const DYNAMIC_BROKER_KEYS: ReadonlyMap<string, string | null> = new Map<string, string | null>([
  ...TOPIC_CONFIG_KEYS.filter(
    (k) =>
      k.brokerSynonym !== null &&
      k.fixed !== true &&
      // Throttled replica lists are topic-only in Kafka (quota configs, not broker keys).
      !k.name.endsWith('.replication.throttled.replicas'),
  ).map((k): [string, string] => [k.brokerSynonym!, k.name]),
  ['producer.id.expiration.ms', null],
]);

/** Every broker key DescribeConfigs lists for a broker resource. */
export function knownBrokerKeys(): Set<string> {
  const keys = new Set<string>(brokerConfigDef.keys());
  keys.delete('cluster.id');
  for (const k of DYNAMIC_BROKER_KEYS.keys()) keys.add(k);
  return keys;
}

/**
 * Why a dynamic change of these broker configs is refused: `INVALID_REQUEST` for keys that exist but
 * cannot change at run time (Kafka's message), `INVALID_CONFIG` for unknown keys and bad values.
 */
export function dynamicBrokerConfigProblem(
  configs: Readonly<Record<string, string>>,
): { readonly kind: 'INVALID_REQUEST' | 'INVALID_CONFIG'; readonly message: string } | null {
  const names = Object.keys(configs);
  const known = knownBrokerKeys();
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    return { kind: 'INVALID_CONFIG', message: `Unknown broker configs: [${unknown.join(', ')}]` };
  }
  const fixed = names.filter((n) => !DYNAMIC_BROKER_KEYS.has(n));
  if (fixed.length > 0) {
    return {
      kind: 'INVALID_REQUEST',
      message: `Cannot update these configs dynamically: [${fixed.join(', ')}]`,
    };
  }
  for (const [name, value] of Object.entries(configs)) {
    const topicKey = DYNAMIC_BROKER_KEYS.get(name) ?? null;
    if (topicKey === null) {
      if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
        return { kind: 'INVALID_CONFIG', message: `${name}=${value}: expected an integer >= 1` };
      }
      continue;
    }
    const problem = topicConfigProblem(topicKey, value);
    if (problem !== null) {
      return {
        kind: 'INVALID_CONFIG',
        message: `Invalid value ${value} for configuration ${name}: ${problem}`,
      };
    }
  }
  return null;
}

/** The dynamic layers of one broker's configuration, persisted beside the topic registry. */
export class DynamicBrokerConfigs {
  readonly path: string;
  readonly nodeId: number;
  private state: FileState;
  private writes: Promise<void> = Promise.resolve();

  private constructor(path: string, nodeId: number, state: FileState) {
    this.path = path;
    this.nodeId = nodeId;
    this.state = state;
  }

  static load(dir: string, nodeId: number): DynamicBrokerConfigs {
    const path = join(dir, BROKER_CONFIGS_FILE);
    if (!existsSync(path))
      return new DynamicBrokerConfigs(path, nodeId, { version: 1, default: {}, brokers: {} });
    let state: FileState;
    try {
      state = JSON.parse(readFileSync(path, 'utf8')) as FileState;
    } catch (err) {
      throw new DynamicBrokerConfigError(`${path}: not valid JSON (${(err as Error).message})`);
    }
    const isMap = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (state.version !== 1 || !isMap(state.default) || !isMap(state.brokers)) {
      throw new DynamicBrokerConfigError(
        `${path}: expected {"version": 1, "default": {...}, "brokers": {...}}`,
      );
    }
    return new DynamicBrokerConfigs(path, nodeId, state);
  }

  /** DYNAMIC_BROKER_CONFIG values of this node. */
  get perBroker(): Readonly<Record<string, string>> {
    return this.state.brokers[String(this.nodeId)] ?? {};
  }

  /** DYNAMIC_DEFAULT_BROKER_CONFIG values (resource name ""). */
  get clusterDefault(): Readonly<Record<string, string>> {
    return this.state.default;
  }

  /** Replaces one layer ('' = the cluster default, else this node) and persists it. */
  replace(scope: 'default' | 'broker', configs: Readonly<Record<string, string>>): Promise<void> {
    const next: FileState = {
      version: 1,
      default: scope === 'default' ? { ...configs } : this.state.default,
      brokers: { ...this.state.brokers },
    };
    if (scope === 'broker') {
      if (Object.keys(configs).length === 0) delete next.brokers[String(this.nodeId)];
      else next.brokers[String(this.nodeId)] = { ...configs };
    }
    this.state = next;
    const text = `${JSON.stringify(next, null, 2)}\n`;
    this.writes = this.writes.catch(() => {}).then(() => writeFileDurably(this.path, text));
    return this.writes;
  }
}

/** Keys spelled several ways (Kafka's brokerConfigSynonyms), most precise first. */
const BROKER_SYNONYMS: ReadonlyMap<string, readonly string[]> = new Map([
  ['log.retention.ms', ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours']],
  ['log.retention.minutes', ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours']],
  ['log.retention.hours', ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours']],
  ['log.roll.ms', ['log.roll.ms', 'log.roll.hours']],
  ['log.roll.hours', ['log.roll.ms', 'log.roll.hours']],
]);

/** One broker config as DescribeConfigs reports it for a broker resource. */
export interface BrokerConfigValue {
  readonly value: string | null;
  readonly isDefault: boolean;
  readonly source: number;
  readonly readOnly: boolean;
  /** Most specific first: dynamic per-broker, dynamic default, static, default. */
  readonly synonyms: readonly {
    readonly name: string;
    readonly value: string | null;
    readonly source: number;
  }[];
}

/**
 * Every broker key with its layers: `statics` are the values of server.properties (explicit keys
 * flagged not default) and the defaults; the dynamic layers come from `dynamic`.
 */
export function layeredBrokerConfigs(
  statics: ReadonlyMap<string, { readonly value: string | null; readonly isDefault: boolean }>,
  dynamic: {
    readonly perBroker: Readonly<Record<string, string>>;
    readonly clusterDefault: Readonly<Record<string, string>>;
  },
): Map<string, BrokerConfigValue> {
  const defaults = new Map<string, string>();
  for (const k of TOPIC_CONFIG_KEYS)
    if (k.brokerSynonym !== null) defaults.set(k.brokerSynonym, k.defaultValue);
  const out = new Map<string, BrokerConfigValue>();
  const names = new Set([...statics.keys(), ...DYNAMIC_BROKER_KEYS.keys()]);
  for (const name of names) {
    const synonyms: { name: string; value: string | null; source: number }[] = [];
    const chain = BROKER_SYNONYMS.get(name) ?? [name];
    // Source first, then the key's other spellings (Kafka's order).
    for (const n of chain) {
      const b = dynamic.perBroker[n];
      if (b !== undefined) synonyms.push({ name: n, value: b, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
    }
    for (const n of chain) {
      const d = dynamic.clusterDefault[n];
      if (d !== undefined)
        synonyms.push({ name: n, value: d, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    }
    for (const n of chain) {
      const s = statics.get(n);
      if (s !== undefined && !s.isDefault) {
        synonyms.push({ name: n, value: s.value, source: ConfigSource.STATIC_BROKER_CONFIG });
      }
    }
    for (const n of chain) {
      const s = statics.get(n);
      const def = s === undefined ? (defaults.get(n) ?? null) : s.isDefault ? s.value : staticDefault(n);
      if (def !== null) synonyms.push({ name: n, value: def, source: ConfigSource.DEFAULT_CONFIG });
    }
    // Leading spellings other than this key's own are dropped (Kafka's rule): an unset
    // log.retention.ms does not borrow the value of log.retention.hours.
    while (synonyms.length > 0 && synonyms[0]!.name !== name) synonyms.shift();
    const first = synonyms[0];
    out.set(name, {
      value: first?.value ?? null,
      source: first?.source ?? ConfigSource.DEFAULT_CONFIG,
      isDefault: first === undefined || first.source === ConfigSource.DEFAULT_CONFIG,
      readOnly: !DYNAMIC_BROKER_KEYS.has(name),
      synonyms,
    });
  }
  return out;
}

function staticDefault(name: string): string | null {
  if (!Object.hasOwn(brokerConfigDef.spec, name)) {
    return TOPIC_CONFIG_KEYS.find((k) => k.brokerSynonym === name)?.defaultValue ?? null;
  }
  const spec = brokerConfigDef.spec[name as keyof typeof brokerConfigDef.spec];
  if (spec.default === null) return null;
  return Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default);
}
