import {
  ConfigError,
  type ConfigIssue,
  type ConfigWarning,
  type ParsedProperties,
  type PropertyEntry,
  parseProperties,
} from '../../config/index.ts';
import { type ComponentDef, type ComponentKind, KIND_LABEL, lookupType } from './component-types.ts';
import { type Lookups, substitute } from './substitution.ts';

/**
 * Reads a Flume agent configuration (Flume 1.11's FlumeConfiguration rules) into the typed,
 * validated description of one agent:
 *
 *   <agent>.sources = r1 r2          <agent>.sources.r1.type = netcat
 *   <agent>.channels = c1            <agent>.sources.r1.channels = c1 c2     (plural)
 *   <agent>.sinks = k1               <agent>.sinks.k1.channel = c1           (singular)
 *   <agent>.sinkgroups = g1          <agent>.sinkgroups.g1.sinks / .processor.type
 *   <agent>.sources.r1.selector.type / .selector.optional, .interceptors = i1, .interceptors.i1.type
 *
 * A file may describe several agents; only `agentName`'s keys are read. Lists split on blanks.
 * Values are trimmed and `${...}` variables substituted (see substitution.ts).
 *
 * Unlike Flume, a problem with a component is an error by default: every problem is collected and
 * thrown as one ConfigError naming the file, line, key, value and expectation. With `lenient`,
 * Flume's behaviour is kept instead: the faulty component is dropped with a warning, then what
 * depended on it (a sink whose channel is gone, a source left without channels), and the agent
 * fails only when nothing usable remains.
 */

export interface FlumeConfigOptions {
  /** The agent to read (`--name`). */
  readonly agentName: string;
  /** File path (or label) used in messages. */
  readonly source: string;
  readonly lenient?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** `-Dkey=value` system properties, for `${sys:key}` and `propertiesImplementation`. */
  readonly systemProperties?: Readonly<Record<string, string | undefined>>;
}

interface ComponentBase {
  readonly name: string;
  /** Canonical alias of the type (`memory`, `seq`...). */
  readonly type: string;
  /** Typed values of the component's own keys. */
  readonly settings: Readonly<Record<string, unknown>>;
}

export type ChannelConfig = ComponentBase;

export interface InterceptorConfig extends ComponentBase {}

export interface SourceConfig extends ComponentBase {
  readonly channels: readonly string[];
  readonly selector: {
    /** Canonical alias: replicating, multiplexing, load_balancing. */
    readonly type: string;
    /** Replicating's `selector.optional` channels. */
    readonly optional: readonly string[];
    /** Typed values of the other `selector.*` keys, from the selector's definition. */
    readonly settings: Readonly<Record<string, unknown>>;
  };
  readonly interceptors: readonly InterceptorConfig[];
}

export interface SinkConfig extends ComponentBase {
  readonly channel: string;
}

export interface SinkGroupConfig {
  readonly name: string;
  readonly sinks: readonly string[];
  /** Canonical alias: default, failover, load_balance. */
  readonly processor: string;
  /** Typed values of the `processor.*` keys (but `type`), from the processor's definition. */
  readonly settings: Readonly<Record<string, unknown>>;
}

export interface AgentConfig {
  readonly name: string;
  readonly source: string;
  readonly channels: readonly ChannelConfig[];
  readonly sources: readonly SourceConfig[];
  readonly sinks: readonly SinkConfig[];
  readonly sinkGroups: readonly SinkGroupConfig[];
  /** Unknown keys, unused channels and (with `lenient`) dropped components. */
  readonly warnings: readonly ConfigWarning[];
}

/** Parses the text of a Flume properties file; throws ConfigError only. */
export function parseFlumeConfigText(text: string, options: FlumeConfigOptions): AgentConfig {
  return parseFlumeConfig(parseProperties(text, options.source), options);
}

const ROOTS = ['sources', 'channels', 'sinks', 'sinkgroups', 'configfilters'] as const;
type Root = (typeof ROOTS)[number];
const SPLIT = /\s+/;

interface Props {
  /** Relative key (after `<agent>.<root>.<name>.`) → entry with the full key. */
  readonly keys: Map<string, PropertyEntry>;
}

