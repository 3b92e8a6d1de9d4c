import type { RawField, RawMessage, RawStruct, VersionRange } from './spec.ts';
import { parseVersions } from './spec.ts';

export type PrimitiveKind =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'uuid'
  | 'records';

const PRIMITIVES: ReadonlySet<string> = new Set<PrimitiveKind>([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'bytes',
  'uuid',
  'records',
]);

export type FieldType =
  | { readonly kind: PrimitiveKind }
  | { readonly kind: 'array'; readonly items: FieldType }
  | { readonly kind: 'struct'; readonly struct: StructModel };

/** `null` and `empty` (empty bytes, empty array, struct of defaults) or a scalar literal. */
export type DefaultValue =
  | { readonly kind: 'null' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'literal'; readonly value: boolean | number | bigint | string };

export interface FieldModel {
  readonly specName: string;
  /** Property name in the generated types (camelCase). */
  readonly name: string;
  readonly specType: string;
  readonly type: FieldType;
  readonly versions: VersionRange | null;
  readonly nullableVersions: VersionRange | null;
  readonly taggedVersions: VersionRange | null;
  readonly tag: number | null;
  /** Per-field `flexibleVersions` override (RequestHeader ClientId), when the spec has one. */
  readonly flexibleOverride: { readonly versions: VersionRange | null } | null;
  readonly ignorable: boolean;
  readonly defaultValue: DefaultValue;
  /** Whether the TypeScript type admits null (nullable in some valid version, or a null default). */
  readonly typeNullable: boolean;
}

export interface StructModel {
  readonly specName: string;
  readonly typeName: string;
  readonly fields: FieldModel[];
  /** Hull of the versions in which the struct can appear; set by `computeContexts`. */
  context: VersionRange | null;
  readonly isRoot: boolean;
}

export interface MessageModel {
  readonly specName: string;
  readonly type: 'request' | 'response' | 'header';
  readonly apiKey: number | null;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange | null;
  readonly latestVersionUnstable: boolean;
  readonly listeners: readonly string[];
  readonly root: StructModel;
  /** Nested structs in first-use order (depth first), each once. */
  readonly structs: readonly StructModel[];
}

export function intersect(a: VersionRange | null, b: VersionRange | null): VersionRange | null {
  if (a === null || b === null) return null;
  const min = Math.max(a.min, b.min);
  const max = Math.min(a.max, b.max);
  return min <= max ? { min, max } : null;
}

export function hull(a: VersionRange | null, b: VersionRange | null): VersionRange | null {
  if (a === null) return b;
  if (b === null) return a;
  return { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  int8: [-0x80, 0x7f],
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};

function parseIntLiteral(text: string, where: string): bigint {
  const s = text.trim();
  const m = /^(-?)(0x[0-9a-fA-F]+|0|[1-9][0-9]*)$/.exec(s);
  if (!m) throw new Error(`${where}: unsupported integer default "${text}"`);
  const magnitude = BigInt(m[2]!);
  return m[1] === '-' ? -magnitude : magnitude;
}

function parseDefault(raw: RawField, type: FieldType, where: string): DefaultValue {
  const d = raw.default;
  const isNull = d === 'null';
  switch (type.kind) {
    case 'bool':
      if (d === undefined) return { kind: 'literal', value: false };
      if (d === true || d === 'true') return { kind: 'literal', value: true };
      if (d === false || d === 'false') return { kind: 'literal', value: false };
      throw new Error(`${where}: invalid boolean default ${JSON.stringify(d)}`);
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      if (d === undefined) return { kind: 'literal', value: 0 };
      const v = Number(parseIntLiteral(String(d), where));
      const [lo, hi] = INT_RANGES[type.kind]!;
      if (v < lo || v > hi) throw new Error(`${where}: default ${d} out of range for ${type.kind}`);
      return { kind: 'literal', value: v };
    }
    case 'int64': {
      if (d === undefined) return { kind: 'literal', value: 0n };
      const v = parseIntLiteral(String(d), where);
      if (v < -(2n ** 63n) || v >= 2n ** 63n)
        throw new Error(`${where}: default ${d} out of range for int64`);
      return { kind: 'literal', value: v };
    }
    case 'float64': {
      if (d === undefined) return { kind: 'literal', value: 0 };
      const v = Number(d);
      if (Number.isNaN(v) && String(d).trim() !== 'NaN')
        throw new Error(`${where}: invalid float default ${d}`);
      return { kind: 'literal', value: v };
    }
    case 'string':
      if (d === undefined) return { kind: 'literal', value: '' };
      if (isNull) return { kind: 'null' };
      return { kind: 'literal', value: String(d) };
    case 'uuid':
      if (d !== undefined) throw new Error(`${where}: uuid defaults are not supported`);
      return { kind: 'literal', value: '00000000-0000-0000-0000-000000000000' };
    case 'records':
      if (d !== undefined && !isNull) throw new Error(`${where}: records defaults must be null`);
      return { kind: 'null' };
    case 'bytes':
    case 'array':
    case 'struct':
      if (d === undefined) return { kind: 'empty' };
      if (isNull) return { kind: 'null' };
      throw new Error(`${where}: only "null" may be a default of a ${type.kind} field`);
  }
}

