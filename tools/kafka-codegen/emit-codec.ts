/**
 * Emits one TypeScript module per API: the request/response types (fields of every version, in
 * camelCase), `default*` constructors, and straight-line decode/encode functions per struct that
 * branch on the version number `v` only where the spec's version ranges differ. No reflection and no
 * per-field closures run at decode/encode time: the broker's Produce/Fetch path calls these directly.
 *
 * Wire rules implemented (Kafka message specs, KIP-482 for flexible versions):
 * - fields present outside their `versions` decode to their default; encoding a non-default value
 *   there raises EncodeError unless the field is `ignorable`;
 * - flexible versions use compact strings/bytes/arrays (unless a field overrides `flexibleVersions`)
 *   and end every struct with a tagged-field section; tagged fields are written only when they differ
 *   from their default, in tag order, and are read through a reader bounded to their size;
 * - null is accepted only in `nullableVersions` (both ways); a nullable struct is preceded by an
 *   int8 presence marker (-1 null, 1 present);
 * - array counts are checked against a minimum element size before anything is allocated.
 */
import { and, Code, formatRange, isConst, not, pick, pickStatement, versionCond } from './code.ts';
import type { DefaultValue, FieldModel, FieldType, MessageModel, StructModel } from './model.ts';
import { intersect, kebabCase } from './model.ts';
import type { VersionRange } from './spec.ts';

/** One API: its request and response specs. */
export interface ApiModel {
  readonly name: string;
  readonly apiKey: number;
  readonly request: MessageModel;
  readonly response: MessageModel;
}

export function apiFileStem(api: ApiModel): string {
  return kebabCase(api.name);
}

export function apiConstName(api: ApiModel): string {
  return `${api.name.charAt(0).toLowerCase()}${api.name.slice(1)}Api`;
}

/** Where the value is read from or written to, and which wire forms apply. */
interface Env {
  /** Reader or writer variable. */
  readonly io: string;
  /** Versions in which the emitted code runs. */
  readonly range: VersionRange;
  /** Condition for compact (flexible) encodings. */
  readonly flex: string;
  /** Condition for the null encoding being allowed. */
  readonly nullable: string;
  readonly path: string;
}

interface Usage {
  zeroUuid: boolean;
  emptyBytes: boolean;
}

const FIXED_SIZES: Readonly<Record<string, number>> = {
  bool: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  float64: 8,
  uuid: 16,
};

const SIMPLE_IO: Readonly<Record<string, string>> = {
  bool: 'boolean',
  int8: 'int8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  float64: 'float64',
  uuid: 'uuid',
};

function inRange(r: VersionRange | null, v: number): boolean {
  return r !== null && v >= r.min && v <= r.max;
}

export function tsType(t: FieldType): string {
  switch (t.kind) {
    case 'bool':
      return 'boolean';
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'float64':
      return 'number';
    case 'int64':
      return 'bigint';
    case 'string':
    case 'uuid':
      return 'string';
    case 'bytes':
    case 'records':
      return 'Buffer';
    case 'array':
      return `${tsType(t.items)}[]`;
    case 'struct':
      return t.struct.typeName;
  }
}

function fieldTsType(f: FieldModel): string {
  return f.typeNullable ? `${tsType(f.type)} | null` : tsType(f.type);
}

function structFn(
  prefix: 'read' | 'write' | 'default' | 'isDefault',
  s: StructModel,
  msg: MessageModel,
): string {
  if (s.isRoot) {
    if (prefix === 'read') return `decode${msg.specName}`;
    if (prefix === 'write') return `encode${msg.specName}`;
  }
  return `${prefix}${s.typeName}`;
}

function localName(f: FieldModel): string {
  return `f${f.specName}`;
}

class MessageEmitter {
  readonly msg: MessageModel;
  readonly use: Usage;
  /** Structs whose isDefault test the emitted code calls. */
  readonly isDefaultUsed = new Set<StructModel>();
  private tmp = 0;

  constructor(msg: MessageModel, use: Usage) {
    this.msg = msg;
    this.use = use;
  }