class Collector {
  readonly issues: ConfigIssue[] = [];
  readonly warnings: ConfigWarning[] = [];
  /** With `lenient`, the problems that dropped components (reported if the agent still fails). */
  readonly dropped: ConfigIssue[] = [];
  readonly source: string;
  readonly lenient: boolean;

  constructor(source: string, lenient: boolean) {
    this.source = source;
    this.lenient = lenient;
  }

  /** A problem that makes a component unusable. */
  problem(issue: Omit<ConfigIssue, 'source'> & { source?: string }, dropped?: string): void {
    const full: ConfigIssue = { source: this.source, ...issue };
    if (!this.lenient) {
      this.issues.push(full);
      return;
    }
    this.dropped.push(full);
    const what =
      full.value === undefined
        ? `missing value for '${full.key}'`
        : `invalid value ${JSON.stringify(full.value)} for '${full.key}'`;
    this.warn(
      full.key,
      `${what}: expected ${full.expected}${dropped ? `; ${dropped} dropped` : ''}`,
      full.line,
      full.source,
    );
  }

  /** A component unusable only because one it depends on was dropped: already reported. */
  cascade(key: string, message: string, line?: number): void {
    if (this.lenient) this.warn(key, message, line);
  }

  warn(key: string, message: string, line?: number, source = this.source): void {
    this.warnings.push(line === undefined ? { source, key, message } : { source, line, key, message });
  }
}

