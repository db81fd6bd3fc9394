/** IEEE 754 half precision, without Float16Array (not in Node 20/22): bit conversions. */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The float16 bits of the float16 value nearest to `x` (ties to even), rounding from the float64
 * value directly (no intermediate float32). ±Infinity when |x| rounds beyond 65504.
 */
export function toFloat16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  if (a === 0) return sign;
  // Smallest normal 2^-14; subnormal step 2^-24.
  if (a < 2 ** -14) {
    const m = roundHalfEven(a / 2 ** -24); // 0..1024 (1024 becomes the smallest normal)
    return sign | m;
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

/** The value of float16 bits as a number. */
export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** Rounds to the nearest integer, ties to even. */
export function roundHalfEven(y: number): number {
  const r = Math.round(y);
  return r - y === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The float32 nearest to the float64 `x` (as `Math.fround`), exposed for symmetry. */
export function toFloat32(x: number): number {
  f32[0] = x;
  return f32[0];
}

/** The bit pattern of a float32 value (for tests and vectors). */
export function float32Bits(x: number): number {
  f32[0] = x;
  return u32[0];
}