  private fresh(base: string): string {
    this.tmp++;
    return `${base}${this.tmp}`;
  }

  /** The flexible condition for code running in `range`: a constant or the function's `flex` variable. */
  private flexIn(range: VersionRange): string {
    const c = versionCond(this.msg.flexibleVersions, range);
    return isConst(c) ? c : 'flex';
  }

  private fieldFlex(f: FieldModel, range: VersionRange): string {
    if (f.flexibleOverride !== null) return versionCond(f.flexibleOverride.versions, range);
    return this.flexIn(range);
  }

  private isFlexible(f: FieldModel | null, v: number): boolean {
    if (f?.flexibleOverride) return inRange(f.flexibleOverride.versions, v);
    return inRange(this.msg.flexibleVersions, v);
  }

  // ---- sizes ---------------------------------------------------------------------------------

  /** Fewest bytes a value of `t` takes on the wire in version `v` (used to bound array counts). */
  private minBytes(t: FieldType, f: FieldModel | null, v: number, nullable: boolean): number {
    const fixed = FIXED_SIZES[t.kind];
    if (fixed !== undefined) return fixed;
    const flexible = this.isFlexible(f, v);
    switch (t.kind) {
      case 'string':
        return flexible ? 1 : 2;
      case 'bytes':
      case 'records':
      case 'array':
        return flexible ? 1 : 4;
      case 'struct':
        return nullable ? 1 : this.structMinBytes(t.struct, v);
      default:
        throw new Error(`unexpected type ${t.kind}`);
    }
  }

  private structMinBytes(s: StructModel, v: number): number {
    let n = inRange(this.msg.flexibleVersions, v) ? 1 : 0;
    for (const f of s.fields) {
      if (!inRange(f.versions, v) || inRange(f.taggedVersions, v)) continue;
      n += this.minBytes(f.type, f, v, inRange(f.nullableVersions, v));
    }
    return n;
  }

  /** Minimum element sizes for flexible and non-flexible versions of `range`; at least 1. */
  private elementMin(items: FieldType, f: FieldModel, range: VersionRange): { flex: number; plain: number } {
    let flex = Number.POSITIVE_INFINITY;
    let plain = Number.POSITIVE_INFINITY;
    for (let v = range.min; v <= Math.min(range.max, this.msg.validVersions.max); v++) {
      const n = this.minBytes(items, f, v, false);
      if (this.isFlexible(f, v)) flex = Math.min(flex, n);
      else plain = Math.min(plain, n);
    }
    return {
      flex: Number.isFinite(flex) ? Math.max(1, flex) : 1,
      plain: Number.isFinite(plain) ? Math.max(1, plain) : 1,
    };
  }

  // ---- defaults ------------------------------------------------------------------------------

