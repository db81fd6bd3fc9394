/**
 * Writes canonical JSON (PROTOCOL.md §7) straight into bytes: integers as ASCII digits, no
 * string per value, no join. The output is byte for byte what `JSON.stringify`-style
 * formatting gives (integers within ±(2^53 − 1) as plain digits, `-0` as `0`, larger values as
 * quoted decimal strings); the canonical vectors pin it.
 */
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_SAFE_BIG = BigInt(MAX_SAFE);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A buffer given back by a writer ({@link CanonicalWriter.release}), for the next one. */
let spare: Uint8Array | undefined;

export class CanonicalWriter {
  private buf: Uint8Array;
  private pos = 0;
  private readonly digits = new Uint8Array(24);

  constructor() {
    this.buf = spare ?? new Uint8Array(4096);
    spare = undefined;
  }

  /** Gives the buffer to the next writer (large outputs then cost no new allocation); this one is done. */
  release(): void {
    if (this.buf.length <= 64 * 1024 * 1024) spare = this.buf;
    this.buf = new Uint8Array(0);
    this.pos = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Text as UTF-8 (JSON punctuation, names already JSON-quoted). */
  text(s: string): void {
    this.ensure(s.length * 3);
    this.pos += encoder.encodeInto(s, this.buf.subarray(this.pos)).written;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** An integer-valued number: digits within ±(2^53 − 1) (`-0` → `0`), a quoted decimal beyond. */
  int(v: number): void {
    if (v > MAX_SAFE || v < -MAX_SAFE) {
      this.text(`"${BigInt(v)}"`);
      return;
    }
    this.ensure(18);
    if (v < 0) {
      this.buf[this.pos++] = 0x2d;
      v = -v;
    }
    if (v < 10) {
      this.buf[this.pos++] = 0x30 + v;
      return;
    }
    if (v > 0x7fffffff) {
      this.text(String(v)); // plain digits below 2^53 (no exponent before 1e21)
      return;
    }
    let n = 0;
    while (v >= 10) {
      const q = (v / 10) | 0; // exact below 2^31
      this.digits[n++] = v - q * 10;
      v = q;
    }
    this.buf[this.pos++] = 0x30 + v;
    while (n > 0) this.buf[this.pos++] = 0x30 + this.digits[--n];
  }

  /** A bigint: digits within ±(2^53 − 1), a quoted decimal beyond. */
  bigint(v: bigint): void {
    if (v >= -MAX_SAFE_BIG && v <= MAX_SAFE_BIG) this.int(Number(v));
    else this.text(`"${v}"`);
  }

  /** `[a,b,…]` of integer values (the hot loop: digits written in place, one capacity check). */
  intArray(values: ArrayLike<number>): void {
    this.ensure(2 + values.length * 12);
    let buf = this.buf;
    let p = this.pos;
    buf[p++] = 0x5b;
    for (let i = 0; i < values.length; i++) {
      if (i > 0) buf[p++] = 0x2c;
      let v = values[i];
      if (v >= 0 && v < 10) {
        buf[p++] = 0x30 + v; // also -0
        continue;
      }
      if (v <= -0x80000000 || v >= 0x80000000) {
        this.pos = p;
        this.ensure(30 + (values.length - i) * 12);
        this.int(v);
        buf = this.buf;
        p = this.pos;
        continue;
      }
      if (v < 0) {
        buf[p++] = 0x2d;
        v = -v;
      }
      let n = 0;
      while (v >= 10) {
        const q = (v / 10) | 0;
        this.digits[n++] = v - q * 10;
        v = q;
      }
      buf[p++] = 0x30 + v;
      while (n > 0) buf[p++] = 0x30 + this.digits[--n];
    }
    buf[p++] = 0x5d;
    this.pos = p;
  }

  /** The bytes written (a view: valid until the next write or the next writer). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  toString(): string {
    return decoder.decode(this.bytes());
  }
}