/** Builds the model of one spec file: resolves struct names, common structs, versions and defaults. */
export function buildMessage(raw: RawMessage): MessageModel {
  const type = raw.type;
  if (type !== 'request' && type !== 'response' && type !== 'header') {
    throw new Error(`${raw.name}: unsupported message type ${type}`);
  }
  const valid = parseVersions(raw.validVersions, `${raw.name}.validVersions`);
  if (valid === null) throw new Error(`${raw.name}: no valid versions`);
  const flexible = parseVersions(raw.flexibleVersions, `${raw.name}.flexibleVersions`);
  const messageName = raw.name;
  const common = new Map<string, RawStruct>();
  for (const s of raw.commonStructs ?? []) common.set(s.name, s);
  const structs = new Map<string, StructModel>();
  const order: StructModel[] = [];
  const typeNames = new Set<string>([messageName]);

  const buildStruct = (specName: string, rawFields: readonly RawField[], isRoot: boolean): StructModel => {
    const typeName = isRoot
      ? messageName
      : specName.startsWith(messageName)
        ? specName
        : `${messageName}${specName}`;
    const model: StructModel = { specName, typeName, fields: [], context: null, isRoot };
    if (!isRoot) {
      if (typeNames.has(typeName)) throw new Error(`${messageName}: duplicate struct type name ${typeName}`);
      typeNames.add(typeName);
      structs.set(specName, model);
      order.push(model);
    }
    const names = new Set<string>();
    const tags = new Set<number>();
    for (const f of rawFields) {
      const field = buildField(f, `${messageName}.${specName}.${f.name}`);
      if (names.has(field.name)) throw new Error(`${messageName}.${specName}: duplicate field ${field.name}`);
      names.add(field.name);
      if (field.tag !== null) {
        if (tags.has(field.tag)) throw new Error(`${messageName}.${specName}: duplicate tag ${field.tag}`);
        tags.add(field.tag);
      }
      model.fields.push(field);
    }
    return model;
  };

  const resolveType = (f: RawField, typeText: string, where: string): FieldType => {
    if (PRIMITIVES.has(typeText)) {
      if (f.fields) throw new Error(`${where}: primitive type ${typeText} with fields`);
      return { kind: typeText as PrimitiveKind };
    }
    if (!/^[A-Z]\w*$/.test(typeText)) throw new Error(`${where}: unknown type ${typeText}`);
    if (f.fields) {
      if (structs.has(typeText) || common.has(typeText))
        throw new Error(`${where}: struct ${typeText} defined twice`);
      return { kind: 'struct', struct: buildStruct(typeText, f.fields, false) };
    }
    const existing = structs.get(typeText);
    if (existing) return { kind: 'struct', struct: existing };
    const c = common.get(typeText);
    if (!c) throw new Error(`${where}: unknown struct ${typeText}`);
    return { kind: 'struct', struct: buildStruct(typeText, c.fields, false) };
  };

  const buildField = (f: RawField, where: string): FieldModel => {
    const isArray = f.type.startsWith('[]');
    const inner = resolveType(f, isArray ? f.type.slice(2) : f.type, where);
    if (isArray && inner.kind === 'records') throw new Error(`${where}: arrays of records are not supported`);
    const type: FieldType = isArray ? { kind: 'array', items: inner } : inner;
    const versions = parseVersions(f.versions, `${where}.versions`);
    const nullableVersions = f.nullableVersions
      ? parseVersions(f.nullableVersions, `${where}.nullableVersions`)
      : null;
    if (nullableVersions && !['string', 'bytes', 'records', 'array', 'struct'].includes(type.kind)) {
      throw new Error(`${where}: ${type.kind} fields cannot be nullable`);
    }
    const taggedVersions = f.taggedVersions
      ? parseVersions(f.taggedVersions, `${where}.taggedVersions`)
      : null;
    if ((f.tag === undefined) !== (taggedVersions === null)) {
      throw new Error(`${where}: tag and taggedVersions must be given together`);
    }
    if (taggedVersions !== null) {
      if (taggedVersions.max !== versions?.max)
        throw new Error(`${where}: taggedVersions must be open-ended`);
      const flexTagged = intersect(taggedVersions, flexible);
      if (flexTagged?.min !== taggedVersions.min || flexTagged.max !== taggedVersions.max) {
        throw new Error(`${where}: tagged in non-flexible versions`);
      }
    }
    const defaultValue = parseDefault(f, type, where);
    const presentValid = intersect(versions, valid);
    const typeNullable =
      type.kind === 'records' ||
      defaultValue.kind === 'null' ||
      intersect(nullableVersions, presentValid) !== null;
    return {
      specName: f.name,
      name: camelCase(f.name),
      specType: f.type,
      type,
      versions,
      nullableVersions,
      taggedVersions,
      tag: f.tag ?? null,
      flexibleOverride:
        f.flexibleVersions === undefined
          ? null
          : { versions: parseVersions(f.flexibleVersions, `${where}.flexibleVersions`) },
      ignorable: f.ignorable === true,
      defaultValue,
      typeNullable,
    };
  };

  const root = buildStruct(messageName, raw.fields, true);
  computeContexts(root, valid, common);
  for (const s of order) {
    if (s.context === null) throw new Error(`${messageName}.${s.specName}: never present in a valid version`);
  }
  return {
    specName: messageName,
    type,
    apiKey: raw.apiKey ?? null,
    validVersions: valid,
    flexibleVersions: flexible,
    latestVersionUnstable: raw.latestVersionUnstable === true,
    listeners: raw.listeners ?? [],
    root,
    structs: order,
  };
}

function computeContexts(
  struct: StructModel,
  ctx: VersionRange,
  common: ReadonlyMap<string, RawStruct>,
): void {
  struct.context = hull(struct.context, ctx);
  for (const f of struct.fields) {
    const t = f.type.kind === 'array' ? f.type.items : f.type;
    if (t.kind !== 'struct') continue;
    const c = common.get(t.struct.specName);
    const structVersions = c ? parseVersions(c.versions, `${t.struct.specName}.versions`) : ctx;
    const present = intersect(intersect(f.versions, ctx), structVersions);
    if (present !== null) computeContexts(t.struct, present, common);
  }
}

/** Converts a PascalCase API name to the kebab-case file stem: `ApiVersions` → `api-versions`. */
export function kebabCase(name: string): string {
  return name.replace(/(?<=[a-z0-9])([A-Z])/g, '-$1').toLowerCase();
}