export function parseFlumeConfig(parsed: ParsedProperties, options: FlumeConfigOptions): AgentConfig {
  const { agentName: agent, source } = options;
  const lenient = options.lenient ?? false;
  const out = new Collector(source, lenient);
  const sys = options.systemProperties ?? {};
  const lookups: Lookups = {
    env: options.env ?? {},
    sys,
    properties: (name) => parsed.entries.get(name)?.value,
    bareNamesFromEnv: sys.propertiesImplementation === 'org.apache.flume.node.EnvVarResolverProperties',
  };

  const agents = new Set<string>();
  const roots = new Map<Root, PropertyEntry>();
  const components: Record<Root, Map<string, Props>> = {
    sources: new Map(),
    channels: new Map(),
    sinks: new Map(),
    sinkgroups: new Map(),
    configfilters: new Map(),
  };

  for (const raw of parsed.entries.values()) {
    const dot = raw.key.indexOf('.');
    // Keys without a dot belong to no agent; they serve as `${NAME}` values.
    if (dot <= 0) continue;
    agents.add(raw.key.slice(0, dot));
    if (raw.key.slice(0, dot) !== agent) continue;
    const entry = resolveValue(raw, lookups, out);
    if (entry === undefined) continue;
    const rest = raw.key.slice(dot + 1);
    const rootEnd = rest.indexOf('.');
    const root = (rootEnd < 0 ? rest : rest.slice(0, rootEnd)) as Root;
    if (!ROOTS.includes(root)) {
      out.warn(
        raw.key,
        `unknown key '${raw.key}' (ignored): expected ${agent}.sources, .channels, .sinks or .sinkgroups`,
        raw.line,
      );
      continue;
    }
    if (rootEnd < 0) {
      roots.set(root, entry);
      continue;
    }
    const after = rest.slice(rootEnd + 1);
    const nameEnd = after.indexOf('.');
    if (nameEnd <= 0 || nameEnd === after.length - 1) {
      out.warn(
        raw.key,
        `unknown key '${raw.key}' (ignored): expected ${agent}.${root}.<name>.<key>`,
        raw.line,
      );
      continue;
    }
    const name = after.slice(0, nameEnd);
    let props = components[root].get(name);
    if (!props) {
      props = { keys: new Map() };
      components[root].set(name, props);
    }
    props.keys.set(after.slice(nameEnd + 1), entry);
  }

  if (!agents.has(agent)) {
    throw new ConfigError([
      {
        source,
        key: '',
        expected: `a configuration for agent '${agent}' (keys starting with '${agent}.'); agents in the file: ${agents.size === 0 ? 'none' : [...agents].sort().join(', ')}`,
      },
    ]);
  }

  const listed = (root: Root): string[] => {
    const e = roots.get(root);
    if (!e) return [];
    const names = e.value.split(SPLIT).filter((s) => s.length > 0);
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) out.warn(e.key, `'${n}' is listed twice in ${e.key}`, e.line);
      seen.add(n);
    }
    return [...seen];
  };

  const filters = roots.get('configfilters');
  if (filters) {
    out.problem(
      {
        line: filters.line,
        key: filters.key,
        value: filters.value,
        expected: 'no config filters: configfilters are not implemented yet',
      },
      'config filters',
    );
  }

  for (const root of ['sources', 'channels', 'sinks', 'sinkgroups'] as const) {
    const names = new Set(listed(root));
    for (const [name, props] of components[root]) {
      if (names.has(name)) continue;
      const first = props.keys.values().next().value;
      out.warn(
        `${agent}.${root}.${name}`,
        `${root.slice(0, -1)} '${name}' is configured but not listed in ${agent}.${root} (ignored)`,
        first?.line,
      );
    }
  }

  const propsOf = (root: Root, name: string): Map<string, PropertyEntry> =>
    components[root].get(name)?.keys ?? new Map();

  // Channels first: sources and sinks are checked against the valid ones.
  const channels = new Map<string, ChannelConfig>();
  for (const name of listed('channels')) {
    const keys = propsOf('channels', name);
    const built = component(
      out,
      'channel',
      `${agent}.channels.${name}`,
      name,
      keys,
      new Set(),
      roots.get('channels'),
    );
    if (!built) continue;
    const cap = built.settings.capacity as number | undefined;
    const txCap = built.settings.transactionCapacity as number | undefined;
    if (cap !== undefined && txCap !== undefined && txCap > cap) {
      const e = keys.get('transactionCapacity');
      out.problem(
        {
          ...(e ? { line: e.line } : {}),
          key: `${agent}.channels.${name}.transactionCapacity`,
          value: e?.value ?? String(txCap),
          expected: `at most the channel's capacity (${cap})`,
        },
        `channel ${name}`,
      );
      continue;
    }
    channels.set(name, built);
  }

  const batchFits = (
    owner: string,
    keys: Map<string, PropertyEntry>,
    batchKey: string,
    batch: unknown,
    channelNames: readonly string[],
  ): boolean => {
    if (typeof batch !== 'number') return true;
    for (const c of channelNames) {
      const txCap = channels.get(c)?.settings.transactionCapacity;
      if (typeof txCap === 'number' && batch > txCap) {
        const e = keys.get(batchKey);
        out.problem(
          {
            ...(e ? { line: e.line } : {}),
            key: `${owner}.${batchKey}`,
            value: e?.value ?? String(batch),
            expected: `at most the transactionCapacity of channel ${c} (${txCap}): a batch must fit in one channel transaction`,
          },
          owner,
        );
        return false;
      }
    }
    return true;
  };

  const listedChannels = new Set(listed('channels'));
  const sources: SourceConfig[] = [];
  for (const name of listed('sources')) {
    const prefix = `${agent}.sources.${name}`;
    const keys = propsOf('sources', name);
    const reserved = new Set(['channels', 'selector.type', 'selector.optional', 'interceptors']);
    for (const k of keys.keys())
      if (k.startsWith('interceptors.') || k.startsWith('selector.')) reserved.add(k);
    const built = component(out, 'source', prefix, name, keys, reserved, roots.get('sources'));
    const chosen = channelList(out, keys, 'channels', prefix, channels, listedChannels, agent);
    const selector = selectorOf(out, keys, prefix, chosen ?? []);
    const interceptors = interceptorsOf(out, keys, prefix);
    if (!built || !chosen || !selector || !interceptors) continue;
    if (!batchFits(prefix, keys, 'batchSize', built.settings.batchSize, chosen)) continue;
    sources.push({ ...built, channels: chosen, selector, interceptors });
  }

  const sinks: SinkConfig[] = [];
  for (const name of listed('sinks')) {
    const prefix = `${agent}.sinks.${name}`;
    const keys = propsOf('sinks', name);
    const built = component(out, 'sink', prefix, name, keys, new Set(['channel']), roots.get('sinks'));
    const channel = singleChannel(out, keys, prefix, channels, listedChannels, agent);
    if (!built || channel === undefined) continue;
    const batchKey = SINK_BATCH_KEYS.find((k) => typeof built.settings[k] === 'number') ?? 'batchSize';
    if (!batchFits(prefix, keys, batchKey, built.settings[batchKey], [channel])) continue;
    sinks.push({ ...built, channel });
  }

  const sinkGroups = sinkGroupsOf(out, listed('sinkgroups'), agent, (n) => propsOf('sinkgroups', n), sinks);

  const used = new Set([...sources.flatMap((s) => s.channels), ...sinks.map((s) => s.channel)]);
  for (const name of [...channels.keys()]) {
    if (used.has(name)) continue;
    out.warn(
      `${agent}.channels`,
      `channel ${name} has no components connected and has been removed`,
      roots.get('channels')?.line,
    );
    channels.delete(name);
  }

  if (out.issues.length === 0) {
    const line = roots.get('channels')?.line;
    if (channels.size === 0) {
      out.issues.push({
        source,
        ...(line === undefined ? {} : { line }),
        key: `${agent}.channels`,
        ...(roots.get('channels') ? { value: roots.get('channels')!.value } : {}),
        expected: lenient
          ? 'at least one valid channel connected to a source or sink (every channel was dropped)'
          : 'at least one channel connected to a source or sink',
      });
    } else if (sources.length === 0 && sinks.length === 0) {
      out.issues.push({
        source,
        key: `${agent}.sources`,
        expected: 'at least one valid source or sink',
      });
    }
  }
  if (out.issues.length > 0) throw new ConfigError(lenient ? [...out.dropped, ...out.issues] : out.issues);
  return {
    name: agent,
    source,
    channels: [...channels.values()],
    sources,
    sinks,
    sinkGroups,
    warnings: out.warnings,
  };
}