  literal(value: boolean | number | bigint | string, t: FieldType): string {
    if (t.kind === 'uuid') {
      this.use.zeroUuid = true;
      return 'ZERO_UUID';
    }
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'string') return quote(value);
    if (typeof value === 'number' && Object.is(value, -0)) return '-0';
    return String(value);
  }

  defaultExpr(f: FieldModel): string {
    return this.defaultOf(f.defaultValue, f.type);
  }

  private defaultOf(d: DefaultValue, t: FieldType): string {
    if (d.kind === 'null') return 'null';
    if (d.kind === 'literal') return this.literal(d.value, t);
    switch (t.kind) {
      case 'bytes':
        this.use.emptyBytes = true;
        return 'EMPTY_BYTES';
      case 'array':
        return '[]';
      case 'struct':
        return `${structFn('default', t.struct, this.msg)}()`;
      default:
        throw new Error(`no empty default for ${t.kind}`);
    }
  }

  /** Expression that is true when `val` equals the field's default. */
  isDefaultExpr(val: string, f: FieldModel): string {
    const d = f.defaultValue;
    const t = f.type;
    if (d.kind === 'null') return `${val} === null`;
    if (d.kind === 'literal') {
      const lit = this.literal(d.value, t);
      return t.kind === 'float64' ? `Object.is(${val}, ${lit})` : `${val} === ${lit}`;
    }
    let test: string;
    if (t.kind === 'struct') {
      this.isDefaultUsed.add(t.struct);
      test = `${structFn('isDefault', t.struct, this.msg)}(${val})`;
    } else test = `${val}.length === 0`;
    return f.typeNullable ? `(${val} !== null && ${test})` : test;
  }

  // ---- reading -------------------------------------------------------------------------------

  private scalarRead(t: FieldType, env: Env): string {
    const r = env.io;
    const simple = SIMPLE_IO[t.kind];
    if (simple) return `${r}.${simple}()`;
    const forms = (name: string): [string, string] => [
      pick(env.flex, `${r}.compact${name}()`, `${r}.${name.charAt(0).toLowerCase()}${name.slice(1)}()`),
      pick(env.flex, `${r}.compactNullable${name}()`, `${r}.nullable${name}()`),
    ];
    let nonNull: string;
    let nullable: string;
    switch (t.kind) {
      case 'string':
        [nonNull, nullable] = forms('String');
        break;
      case 'bytes':
      case 'records':
        [nonNull, nullable] = forms('Bytes');
        break;
      case 'struct': {
        const call = `${structFn('read', t.struct, this.msg)}(${r}, v)`;
        if (env.nullable === 'false') return call;
        return `${and(env.nullable, `${r}.int8() < 0`)} ? null : ${call}`;
      }
      default:
        throw new Error(`not a scalar: ${t.kind}`);
    }
    if (env.nullable === 'false') return nonNull;
    if (env.nullable === 'true') return nullable;
    return `${env.nullable} ? ${group(nullable)} : ${group(nonNull)}`;
  }

  /**
   * Reads a value of field `f` into the already declared variable `target`. Arrays declare locals,
   * so they get their own block unless the caller already opened one (`scoped`).
   */
  private emitRead(c: Code, target: string, f: FieldModel, env: Env, scoped: boolean): void {
    const t = f.type;
    if (t.kind !== 'array') {
      c.line(`${target} = ${this.scalarRead(t, env)};`);
      return;
    }
    const r = env.io;
    const min = this.elementMin(t.items, f, env.range);
    const body = () => {
      c.line(
        `const n = ${pick(env.flex, `${r}.compactArrayLength(${min.flex})`, `${r}.arrayLength(${min.plain})`)};`,
      );
      const fail = `${r}.fail('${env.path}: null array where an array is required')`;
      if (env.nullable === 'false') {
        c.line(`if (n < 0) ${fail};`);
        this.emitArrayBody(c, target, t.items, env);
      } else {
        c.ifElse(
          'n < 0',
          () => {
            if (env.nullable !== 'true') c.line(`if (${not(env.nullable)}) ${fail};`);
            c.line(`${target} = null;`);
          },
          () => this.emitArrayBody(c, target, t.items, env),
        );
      }
    };
    if (scoped) body();
    else c.block('{', body);
  }

  private emitArrayBody(c: Code, target: string, items: FieldType, env: Env): void {
    c.line(`const a: ${tsType(items)}[] = [];`);
    const elem = this.scalarRead(items, { ...env, nullable: 'false' });
    c.line(`for (let i = 0; i < n; i++) a.push(${elem});`);
    c.line(`${target} = a;`);
  }

  emitReader(c: Code, s: StructModel): void {
    const msg = this.msg;
    const ctx = s.context!;
    const fn = structFn('read', s, msg);
    const exported = s.isRoot ? 'export ' : '';
    c.block(`${exported}function ${fn}(r: ByteReader, v: number): ${s.typeName} {`, () => {
      if (s.isRoot) {
        c.line(`if (!Number.isInteger(v) || v < ${ctx.min} || v > ${ctx.max}) {`);
        c.line(`  r.fail('${s.typeName}: unsupported version ' + v);`);
        c.line('}');
      }
      const structFlex = versionCond(msg.flexibleVersions, ctx);
      if (!isConst(structFlex)) c.line(`const flex = ${structFlex};`);
      const tagged: FieldModel[] = [];
      for (const f of s.fields) {
        const present = intersect(f.versions, ctx);
        const taggedRange = intersect(f.taggedVersions, present);
        const regular = taggedRange === null ? present : regularRange(present, taggedRange, f);
        const local = localName(f);
        const path = `${s.typeName}.${f.name}`;
        const type = fieldTsType(f);
        if (taggedRange !== null) {
          tagged.push(f);
          c.line(`let ${local}: ${type} = ${this.defaultExpr(f)};`);
          if (regular !== null) {
            c.block(`if (${versionCond(regular, ctx)}) {`, () =>
              this.emitFieldRead(c, local, f, regular, path, true),
            );
          }
          continue;
        }
        const cond = versionCond(regular, ctx);
        if (cond === 'false') {
          c.line(`const ${local}: ${type} = ${this.defaultExpr(f)};`);
        } else if (f.type.kind !== 'array') {
          const expr = this.scalarRead(f.type, this.fieldEnv(f, regular!, path, 'r'));
          if (cond === 'true') c.line(`const ${local}: ${type} = ${expr};`);
          else c.line(`const ${local}: ${type} = ${cond} ? ${group(expr)} : ${this.defaultExpr(f)};`);
        } else {
          c.line(`let ${local}: ${type};`);
          if (cond === 'true') this.emitFieldRead(c, local, f, regular!, path, false);
          else {
            c.ifElse(
              cond,
              () => this.emitFieldRead(c, local, f, regular!, path, true),
              () => c.line(`${local} = ${this.defaultExpr(f)};`),
            );
          }
        }
      }
      const flexCond = isConst(structFlex) ? structFlex : 'flex';
      if (flexCond !== 'false') {
        const body = () => this.emitTaggedRead(c, s, tagged, ctx);
        if (flexCond === 'true') body();
        else c.block('if (flex) {', body);
      }
      c.block(
        'return {',
        () => {
          for (const f of s.fields) c.line(`${f.name}: ${localName(f)},`);
        },
        '};',
      );
    });
  }

  private fieldEnv(f: FieldModel, range: VersionRange, path: string, io: string): Env {
    return {
      io,
      range,
      flex: this.fieldFlex(f, range),
      nullable: versionCond(f.nullableVersions, range),
      path,
    };
  }

  private emitFieldRead(
    c: Code,
    target: string,
    f: FieldModel,
    range: VersionRange,
    path: string,
    scoped: boolean,
  ): void {
    this.emitRead(c, target, f, this.fieldEnv(f, range, path, 'r'), scoped);
  }

  private emitTaggedRead(c: Code, s: StructModel, tagged: FieldModel[], ctx: VersionRange): void {
    if (tagged.length === 0) {
      c.line('r.taggedFields();');
      return;
    }
    c.line('const tagCount = r.uvarint();');
    c.line("if (tagCount * 2 > r.remaining) r.fail('tagged fields: count ' + tagCount + ' cannot fit');");
    c.line('let lastTag = -1;');
    c.block('for (let t = 0; t < tagCount; t++) {', () => {
      c.line('const tag = r.uvarint();');
      c.line("if (tag <= lastTag) r.fail('tagged fields: tag ' + tag + ' out of order');");
      c.line('lastTag = tag;');
      c.line('const size = r.uvarint();');
      c.line("r.need(size, 'tagged field');");
      c.line('const end = r.offset + size;');
      c.block('switch (tag) {', () => {
        for (const f of [...tagged].sort((a, b) => a.tag! - b.tag!)) {
          const range = intersect(f.taggedVersions, intersect(f.versions, ctx))!;
          const cond = versionCond(range, ctx);
          const path = `${s.typeName}.${f.name}`;
          c.block(`case ${f.tag}: {`, () => {
            const body = () => {
              c.line('const tr = new ByteReader(r.buf, r.offset, end);');
              this.emitRead(
                c,
                localName(f),
                f,
                {
                  io: 'tr',
                  range,
                  flex: 'true',
                  nullable: versionCond(f.nullableVersions, range),
                  path,
                },
                true,
              );
              c.line(`tr.expectEnd('${path}');`);
            };
            if (cond === 'true') body();
            else c.block(`if (${cond}) {`, body);
            c.line('break;');
          });
        }
      });
      c.line('r.offset = end;');
    });
  }

  // ---- writing -------------------------------------------------------------------------------

  private nullMarker(t: FieldType, env: Env): [string, string] {
    const w = env.io;
    switch (t.kind) {
      case 'string':
        return [`${w}.uvarint(0)`, `${w}.int16(-1)`];
      case 'bytes':
      case 'records':
      case 'array':
        return [`${w}.uvarint(0)`, `${w}.int32(-1)`];
      default:
        throw new Error(`no null marker for ${t.kind}`);
    }
  }

  /** Writes a non-null value `x` of type `t`. */
  private emitWriteNonNull(c: Code, x: string, t: FieldType, env: Env): void {
    const w = env.io;
    const simple = SIMPLE_IO[t.kind];
    if (simple) {
      c.line(`${w}.${simple}(${x});`);
      return;
    }
    switch (t.kind) {
      case 'string':
        pickStatement(c, env.flex, `${w}.compactString(${x})`, `${w}.string(${x})`);
        return;
      case 'bytes':
      case 'records':
        pickStatement(c, env.flex, `${w}.compactBytes(${x})`, `${w}.bytes(${x})`);
        return;
      case 'struct':
        if (env.nullable === 'true') c.line(`${w}.int8(1);`);
        else if (env.nullable !== 'false') c.line(`if (${env.nullable}) ${w}.int8(1);`);
        c.line(`${structFn('write', t.struct, this.msg)}(${w}, v, ${x});`);
        return;
      case 'array': {
        pickStatement(c, env.flex, `${w}.compactArrayLength(${x}.length)`, `${w}.arrayLength(${x}.length)`);
        const items = t.items;
        const itemEnv = { ...env, nullable: 'false' };
        const e = this.fresh('e');
        if (items.kind === 'struct') {
          c.line(`for (const ${e} of ${x}) ${structFn('write', items.struct, this.msg)}(${w}, v, ${e});`);
        } else if (SIMPLE_IO[items.kind]) {
          c.line(`for (const ${e} of ${x}) ${w}.${SIMPLE_IO[items.kind]}(${e});`);
        } else {
          c.block(`for (const ${e} of ${x}) {`, () => this.emitWriteNonNull(c, e, items, itemEnv));
        }
        return;
      }
      default:
        throw new Error(`cannot write ${t.kind}`);
    }
  }

  private emitWrite(c: Code, value: string, f: FieldModel, env: Env): void {
    if (!f.typeNullable) {
      this.emitWriteNonNull(c, value, f.type, env);
      return;
    }
    const x = this.fresh('x');
    c.line(`const ${x} = ${value};`);
    const nullError = `throw new EncodeError('${env.path}: null is not allowed in v' + v)`;
    c.ifElse(
      `${x} === null`,
      () => {
        if (env.nullable === 'false') {
          c.line(`${nullError};`);
          return;
        }
        if (env.nullable !== 'true') c.line(`if (${not(env.nullable)}) ${nullError};`);
        if (f.type.kind === 'struct') c.line(`${env.io}.int8(-1);`);
        else {
          const [compact, plain] = this.nullMarker(f.type, env);
          pickStatement(c, env.flex, compact, plain);
        }
      },
      () => this.emitWriteNonNull(c, x, f.type, env),
    );
  }

  emitWriter(c: Code, s: StructModel): void {
    const msg = this.msg;
    const ctx = s.context!;
    const fn = structFn('write', s, msg);
    const exported = s.isRoot ? 'export ' : '';
    c.block(`${exported}function ${fn}(w: ByteWriter, v: number, m: ${s.typeName}): void {`, () => {
      if (s.isRoot) {
        c.line(`if (!Number.isInteger(v) || v < ${ctx.min} || v > ${ctx.max}) {`);
        c.line(`  throw new EncodeError('${s.typeName}: unsupported version ' + v);`);
        c.line('}');
      }
      const structFlex = versionCond(msg.flexibleVersions, ctx);
      if (!isConst(structFlex)) c.line(`const flex = ${structFlex};`);
      const tagged: FieldModel[] = [];
      for (const f of s.fields) {
        const present = intersect(f.versions, ctx);
        const taggedRange = intersect(f.taggedVersions, present);
        const regular = taggedRange === null ? present : regularRange(present, taggedRange, f);
        if (taggedRange !== null) tagged.push(f);
        const path = `${s.typeName}.${f.name}`;
        const value = `m.${f.name}`;
        const regularCond = versionCond(regular, ctx);
        const absentCond = not(versionCond(present, ctx));
        const checkAbsent = !f.ignorable && absentCond !== 'false';
        const absentError = `throw new EncodeError('${path}: a non-default value cannot be sent in v' + v)`;
        const notDefault = `!(${this.isDefaultExpr(value, f)})`;
        const writeBody = () =>
          this.emitWrite(c, value, f, {
            io: 'w',
            range: regular!,
            flex: this.fieldFlex(f, regular!),
            nullable: versionCond(f.nullableVersions, regular!),
            path,
          });
        if (regularCond === 'true') {
          writeBody();
        } else if (regularCond !== 'false') {
          if (checkAbsent && taggedRange === null) {
            c.ifElse(regularCond, writeBody, () => c.line(`if (${notDefault}) ${absentError};`));
          } else {
            c.block(`if (${regularCond}) {`, writeBody);
          }
        }
        if (checkAbsent && (regularCond === 'false' || taggedRange !== null)) {
          c.line(`if (${and(absentCond, notDefault)}) ${absentError};`);
        }
      }
      const flexCond = isConst(structFlex) ? structFlex : 'flex';
      if (flexCond !== 'false') {
        const body = () => this.emitTaggedWrite(c, s, tagged, ctx);
        if (flexCond === 'true') body();
        else c.block('if (flex) {', body);
      }
    });
  }

  private emitTaggedWrite(c: Code, s: StructModel, tagged: FieldModel[], ctx: VersionRange): void {
    if (tagged.length === 0) {
      c.line('w.uvarint(0);');
      return;
    }
    const sorted = [...tagged].sort((a, b) => a.tag! - b.tag!);
    const flags: string[] = [];
    for (const f of sorted) {
      const range = intersect(f.taggedVersions, intersect(f.versions, ctx))!;
      const flag = `hasTag${f.tag}`;
      flags.push(flag);
      c.line(
        `const ${flag} = ${and(versionCond(range, ctx), `!(${this.isDefaultExpr(`m.${f.name}`, f)})`)};`,
      );
    }
    c.line(`w.uvarint(${flags.map((fl) => `(${fl} ? 1 : 0)`).join(' + ')});`);
    sorted.forEach((f, i) => {
      const range = intersect(f.taggedVersions, intersect(f.versions, ctx))!;
      c.block(`if (${flags[i]}) {`, () => {
        c.line('const tw = new ByteWriter(64);');
        this.emitWrite(c, `m.${f.name}`, f, {
          io: 'tw',
          range,
          flex: 'true',
          nullable: versionCond(f.nullableVersions, range),
          path: `${s.typeName}.${f.name}`,
        });
        c.line('const tb = tw.toBuffer();');
        c.line(`w.uvarint(${f.tag}).uvarint(tb.length).raw(tb);`);
      });
    });
  }

  // ---- types and defaults --------------------------------------------------------------------

  emitInterface(c: Code, s: StructModel): void {
    const msg = this.msg;
    if (s.isRoot) {
      const key = msg.apiKey === null ? '' : `api key ${msg.apiKey}, `;
      c.line(
        `/** ${msg.specName}: ${key}versions ${formatRange(msg.validVersions)}, flexible ${formatRange(msg.flexibleVersions)}. */`,
      );
    } else {
      c.line(`/** ${s.specName} (versions ${formatRange(s.context)}). */`);
    }
    c.block(`export interface ${s.typeName} {`, () => {
      for (const f of s.fields) {
        c.line(`/** ${fieldGrammar(f)} */`);
        c.line(`${f.name}: ${fieldTsType(f)};`);
      }
    });
  }

  emitDefault(c: Code, s: StructModel): void {
    c.line(`/** \`${s.typeName}\` with every field at its default. */`);
    c.block(`export function ${structFn('default', s, this.msg)}(): ${s.typeName} {`, () => {
      c.block(
        'return {',
        () => {
          for (const f of s.fields) c.line(`${f.name}: ${this.defaultExpr(f)},`);
        },
        '};',
      );
    });
  }

  emitIsDefault(c: Code, s: StructModel): void {
    c.block(`function ${structFn('isDefault', s, this.msg)}(s: ${s.typeName}): boolean {`, () => {
      const tests = s.fields.map((f) => this.isDefaultExpr(`s.${f.name}`, f));
      c.line(`return (${tests.length === 0 ? 'true' : tests.join(' &&\n    ')});`);
    });
  }
}

