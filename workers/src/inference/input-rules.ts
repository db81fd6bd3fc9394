/**
 * The rules both task input encodings share (PROTOCOL.md §7): dims against the spec, value
 * ranges on decoded tensors, and the "invalid input" signal the decoders throw internally.
 * Pure.
 */
import { fromFloat16Bits } from "./float16.ts";
import { INPUT_INT_BOUNDS, type InputSpec, type InputType } from "./spec.ts";

export type TensorData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

/** One decoded input. float16 data holds the half-precision bit patterns; bool data holds 0/1. */
export interface DecodedTensor {
  name: string;
  type: InputType;
  dims: number[];
  data: TensorData;
}

export type DecodeResult =
  { ok: true; tensors: DecodedTensor[]; symbols: Record<string, number> } | { ok: false; reason: string };

/** The largest element count of one input. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** Thrown inside the decoders; turned into `{ ok: false, reason }` at their edge. */
export class Invalid extends Error {}

export function fail(reason: string): never {
  throw new Invalid(reason);
}

/** Runs a decoder, turning {@link Invalid} into a failed {@link DecodeResult}. */
export function catchInvalid(fn: () => DecodeResult): DecodeResult {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, reason: err.message };
    throw err;
  }
}

/**
 * Checks one input's dims against the spec (§7 "Dims in a spec"): the spec's rank, positive
 * integers, a number pins the size, a name takes one size across all inputs (recorded in
 * `symbols`). Returns the element count.
 */
export function checkDims(
  dims: unknown,
  s: InputSpec,
  symbols: Record<string, number>,
  path: string,
): number {
  if (!Array.isArray(dims)) fail(`${path}: must be an array`);
  if (dims.length !== s.dims.length) fail(`${path}: must have ${s.dims.length} entries`);
  let count = 1;
  dims.forEach((d: unknown, i: number) => {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 1)
      fail(`${path}[${i}]: must be a positive integer`);
    const want = s.dims[i];
    if (typeof want === "number") {
      if (d !== want) fail(`${path}[${i}]: must be ${want}`);
    } else if (want in symbols) {
      if (symbols[want] !== d) fail(`${path}[${i}]: "${want}" is ${symbols[want]} elsewhere, not ${d}`);
    } else symbols[want] = d;
    count *= d;
  });
  if (count > MAX_ELEMENTS) fail(`${path}: too many elements`);
  return count;
}

function outsideRange(path: string, i: number, v: unknown, s: InputSpec): never {
  return fail(`${path}[${i}]: ${String(v)} is outside the range [${s.range!.min}, ${s.range!.max}]`);
}

/** float32 values: finite, within the spec's range (one comparison pair per value when ranged). */
function checkFloat32(s: InputSpec, d: Float32Array, path: string): void {
  const lo = s.range ? Number(s.range.min) : -Infinity;
  const hi = s.range ? Number(s.range.max) : Infinity;
  const n = d.length;
  let i = 0;
  // A finite range also refuses NaN and ±Infinity; without one, x − x is 0 only for finite x.
  if (Number.isFinite(lo) && Number.isFinite(hi)) while (i < n && d[i] >= lo && d[i] <= hi) i++;
  else while (i < n && d[i] - d[i] === 0 && d[i] >= lo && d[i] <= hi) i++;
  if (i === n) return;
  const x = d[i];
  if (x - x !== 0) fail(`${path}[${i}]: ${x} is not finite`);
  outsideRange(path, i, x, s);
}

/** float16 bit patterns: finite, within the spec's range. */
function checkFloat16(s: InputSpec, d: Uint16Array, path: string): void {
  for (let i = 0; i < d.length; i++) {
    if ((d[i] & 0x7c00) === 0x7c00) fail(`${path}[${i}]: ${fromFloat16Bits(d[i])} is not finite`);
    if (s.range) {
      const x = fromFloat16Bits(d[i]);
      if (x < Number(s.range.min) || x > Number(s.range.max)) outsideRange(path, i, x, s);
    }
  }
}

function checkInt64(s: InputSpec, d: BigInt64Array, path: string): void {
  if (!s.range) return;
  const lo = BigInt(s.range.min);
  const hi = BigInt(s.range.max);
  for (let i = 0; i < d.length; i++) if (d[i] < lo || d[i] > hi) outsideRange(path, i, d[i], s);
}

function checkSmallInt(s: InputSpec, d: Int32Array | Uint8Array, path: string): void {
  const [tmin, tmax] = INPUT_INT_BOUNDS[s.type];
  const lo = Math.max(Number(tmin), s.range ? Number(s.range.min) : -Infinity);
  const hi = Math.min(Number(tmax), s.range ? Number(s.range.max) : Infinity);
  for (let i = 0; i < d.length; i++) if (d[i] < lo || d[i] > hi) outsideRange(path, i, d[i], s);
}

function checkBool(d: Uint8Array, path: string): void {
  for (let i = 0; i < d.length; i++) if (d[i] > 1) fail(`${path}[${i}]: BOOL byte ${d[i]} is not 0 or 1`);
}

/**
 * Checks decoded values the way the JSON decoder checks them: floats finite, bool 0/1, the
 * spec's `range` (inclusive, compared with the value as the tensor holds it).
 */
export function checkValues(s: InputSpec, data: TensorData, path: string): void {
  if (s.type === "float32") checkFloat32(s, data as Float32Array, path);
  else if (s.type === "float16") checkFloat16(s, data as Uint16Array, path);
  else if (s.type === "int64") checkInt64(s, data as BigInt64Array, path);
  else if (s.type === "bool") checkBool(data as Uint8Array, path);
  else checkSmallInt(s, data as Int32Array | Uint8Array, path);
}