/** The batch-size key of each sink type's spelling (hdfs, file_roll, kafka, avro, others). */
const SINK_BATCH_KEYS = [
  'batchSize',
  'hdfs.batchSize',
  'sink.batchSize',
  'flumeBatchSize',
  'batch-size',
] as const;

/** Trims and substitutes one value; an unresolved variable is a problem, an empty value is dropped. */
function resolveValue(raw: PropertyEntry, lookups: Lookups, out: Collector): PropertyEntry | undefined {
  const { value, unresolved } = substitute(raw.value.trim(), lookups);
  if (unresolved.length > 0) {
    out.problem({
      line: raw.line,
      key: raw.key,
      value: raw.value.trim(),
      expected: `every variable to resolve (unknown: ${unresolved.map((u) => `\${${u}}`).join(', ')}; \${env:NAME} reads the environment, \${sys:NAME} a -D property)`,
    });
    // Lenient keeps the text as written, as Flume does.
    if (!out.lenient) return undefined;
  }
  const trimmed = value.trim();
  if (trimmed === '') {
    // Flume drops an empty value with a warning, so the key counts as absent: a component that
    // requires it then fails on the missing key, one with a default (search_replace's
    // `replaceString =`, in the user guide) uses the default.
    out.warn(raw.key, 'empty value ignored (as Flume does): the key counts as absent', raw.line);
    return undefined;
  }
  return { key: raw.key, value: trimmed, line: raw.line };
}