function regularRange(
  present: VersionRange | null,
  tagged: VersionRange,
  f: FieldModel,
): VersionRange | null {
  if (present === null) return null;
  if (tagged.max !== present.max) throw new Error(`${f.specName}: tagged versions must end with the field`);
  return tagged.min > present.min ? { min: present.min, max: tagged.min - 1 } : null;
}

function fieldGrammar(f: FieldModel): string {
  const parts = [`${f.specType} v${formatRange(f.versions)}`];
  if (f.nullableVersions) parts.push(`nullable v${formatRange(f.nullableVersions)}`);
  if (f.tag !== null) parts.push(`tag ${f.tag} v${formatRange(f.taggedVersions)}`);
  if (f.flexibleOverride) parts.push(`flexible v${formatRange(f.flexibleOverride.versions)}`);
  if (f.ignorable) parts.push('ignorable');
  const d = f.defaultValue;
  if (d.kind === 'null') parts.push('default null');
  else if (d.kind === 'literal' && f.type.kind !== 'uuid') {
    const isZero = d.value === 0 || d.value === 0n || d.value === false || d.value === '';
    if (!isZero)
      parts.push(`default ${typeof d.value === 'string' ? JSON.stringify(d.value) : String(d.value)}`);
  }
  return parts.join(', ');
}

