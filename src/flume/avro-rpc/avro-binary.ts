/**
 * The slice of Avro's binary encoding the RPC needs (longs, strings, bytes, maps, fixed, unions).
 * Decoding is hand-written rather than done with avsc because input comes from the network: every
 * length and block count is checked against the bytes left before anything is read, so a hostile
 * count cannot make the reader loop or allocate. avsc is the reference the tests compare against.
 */

export class AvroDecodeError extends Error {
  override readonly name = 'AvroDecodeError';
}

export class AvroReader {
  readonly #data: Buffer;
  #pos: number;

  constructor(data: Buffer, pos = 0) {
    this.#data = data;
    this.#pos = pos;
  }

  get pos(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#data.length - this.#pos;
  }

  #fail(what: string): never {
    throw new AvroDecodeError(`${what} at byte ${this.#pos}`);
  }

  long(): number {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.#pos >= this.#data.length) this.#fail('truncated varint');
      if (shift > 63n) this.#fail('varint longer than 10 bytes');
      const b = this.#data[this.#pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) break;
    }
    const v = (result >> 1n) ^ -(result & 1n);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
      this.#fail('long out of range');
    return Number(v);
  }

  boolean(): boolean {
    if (this.#pos >= this.#data.length) this.#fail('truncated boolean');
    const b = this.#data[this.#pos++]!;
    if (b > 1) this.#fail(`invalid boolean ${b}`);
    return b === 1;
  }

  bytes(): Buffer {
    const n = this.long();
    if (n < 0) this.#fail(`negative length ${n}`);
    return this.fixed(n);
  }

  string(): string {
    return this.bytes().toString('utf8');
  }

  fixed(n: number): Buffer {
    if (n > this.remaining) this.#fail(`${n} bytes beyond the end`);
    const b = this.#data.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return b;
  }

  /** An index into a union or enum of `size` branches. */
  index(size: number, what: string): number {
    const i = this.long();
    if (i < 0 || i >= size) this.#fail(`${what} index ${i} out of range`);
    return i;
  }

  /**
   * Reads the blocks of an array or map, calling `item` once per entry. `minItemBytes` is the least
   * an entry can take, so a count the input cannot hold is refused before looping.
   */
  blocks(minItemBytes: number, item: () => void): void {
    for (;;) {
      let count = this.long();
      if (count === 0) return;
      if (count < 0) {
        count = -count;
        this.long(); // block size in bytes, for skipping; not needed here
      }
      if (count * minItemBytes > this.remaining) this.#fail(`block of ${count} items beyond the end`);
      for (let i = 0; i < count; i++) item();
    }
  }

  stringMap(): Record<string, string> {
    const out: Record<string, string> = {};
    this.blocks(2, () => {
      const k = this.string();
      // `__proto__` from the wire must stay a plain key, not replace the prototype.
      Object.defineProperty(out, k, {
        value: this.string(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    });
    return out;
  }

  bytesMap(): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    this.blocks(2, () => {
      const k = this.string();
      out.set(k, Buffer.from(this.bytes()));
    });
    return out;
  }
}

export class AvroWriter {
  readonly #parts: Buffer[] = [];
  #scratch = Buffer.allocUnsafe(10);

  long(v: number): this {
    let n = (BigInt(v) << 1n) ^ (BigInt(v) >> 63n);
    let i = 0;
    const b = this.#scratch;
    while (n >= 0x80n) {
      b[i++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    b[i++] = Number(n);
    this.#parts.push(Buffer.from(b.subarray(0, i)));
    this.#scratch = Buffer.allocUnsafe(10);
    return this;
  }

  boolean(v: boolean): this {
    this.#parts.push(Buffer.of(v ? 1 : 0));
    return this;
  }

  bytes(v: Buffer): this {
    this.long(v.length);
    this.#parts.push(v);
    return this;
  }

  string(v: string): this {
    return this.bytes(Buffer.from(v, 'utf8'));
  }

  fixed(v: Buffer): this {
    this.#parts.push(v);
    return this;
  }

  stringMap(m: Readonly<Record<string, string>>): this {
    const keys = Object.keys(m);
    if (keys.length > 0) {
      this.long(keys.length);
      for (const k of keys) this.string(k).string(m[k]!);
    }
    return this.long(0);
  }

  bytesMap(m: ReadonlyMap<string, Buffer>): this {
    if (m.size > 0) {
      this.long(m.size);
      for (const [k, v] of m) this.string(k).bytes(v);
    }
    return this.long(0);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.#parts);
  }
}