/** Resolves the type and parses the component's own keys (all but `reserved`). */
function component(
  out: Collector,
  kind: ComponentKind,
  prefix: string,
  name: string,
  keys: Map<string, PropertyEntry>,
  reserved: ReadonlySet<string>,
  listedAt?: PropertyEntry,
): ComponentBase | undefined {
  const typeEntry = keys.get('type');
  const label = `${KIND_LABEL[kind]} ${name}`;
  if (!typeEntry) {
    const near = keys.values().next().value ?? listedAt;
    out.problem(
      {
        ...(near ? { line: near.line } : {}),
        key: `${prefix}.type`,
        expected: `the ${KIND_LABEL[kind]}'s type (${name} is listed in ${listedAt?.key ?? 'the agent'})`,
      },
      label,
    );
    return undefined;
  }
  const found = lookupType(kind, typeEntry.value);
  if (!found.ok) {
    out.problem(
      { line: typeEntry.line, key: typeEntry.key, value: typeEntry.value, expected: found.expected },
      label,
    );
    return undefined;
  }
  const entries: { key: string; value: string; line: number }[] = [];
  for (const [k, e] of keys) {
    if (k === 'type' || reserved.has(k)) continue;
    entries.push({ key: k, value: e.value, line: e.line });
  }
  try {
    const parsed = found.type.def.parse([{ source: out.source, entries }]);
    for (const w of parsed.warnings) {
      out.warn(
        `${prefix}.${w.key}`,
        `unknown key '${prefix}.${w.key}' for ${KIND_LABEL[kind]} type ${found.type.alias} (ignored)`,
        w.line,
      );
    }
    return { name, type: found.type.alias, settings: parsed.values as Record<string, unknown> };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const issue of err.issues) {
      const { source: _s, ...rest } = issue;
      out.problem({ ...rest, key: `${prefix}.${issue.key}` }, label);
    }
    return undefined;
  }
}

function channelList(
  out: Collector,
  keys: Map<string, PropertyEntry>,
  key: string,
  prefix: string,
  channels: ReadonlyMap<string, ChannelConfig>,
  listedChannels: ReadonlySet<string>,
  agent: string,
): string[] | undefined {
  const e = keys.get(key);
  if (!e) {
    out.problem(
      {
        key: `${prefix}.${key}`,
        expected: `the channels the source writes to (names from ${agent}.channels)`,
      },
      prefix,
    );
    return undefined;
  }
  const names = [...new Set(e.value.split(SPLIT).filter((s) => s.length > 0))];
  const valid = names.filter((n) => channels.has(n));
  const unlisted = names.filter((n) => !listedChannels.has(n));
  const broken = names.filter((n) => listedChannels.has(n) && !channels.has(n));
  const what = valid.length === 0 ? prefix : `channels ${[...unlisted, ...broken].join(', ')} of ${prefix}`;
  if (unlisted.length > 0) {
    out.problem(
      {
        line: e.line,
        key: e.key,
        value: e.value,
        expected: `channels listed in ${agent}.channels (not listed: ${unlisted.join(', ')})`,
      },
      what,
    );
  } else if (broken.length > 0) {
    out.cascade(e.key, `channels ${broken.join(', ')} were dropped, so ${what} is dropped too`, e.line);
  }
  return valid.length === 0 || (!out.lenient && valid.length < names.length) ? undefined : valid;
}

function singleChannel(
  out: Collector,
  keys: Map<string, PropertyEntry>,
  prefix: string,
  channels: ReadonlyMap<string, ChannelConfig>,
  listedChannels: ReadonlySet<string>,
  agent: string,
): string | undefined {
  const e = keys.get('channel');
  if (!e) {
    const plural = keys.get('channels');
    out.problem(
      {
        ...(plural
          ? { line: plural.line, value: plural.value }
          : keys.size > 0
            ? { line: keys.values().next().value!.line }
            : {}),
        key: `${prefix}.channel`,
        expected: plural
          ? `the sink's one channel under '${prefix}.channel' (singular; '.channels' is for sources)`
          : `the sink's channel (a name from ${agent}.channels)`,
      },
      prefix,
    );
    return undefined;
  }
  if (!listedChannels.has(e.value)) {
    out.problem(
      { line: e.line, key: e.key, value: e.value, expected: `one channel listed in ${agent}.channels` },
      prefix,
    );
    return undefined;
  }
  if (!channels.has(e.value)) {
    out.cascade(e.key, `channel ${e.value} was dropped, so ${prefix} is dropped too`, e.line);
    return undefined;
  }
  return e.value;
}