function emitMessage(c: Code, msg: MessageModel, use: Usage): void {
  const e = new MessageEmitter(msg, use);
  const all = [msg.root, ...msg.structs];
  for (const s of all) {
    e.emitInterface(c, s);
    c.line();
  }
  for (const s of all) {
    e.emitDefault(c, s);
    c.line();
  }
  const readers = new Code();
  const writers = new Code();
  for (const s of all) {
    e.emitReader(readers, s);
    readers.line();
    e.emitWriter(writers, s);
    writers.line();
  }
  // isDefault tests exist only for the structs whose values are compared (and those they compare).
  const isDefault = new Map<StructModel, Code>();
  while (isDefault.size < e.isDefaultUsed.size) {
    for (const s of [...e.isDefaultUsed]) {
      if (isDefault.has(s)) continue;
      const code = new Code();
      e.emitIsDefault(code, s);
      code.line();
      isDefault.set(s, code);
    }
  }
  for (const s of all) {
    const code = isDefault.get(s);
    if (code) c.append(code);
  }
  c.append(readers);
  c.append(writers);
}

const HEADER_NOTE = '// Generated by tools/kafka-codegen from the Apache Kafka message specs. Do not edit.';

function fileHeader(c: Code, sources: string[], useApi: boolean): void {
  c.line(HEADER_NOTE);
  c.line(`// Sources: ${sources.join(', ')}.`);
  c.line();
  if (useApi) c.line("import type { ApiCodec } from '../api.ts';");
}

