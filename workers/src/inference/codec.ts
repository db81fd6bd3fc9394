/**
 * Task input decoding (PROTOCOL.md §7), pure: bytes → typed tensors, or the reason the input is
 * INVALID_INPUT. Every check runs before the model does, so the verdict never depends on how a
 * runtime happens to behave.
 *
 * Input: UTF-8 JSON `{"inputs":{"<name>":{"type":…,"dims":[…],"data":[…]}}}` with exactly the
 * spec's input names, each with exactly the keys type, dims and data; `data` is a flat array in
 * row-major order whose length is the product of `dims` (1 for a scalar, dims []).
 *
 * Values, by type:
 * - float32: a JSON number, parsed to the nearest float64 then to the nearest float32
 *   (`Math.fround`); must stay finite.
 * - float16: a JSON number rounded (ties to even) from its float64 value to float16; |x| must
 *   round to at most 65504.
 * - int64: a JSON number that is an integer within ±(2^53 − 1), or a decimal string
 *   (`-?(0|[1-9][0-9]*)`, not "-0") within int64.
 * - int32, uint8: a JSON number that is an integer within the type.
 * - bool: `true` or `false`.
 * A JSON number is "an integer" when its float64 value is (so `1.0` and `1e2` are integers).
 * A spec `range` [min, max] is inclusive and compared with the value after conversion.
 */
import { StrictJsonError, isJsonObject, parseStrictJsonBytes } from "./json-strict.ts";
import { fromFloat16Bits, toFloat16Bits } from "./float16.ts";
import {
  catchInvalid,
  checkDims,
  fail,
  type DecodeResult,
  type DecodedTensor,
  type TensorData,
} from "./input-rules.ts";
import { decodeSafetensors } from "./safetensors.ts";
import { INPUT_INT_BOUNDS, type InputSpec, type InputType, type ModelSpec } from "./spec.ts";

export type { DecodeResult, DecodedTensor, TensorData } from "./input-rules.ts";

const DECIMAL_INT = /^-?(0|[1-9][0-9]*)$/;

type Decoder = (spec: InputSpec, data: unknown[], path: string) => TensorData;

const outside = (path: string, i: number, v: unknown, range: InputSpec["range"]) =>
  fail(`${path}[${i}]: ${String(v)} is outside the range [${range!.min}, ${range!.max}]`);

const decodeFloat32: Decoder = (spec, data, path) => {
  const range = spec.range;
  const lo = range ? Number(range.min) : -Infinity;
  const hi = range ? Number(range.max) : Infinity;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== "number") fail(`${path}[${i}]: must be a number`);
    out[i] = v;
    const x = out[i]; // the nearest float32 (as Math.fround)
    if (x === Infinity || x === -Infinity) fail(`${path}[${i}]: ${v} is outside float32`);
    if (x < lo || x > hi) outside(path, i, v, range);
  }
  return out;
};

const decodeFloat16: Decoder = (spec, data, path) => {
  const range = spec.range;
  const lo = range ? Number(range.min) : -Infinity;
  const hi = range ? Number(range.max) : Infinity;
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== "number") fail(`${path}[${i}]: must be a number`);
    const bits = toFloat16Bits(v);
    if ((bits & 0x7c00) === 0x7c00) fail(`${path}[${i}]: ${v} is outside float16`);
    out[i] = bits;
    const x = fromFloat16Bits(bits);
    if (x < lo || x > hi) outside(path, i, v, range);
  }
  return out;
};

function int64Of(v: unknown, at: string): bigint {
  const [tmin, tmax] = INPUT_INT_BOUNDS.int64;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) fail(`${at}: ${v} is not an integer within ±(2^53 − 1)`);
    return BigInt(v);
  }
  if (typeof v !== "string") fail(`${at}: must be an integer or a decimal string`);
  if (!DECIMAL_INT.test(v) || v === "-0") fail(`${at}: "${v.slice(0, 40)}" is not a decimal integer`);
  const b = BigInt(v);
  if (b < tmin || b > tmax) fail(`${at}: ${v} is outside int64`);
  return b;
}

const decodeInt64: Decoder = (spec, data, path) => {
  const out = new BigInt64Array(data.length);
  const [tmin, tmax] = INPUT_INT_BOUNDS.int64;
  const lo = spec.range ? BigInt(spec.range.min) : tmin;
  const hi = spec.range ? BigInt(spec.range.max) : tmax;
  for (let i = 0; i < data.length; i++) {
    const b = int64Of(data[i], `${path}[${i}]`);
    if (b < lo || b > hi) fail(`${path}[${i}]: ${String(data[i])} is outside the range [${lo}, ${hi}]`);
    out[i] = b;
  }
  return out;
};

