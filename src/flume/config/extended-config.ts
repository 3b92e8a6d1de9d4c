import {
  type ConfigDef,
  type ConfigDocRow,
  ConfigError,
  type ConfigIssue,
  type ConfigLayer,
  type ConfigSpec,
  type ConfigWarning,
  type ParsedConfig,
  type ParseOptions,
} from '../../config/index.ts';

/** One given key of a family (`mapping.CA`), relative to the component. */
export interface FamilyEntry {
  readonly key: string;
  readonly value: string;
  readonly source: string;
  readonly line?: number;
}

/** Reports a bad value: `at` is a family entry, or the name of a fixed key. */
export type Fail = (at: FamilyEntry | string, expected: string) => void;

export interface ExtendedConfigOptions<S extends ConfigSpec> {
  /** The keys with fixed names. */
  readonly fixed: ConfigDef<S>;
  /** Key families by prefix (`mapping.` takes `mapping.<anything>`). */
  readonly prefixes?: readonly string[];
  /** Reference rows for the families (`mapping.<value>`), after the fixed keys'. */
  readonly familyRows?: readonly ConfigDocRow[];
  /**
   * Checks what a ConfigDef cannot (cross-key rules, Java regexes) and returns the typed values of
   * the families, merged into the fixed values. Problems go through `fail`.
   */
  finish(
    fixed: ParsedConfig<S>,
    families: ReadonlyMap<string, FamilyEntry>,
    fail: Fail,
    unknown: (entry: FamilyEntry) => void,
  ): Readonly<Record<string, unknown>>;
}

/**
 * A component definition with fixed keys plus key families whose names embed a value
 * (`selector.mapping.<header value>`, `processor.priority.<sink>`, `serializers.<name>.type`),
 * and a final check. It satisfies what the Flume config parser needs of a definition (`parse`,
 * `docRows`), so such components plug into component-types.ts like any other.
 */
export function extendedConfig<S extends ConfigSpec>(options: ExtendedConfigOptions<S>) {
  const prefixes = options.prefixes ?? [];
  return {
    parse(
      layers: readonly ConfigLayer[],
      parseOptions?: ParseOptions,
    ): { readonly values: object; readonly warnings: readonly ConfigWarning[] } {
      const families = new Map<string, FamilyEntry>();
      const fixedLayers: ConfigLayer[] = layers.map((layer) => {
        const kept: { key: string; value: string; line?: number }[] = [];
        for (const e of layer.entries) {
          if (prefixes.some((p) => e.key.startsWith(p) && e.key.length > p.length)) {
            families.set(e.key, {
              key: e.key,
              value: e.value,
              source: layer.source,
              ...(e.line === undefined ? {} : { line: e.line }),
            });
          } else {
            kept.push(e.line === undefined ? { key: e.key, value: e.value } : e);
          }
        }
        return { source: layer.source, entries: kept };
      });
      const fixed = options.fixed.parse(fixedLayers, parseOptions);
      const issues: ConfigIssue[] = [];
      const fail: Fail = (at, expected) => {
        if (typeof at !== 'string') {
          issues.push({
            source: at.source,
            ...(at.line === undefined ? {} : { line: at.line }),
            key: at.key,
            value: at.value,
            expected,
          });
          return;
        }
        const origin = fixed.origins.get(at);
        const raw = fixed.raw.get(at);
        issues.push({
          source: origin?.source ?? layers.at(-1)?.source ?? 'configuration',
          ...(origin?.line === undefined ? {} : { line: origin.line }),
          key: at,
          ...(raw === undefined ? {} : { value: raw }),
          expected,
        });
      };
      const warnings: ConfigWarning[] = [...fixed.warnings];
      const unknown = (e: FamilyEntry) => {
        if (parseOptions?.strict) fail(e, 'a known configuration key');
        else
          warnings.push({
            source: e.source,
            ...(e.line === undefined ? {} : { line: e.line }),
            key: e.key,
            message: `unknown configuration key '${e.key}' (ignored)`,
          });
      };
      const extra = options.finish(fixed, families, fail, unknown);
      if (issues.length > 0) throw new ConfigError(issues);
      return { values: { ...fixed.values, ...extra }, warnings };
    },
    docRows(): ConfigDocRow[] {
      return [...options.fixed.docRows(), ...(options.familyRows ?? [])];
    },
  };
}

/** Names in a Flume list value (blank-separated, as Flume splits `sinks`, `serializers`, channel lists). */
export function blankList(value: string): string[] {
  return value.split(/\s+/).filter((s) => s.length > 0);
}