function constants(use: Usage): string[] {
  const out: string[] = [];
  if (use.zeroUuid) out.push("const ZERO_UUID = '00000000-0000-0000-0000-000000000000';");
  if (use.emptyBytes) out.push('const EMPTY_BYTES: Buffer = Buffer.alloc(0);');
  return out;
}

function assemble(head: Code, body: Code, use: Usage): string {
  const consts = constants(use);
  const parts = [head.toString()];
  parts.push("import { ByteReader, ByteWriter, EncodeError } from '../../../base/index.ts';\n\n");
  if (consts.length > 0) parts.push(`${consts.join('\n')}\n\n`);
  parts.push(body.toString().replace(/\n+$/, '\n'));
  return parts.join('');
}

export function emitApiFile(api: ApiModel): string {
  const use: Usage = { zeroUuid: false, emptyBytes: false };
  const head = new Code();
  fileHeader(head, [`${api.request.specName}.json`, `${api.response.specName}.json`], true);
  const body = new Code();
  emitMessage(body, api.request, use);
  emitMessage(body, api.response, use);
  const req = api.request;
  const flexMin = req.flexibleVersions === null ? 'null' : String(req.flexibleVersions.min);
  body.line(`/** ${api.name} (key ${api.apiKey}): request and response codecs for every valid version. */`);
  body.block(
    `export const ${apiConstName(api)}: ApiCodec<${req.specName}, ${api.response.specName}> = {`,
    () => {
      body.line(`apiKey: ${api.apiKey},`);
      body.line(`name: '${api.name}',`);
      body.line(`minVersion: ${req.validVersions.min},`);
      body.line(`maxVersion: ${req.validVersions.max},`);
      body.line(`flexibleMin: ${flexMin},`);
      body.line(`latestVersionUnstable: ${req.latestVersionUnstable || api.response.latestVersionUnstable},`);
      body.line(`decodeRequest: decode${req.specName},`);
      body.line(`encodeRequest: encode${req.specName},`);
      body.line(`decodeResponse: decode${api.response.specName},`);
      body.line(`encodeResponse: encode${api.response.specName},`);
    },
    '};',
  );
  return assemble(head, body, use);
}

