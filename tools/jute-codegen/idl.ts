/**
 * The jute IDL as a model, and a parser for its text form:
 *
 *   file    := module*
 *   module  := 'module' dotted-name '{' class* '}'
 *   class   := 'class' Name '{' (type name ';')* '}'
 *   type    := 'int' | 'long' | 'boolean' | 'ustring' | 'buffer' | 'vector' '<' type '>' | dotted-name
 *
 * Comments are `//` to end of line and `/* ... *\/`. A record type is named by its class name,
 * optionally qualified with its module; `resolve` ties every reference to one class.
 */

export const PRIMITIVES = ['int', 'long', 'boolean', 'ustring', 'buffer'] as const;
export type Primitive = (typeof PRIMITIVES)[number];

/** A type as written: a record reference keeps its (possibly qualified) name. */
export type TypeRef =
  | { readonly kind: Primitive }
  | { readonly kind: 'vector'; readonly items: TypeRef }
  | { readonly kind: 'record'; readonly name: string };

export interface FieldDef {
  readonly name: string;
  readonly type: TypeRef;
}

export interface ClassDef {
  readonly name: string;
  readonly fields: readonly FieldDef[];
}

export interface ModuleDef {
  readonly name: string;
  readonly classes: readonly ClassDef[];
}

/** A type after resolution: record references carry the module and class of their target. */
export type ResolvedType =
  | { readonly kind: Primitive }
  | { readonly kind: 'vector'; readonly items: ResolvedType }
  | { readonly kind: 'record'; readonly module: string; readonly name: string };

export interface RecordModel {
  readonly module: string;
  readonly name: string;
  readonly fields: readonly { readonly name: string; readonly type: ResolvedType }[];
}

export class IdlError extends Error {}

const TOKEN = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|([A-Za-z_][\w.]*|[{};<>])|(\S)/y;

function tokenize(text: string, source: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (m === null) throw new IdlError(`${source}: cannot tokenize at offset ${at}`);
    if (m[2] !== undefined) throw new IdlError(`${source}: unexpected character '${m[2]}' at offset ${at}`);
    if (m[1] !== undefined) out.push(m[1]);
  }
  return out;
}

class Tokens {
  private i = 0;
  private readonly list: string[];
  private readonly source: string;
  constructor(list: string[], source: string) {
    this.list = list;
    this.source = source;
  }
  get done(): boolean {
    return this.i >= this.list.length;
  }
  peek(): string | undefined {
    return this.list[this.i];
  }
  next(what: string): string {
    const t = this.list[this.i++];
    if (t === undefined) throw new IdlError(`${this.source}: expected ${what}, found the end`);
    return t;
  }
  expect(t: string): void {
    const got = this.next(`'${t}'`);
    if (got !== t) throw new IdlError(`${this.source}: expected '${t}', found '${got}'`);
  }
  name(what: string): string {
    const t = this.next(what);
    if (!/^[A-Za-z_][\w.]*$/.test(t)) throw new IdlError(`${this.source}: expected ${what}, found '${t}'`);
    return t;
  }
}

function parseType(t: Tokens): TypeRef {
  const name = t.name('a type');
  if (name === 'vector') {
    t.expect('<');
    const items = parseType(t);
    t.expect('>');
    return { kind: 'vector', items };
  }
  if ((PRIMITIVES as readonly string[]).includes(name)) return { kind: name as Primitive };
  if (/^(byte|float|double|map|string)$/.test(name)) {
    throw new IdlError(`jute type '${name}' is not supported (ZooKeeper's IDL does not use it)`);
  }
  return { kind: 'record', name };
}

/** Parses a single type such as `vector<org.apache.zookeeper.data.ACL>`. */
export function parseTypeText(text: string, source: string): TypeRef {
  const t = new Tokens(tokenize(text, source), source);
  const type = parseType(t);
  if (!t.done) throw new IdlError(`${source}: trailing '${t.peek()}' after type`);
  return type;
}

/** Parses jute IDL text into modules and classes, in file order. */
export function parseJute(text: string, source: string): ModuleDef[] {
  const t = new Tokens(tokenize(text, source), source);
  const modules: ModuleDef[] = [];
  while (!t.done) {
    t.expect('module');
    const name = t.name('a module name');
    t.expect('{');
    const classes: ClassDef[] = [];
    while (t.peek() !== '}') {
      t.expect('class');
      const className = t.name('a class name');
      t.expect('{');
      const fields: FieldDef[] = [];
      while (t.peek() !== '}') {
        const type = parseType(t);
        const fieldName = t.name(`a field name in ${className}`);
        t.expect(';');
        fields.push({ name: fieldName, type });
      }
      t.expect('}');
      classes.push({ name: className, fields });
    }
    t.expect('}');
    modules.push({ name, classes });
  }
  return modules;
}

/**
 * Resolves record references (qualified `module.Class`, or a bare class name that is unique across
 * all modules) and checks names: class names must be unique, as they become TypeScript names.
 */
export function resolve(modules: readonly ModuleDef[]): RecordModel[] {
  const byName = new Map<string, { module: string; name: string }[]>();
  const records: RecordModel[] = [];
  for (const m of modules) {
    for (const c of m.classes) {
      const list = byName.get(c.name) ?? [];
      list.push({ module: m.name, name: c.name });
      byName.set(c.name, list);
    }
  }
  for (const [name, list] of byName) {
    if (list.length > 1) {
      throw new IdlError(`class ${name} is defined in ${list.map((l) => l.module).join(' and ')}`);
    }
  }
  const resolveType = (ref: TypeRef, where: string): ResolvedType => {
    if (ref.kind === 'vector') return { kind: 'vector', items: resolveType(ref.items, where) };
    if (ref.kind !== 'record') return ref;
    const dot = ref.name.lastIndexOf('.');
    const short = dot < 0 ? ref.name : ref.name.slice(dot + 1);
    const target = byName.get(short)?.[0];
    if (target === undefined || (dot >= 0 && target.module !== ref.name.slice(0, dot))) {
      throw new IdlError(`${where}: unknown record type ${ref.name}`);
    }
    return { kind: 'record', module: target.module, name: target.name };
  };
  for (const m of modules) {
    for (const c of m.classes) {
      const seen = new Set<string>();
      const fields = c.fields.map((f) => {
        const where = `${m.name}.${c.name}.${f.name}`;
        if (seen.has(f.name)) throw new IdlError(`${where}: duplicate field`);
        seen.add(f.name);
        return { name: f.name, type: resolveType(f.type, where) };
      });
      records.push({ module: m.name, name: c.name, fields });
    }
  }
  return records;
}