function selectorOf(
  out: Collector,
  keys: Map<string, PropertyEntry>,
  prefix: string,
  channelNames: readonly string[],
): SourceConfig['selector'] | undefined {
  const typeEntry = keys.get('selector.type');
  let type = 'replicating';
  let def: ComponentDef | undefined;
  if (typeEntry) {
    const found = lookupType('selector', typeEntry.value);
    if (!found.ok) {
      out.problem(
        { line: typeEntry.line, key: typeEntry.key, value: typeEntry.value, expected: found.expected },
        prefix,
      );
      return undefined;
    }
    type = found.type.alias;
    def = found.type.def;
  }
  const optionalEntry = type === 'replicating' ? keys.get('selector.optional') : undefined;
  const optional = optionalEntry ? optionalEntry.value.split(SPLIT).filter((s) => s.length > 0) : [];
  const outside = optional.filter((c) => !channelNames.includes(c));
  if (optionalEntry && outside.length > 0 && channelNames.length > 0) {
    out.warn(
      optionalEntry.key,
      `optional channels ${outside.join(', ')} are not channels of ${prefix} (ignored)`,
      optionalEntry.line,
    );
  }
  const own = new Map<string, PropertyEntry>();
  for (const [k, e] of keys) {
    if (!k.startsWith('selector.') || k === 'selector.type' || e === optionalEntry) continue;
    own.set(k.slice('selector.'.length), e);
    // Channel lists of the multiplexing selector must name channels of the source, as in Flume.
    const listsChannels = type === 'multiplexing' && /^(default|mapping\..+|optional\..+)$/.test(k.slice(9));
    const unknown = listsChannels ? e.value.split(SPLIT).filter((c) => c && !channelNames.includes(c)) : [];
    if (unknown.length > 0 && channelNames.length > 0) {
      out.problem(
        {
          line: e.line,
          key: e.key,
          value: e.value,
          expected: `channels of ${prefix} (${channelNames.join(' ')}); not one: ${unknown.join(', ')}`,
        },
        prefix,
      );
      return undefined;
    }
  }
  let settings: Readonly<Record<string, unknown>> = {};
  if (def) {
    const entries = [...own].map(([key, e]) => ({ key, value: e.value, line: e.line }));
    try {
      const parsed = def.parse([{ source: out.source, entries }]);
      settings = parsed.values as Record<string, unknown>;
      for (const w of parsed.warnings) {
        out.warn(
          `${prefix}.selector.${w.key}`,
          `unknown key '${prefix}.selector.${w.key}' for the ${type} selector (ignored)`,
          w.line,
        );
      }
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const issue of err.issues) {
        const { source: _s, ...rest } = issue;
        out.problem({ ...rest, key: `${prefix}.selector.${issue.key}` }, prefix);
      }
      return undefined;
    }
  } else {
    for (const e of own.values())
      out.warn(e.key, `unknown key '${e.key}' for the replicating selector (ignored)`, e.line);
  }
  return { type, optional: optional.filter((c) => channelNames.includes(c)), settings };
}

function interceptorsOf(
  out: Collector,
  keys: Map<string, PropertyEntry>,
  prefix: string,
): InterceptorConfig[] | undefined {
  const list = keys.get('interceptors');
  const names = list ? [...new Set(list.value.split(SPLIT).filter((s) => s.length > 0))] : [];
  const result: InterceptorConfig[] = [];
  let ok = true;
  for (const name of names) {
    const own = new Map<string, PropertyEntry>();
    for (const [k, e] of keys) {
      if (k.startsWith(`interceptors.${name}.`)) own.set(k.slice(`interceptors.${name}.`.length), e);
    }
    // A broken interceptor drops the whole source in Flume too (the source fails to configure).
    const built = component(
      out,
      'interceptor',
      `${prefix}.interceptors.${name}`,
      name,
      own,
      new Set(),
      keys.get('interceptors'),
    );
    if (built) result.push(built);
    else ok = false;
  }
  for (const [k, e] of keys) {
    if (!k.startsWith('interceptors.')) continue;
    const n = k.slice('interceptors.'.length).split('.')[0]!;
    if (!names.includes(n))
      out.warn(
        e.key,
        `interceptor '${n}' is configured but not listed in ${prefix}.interceptors (ignored)`,
        e.line,
      );
  }
  return ok ? result : undefined;
}