export function emitHeaderFile(msg: MessageModel): string {
  const use: Usage = { zeroUuid: false, emptyBytes: false };
  const head = new Code();
  fileHeader(head, [`${msg.specName}.json`], false);
  const body = new Code();
  emitMessage(body, msg, use);
  return assemble(head, body, use);
}

export function emitApisFile(apis: readonly ApiModel[]): string {
  const c = new Code();
  c.line(HEADER_NOTE);
  c.line();
  c.line("import type { ApiCodec } from '../api.ts';");
  const sorted = [...apis].sort((a, b) => a.apiKey - b.apiKey);
  for (const api of [...apis].sort((a, b) => compareText(apiFileStem(a), apiFileStem(b)))) {
    c.line(`import { ${apiConstName(api)} } from './${apiFileStem(api)}.generated.ts';`);
  }
  c.line();
  c.line('/** Every API a broker listener answers, sorted by api key. */');
  c.block(
    'export const apiCodecs: readonly ApiCodec[] = [',
    () => {
      for (const api of sorted) c.line(`${apiConstName(api)},`);
    },
    '];',
  );
  c.line();
  c.line('const byKey: (ApiCodec | undefined)[] = [];');
  c.line('for (const codec of apiCodecs) byKey[codec.apiKey] = codec;');
  c.line();
  c.line('/** The codec of an api key, or undefined when the key is unknown. */');
  c.block('export function apiCodecByKey(key: number): ApiCodec | undefined {', () => {
    c.line('return byKey[key];');
  });
  return c.toString();
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A single-quoted TypeScript string literal. */
export function quote(text: string): string {
  const inner = JSON.stringify(text).slice(1, -1).replaceAll('\\"', '"').replaceAll("'", "\\'");
  return `'${inner}'`;
}

/** Parenthesizes a conditional expression used as an operand. */
function group(expr: string): string {
  return expr.includes(' ? ') ? `(${expr})` : expr;
}
