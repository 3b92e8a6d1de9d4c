/**
 * Root of Sluice's operating errors: typed, with a stable `code` and an optional `cause`.
 * Programmer errors are assertions (see assert.ts) and are not caught.
 */
export class SluiceError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * Raised by every decoder on malformed input: a length past the end of the frame, a negative size,
 * an absurd count, an invalid varint. The connection layer closes the offending connection on it.
 */
export class DecodeError extends SluiceError {
  /** Byte offset in the input where decoding failed. */
  readonly offset: number;

  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super('DECODE', `${message} (at byte ${offset})`, options);
    this.offset = offset;
  }
}

/** Raised by encoders asked to write a value that the wire format cannot carry. */
export class EncodeError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ENCODE', message, options);
  }
}