function sinkGroupsOf(
  out: Collector,
  names: readonly string[],
  agent: string,
  propsOf: (name: string) => Map<string, PropertyEntry>,
  sinks: readonly SinkConfig[],
): SinkGroupConfig[] {
  const groups: SinkGroupConfig[] = [];
  const taken = new Map<string, string>();
  for (const name of names) {
    const prefix = `${agent}.sinkgroups.${name}`;
    const keys = propsOf(name);
    for (const [k, e] of keys) {
      if (k !== 'sinks' && !k.startsWith('processor.')) {
        out.warn(
          e.key,
          `unknown key '${e.key}' for a sink group (ignored; settings go under ${prefix}.processor.)`,
          e.line,
        );
      }
    }
    const sinksEntry = keys.get('sinks');
    if (!sinksEntry) {
      out.problem(
        { key: `${prefix}.sinks`, expected: `the sinks of the group (names from ${agent}.sinks)` },
        `sink group ${name}`,
      );
      continue;
    }
    const typeEntry = keys.get('processor.type');
    let processor = 'default';
    let settings: Readonly<Record<string, unknown>> = {};
    if (typeEntry) {
      const found = lookupType('sinkProcessor', typeEntry.value);
      if (!found.ok) {
        out.problem(
          { line: typeEntry.line, key: typeEntry.key, value: typeEntry.value, expected: found.expected },
          `sink group ${name}`,
        );
        continue;
      }
      processor = found.type.alias;
      const entries: { key: string; value: string; line: number }[] = [];
      for (const [k, e] of keys) {
        if (k.startsWith('processor.') && k !== 'processor.type')
          entries.push({ key: k.slice('processor.'.length), value: e.value, line: e.line });
      }
      try {
        const parsed = found.type.def.parse([{ source: out.source, entries }]);
        settings = parsed.values as Record<string, unknown>;
        for (const w of parsed.warnings) {
          out.warn(
            `${prefix}.processor.${w.key}`,
            `unknown key '${prefix}.processor.${w.key}' for the ${processor} sink processor (ignored)`,
            w.line,
          );
        }
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        for (const issue of err.issues) {
          const { source: _s, ...rest } = issue;
          out.problem({ ...rest, key: `${prefix}.processor.${issue.key}` }, `sink group ${name}`);
        }
        continue;
      }
    } else {
      out.problem(
        {
          line: sinksEntry.line,
          key: `${prefix}.processor.type`,
          expected: 'the sink processor type (default, failover, load_balance)',
        },
        `sink group ${name}`,
      );
      continue;
    }
    const members = [...new Set(sinksEntry.value.split(SPLIT).filter((s) => s.length > 0))];
    const valid = members.filter((m) => sinks.some((s) => s.name === m) && !taken.has(m));
    for (const m of members) {
      if (taken.has(m))
        out.warn(
          sinksEntry.key,
          `sink ${m} already belongs to sink group ${taken.get(m)} (ignored here)`,
          sinksEntry.line,
        );
      else if (!valid.includes(m))
        out.warn(sinksEntry.key, `sink ${m} is not a valid sink of ${agent} (ignored)`, sinksEntry.line);
    }
    if (processor === 'default' ? valid.length !== 1 : valid.length === 0) {
      out.problem(
        {
          line: sinksEntry.line,
          key: sinksEntry.key,
          value: sinksEntry.value,
          expected:
            processor === 'default'
              ? 'exactly one valid sink for the default sink processor'
              : `at least one valid sink for the ${processor} sink processor`,
        },
        `sink group ${name}`,
      );
      continue;
    }
    for (const [k, e] of keys) {
      const sink = k.startsWith('processor.priority.') ? k.slice('processor.priority.'.length) : undefined;
      if (sink !== undefined && !valid.includes(sink))
        out.warn(e.key, `sink ${sink} is not in sink group ${name} (priority ignored)`, e.line);
    }
    for (const m of valid) taken.set(m, name);
    groups.push({ name, sinks: valid, processor, settings });
  }
  return groups;
}