const decodeSmallInt: Decoder = (spec, data, path) => {
  const type = spec.type as "int32" | "uint8";
  const range = spec.range;
  const [tmin, tmax] = INPUT_INT_BOUNDS[type];
  const lo = Math.max(Number(tmin), range ? Number(range.min) : -Infinity);
  const hi = Math.min(Number(tmax), range ? Number(range.max) : Infinity);
  const out = type === "int32" ? new Int32Array(data.length) : new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== "number" || !Number.isInteger(v)) fail(`${path}[${i}]: must be an integer`);
    if (v < Number(tmin) || v > Number(tmax)) fail(`${path}[${i}]: ${v} is outside ${type}`);
    if (v < lo || v > hi) outside(path, i, v, range);
    out[i] = v;
  }
  return out;
};

const decodeBool: Decoder = (_spec, data, path) => {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== "boolean") fail(`${path}[${i}]: must be true or false`);
    out[i] = v ? 1 : 0;
  }
  return out;
};

const DECODERS: Record<InputSpec["type"], Decoder> = {
  float32: decodeFloat32,
  float16: decodeFloat16,
  int64: decodeInt64,
  int32: decodeSmallInt,
  uint8: decodeSmallInt,
  bool: decodeBool,
};

function decodeData(spec: InputSpec, data: unknown[], path: string): TensorData {
  return DECODERS[spec.type](spec, data, path);
}

/** One JSON input entry `{type, dims, data}` against its spec. */
function decodeEntry(s: InputSpec, t: unknown, symbols: Record<string, number>): DecodedTensor {
  const path = `inputs.${s.name}`;
  if (!isJsonObject(t)) fail(`${path}: must be an object with type, dims and data`);
  for (const key of Object.keys(t))
    if (key !== "type" && key !== "dims" && key !== "data") fail(`${path}.${key}: unknown field`);
  if (t.type !== s.type) fail(`${path}.type: must be "${s.type}"`);
  const count = checkDims(t.dims, s, symbols, `${path}.dims`);
  const data = t.data;
  if (!Array.isArray(data)) fail(`${path}.data: must be a flat array`);
  if (data.length !== count) fail(`${path}.data: has ${data.length} values, dims need ${count}`);
  return { name: s.name, type: s.type, dims: t.dims as number[], data: decodeData(s, data, `${path}.data`) };
}

/** Decodes a parsed input object against the spec (no size check: see {@link decodeInput}). */
export function decodeInputValue(value: unknown, spec: ModelSpec): DecodeResult {
  return catchInvalid(() => {
    if (!isJsonObject(value)) fail("input: must be a JSON object");
    for (const key of Object.keys(value)) if (key !== "inputs") fail(`${key}: unknown field`);
    const inputs = value.inputs;
    if (!isJsonObject(inputs)) fail("inputs: must be an object keyed by input name");
    for (const name of Object.keys(inputs))
      if (!spec.inputs.some((s) => s.name === name))
        fail(`inputs.${name}: the model has no input of that name`);
    const symbols: Record<string, number> = Object.create(null) as Record<string, number>;
    const tensors: DecodedTensor[] = [];
    for (const s of spec.inputs) {
      if (!Object.hasOwn(inputs, s.name)) fail(`inputs.${s.name}: missing`);
      tensors.push(decodeEntry(s, inputs[s.name], symbols));
    }
    return { ok: true, tensors, symbols };
  });
}

/**
 * Decodes task input bytes against the spec: size limit (`maxInputBytes`), then the encoding
 * (§7: where the spec's `inputEncodings` allow safetensors, bytes whose first byte is not `{`
 * are a safetensors file, read by {@link decodeSafetensors}); JSON is strict UTF-8, strict JSON
 * (duplicate keys rejected), then names, types, dims and values.
 */
export function decodeInput(bytes: Uint8Array, spec: ModelSpec): DecodeResult {
  if (bytes.length > spec.maxInputBytes)
    return { ok: false, reason: `input is ${bytes.length} bytes, maxInputBytes is ${spec.maxInputBytes}` };
  const encodings = spec.inputEncodings ?? ["json"];
  const json = bytes.length > 0 && bytes[0] === 0x7b;
  if (encodings.includes("safetensors") && !json) return decodeSafetensors(bytes, spec);
  if (!encodings.includes("json"))
    return { ok: false, reason: "input: JSON, but the spec's inputEncodings allow only safetensors" };
  let value: unknown;
  try {
    value = parseStrictJsonBytes(bytes);
  } catch (err) {
    if (err instanceof StrictJsonError) return { ok: false, reason: `input: ${err.message}` };
    throw err;
  }
  return decodeInputValue(value, spec);
}

/** Encodes tensors as task input JSON (the inverse of {@link decodeInput}; int64 beyond 2^53 as strings). */
export function encodeInput(
  tensors: readonly {
    name: string;
    type: InputType;
    dims: readonly number[];
    data: ArrayLike<number | bigint | boolean>;
  }[],
): string {
  const inputs: Record<string, unknown> = {};
  for (const t of tensors) {
    const data = Array.from(t.data as ArrayLike<number | bigint | boolean>, (v) =>
      typeof v === "bigint" ? (v >= -(2n ** 53n - 1n) && v <= 2n ** 53n - 1n ? Number(v) : v.toString()) : v,
    );
    inputs[t.name] = { type: t.type, dims: [...t.dims], data };
  }
  return JSON.stringify({ inputs });
}
