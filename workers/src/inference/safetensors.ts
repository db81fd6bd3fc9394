/**
 * Binary task input (PROTOCOL.md §7, "Binary task input (safetensors)"), read strictly, pure.
 *
 * Layout: an 8-byte little-endian header length N (N ≤ size − 8), N bytes of UTF-8 JSON header
 * (one object, then only spaces), then the data. The header's keys are exactly the spec's input
 * names, plus an optional `__metadata__` object whose values are strings (ignored). Each entry
 * has exactly `dtype`, `shape` and `data_offsets` [begin, end] (relative to the data): the dtype
 * names the spec's type, the shape follows the dims rules, end − begin = elements × dtype size,
 * and the entries' ranges tile the data exactly (no gap, no overlap, nothing after). Values are
 * little-endian; floats must be finite, BOOL bytes 0 or 1, and the spec's `range` holds as for
 * JSON. Anything else is INVALID_INPUT (a failed {@link DecodeResult}), never a throw.
 */
import { isJsonObject, parseStrictJson, StrictJsonError } from "./json-strict.ts";
import {
  catchInvalid,
  checkDims,
  checkValues,
  fail,
  type DecodeResult,
  type DecodedTensor,
  type TensorData,
} from "./input-rules.ts";
import type { InputSpec, InputType, ModelSpec } from "./spec.ts";

/** safetensors dtype names of the §7 input types, and their element sizes. */
export const SAFETENSORS_DTYPE: Readonly<Record<InputType, string>> = {
  float32: "F32",
  float16: "F16",
  int64: "I64",
  int32: "I32",
  uint8: "U8",
  bool: "BOOL",
};
export const DTYPE_SIZE: Readonly<Record<InputType, number>> = {
  float32: 4,
  float16: 2,
  int64: 8,
  int32: 4,
  uint8: 1,
  bool: 1,
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const SPACE = 0x20;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

interface Entry {
  spec: InputSpec;
  dims: number[];
  begin: number;
  end: number;
}

/** The header's JSON object: strict UTF-8, starts with `{`, ends with `}` then only spaces. */
function readHeader(bytes: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8) fail(`safetensors: ${bytes.length} bytes, less than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  if (hi !== 0 || lo > bytes.length - 8)
    fail(
      `safetensors: header length ${hi * 2 ** 32 + lo} is past the end (${bytes.length - 8} bytes follow)`,
    );
  let last = 8 + lo;
  while (last > 8 && bytes[last - 1] === SPACE) last--;
  if (bytes[8] !== 0x7b || last <= 8 || bytes[last - 1] !== 0x7d)
    fail("safetensors: the header is not one JSON object followed only by spaces");
  let text: string;
  try {
    text = utf8.decode(bytes.subarray(8, last));
  } catch {
    fail("safetensors: the header is not valid UTF-8");
  }
  let header: unknown;
  try {
    header = parseStrictJson(text);
  } catch (err) {
    if (err instanceof StrictJsonError) fail(`safetensors header: ${err.message}`);
    throw err;
  }
  if (!isJsonObject(header)) fail("safetensors: the header is not a JSON object");
  return { header, dataStart: 8 + lo };
}

function checkMetadata(meta: unknown): void {
  if (!isJsonObject(meta)) fail("__metadata__: must be an object of strings");
  for (const [k, v] of Object.entries(meta))
    if (typeof v !== "string") fail(`__metadata__.${k}: must be a string`);
}

function readOffsets(v: unknown, path: string): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) fail(`${path}: must be [begin, end]`);
  for (const x of v)
    if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0)
      fail(`${path}: must be two non-negative integers`);
  return [v[0] as number, v[1] as number];
}

/** One header entry against its input's spec. */
function readEntry(s: InputSpec, e: unknown, symbols: Record<string, number>): Entry {
  const path = s.name;
  if (!isJsonObject(e)) fail(`${path}: must be an object with dtype, shape and data_offsets`);
  for (const key of Object.keys(e))
    if (key !== "dtype" && key !== "shape" && key !== "data_offsets") fail(`${path}.${key}: unknown field`);
  if (e.dtype !== SAFETENSORS_DTYPE[s.type]) fail(`${path}.dtype: must be "${SAFETENSORS_DTYPE[s.type]}"`);
  if (!Object.hasOwn(e, "shape")) fail(`${path}.shape: missing`);
  const count = checkDims(e.shape, s, symbols, `${path}.shape`);
  const [begin, end] = readOffsets(e.data_offsets, `${path}.data_offsets`);
  if (end - begin !== count * DTYPE_SIZE[s.type])
    fail(
      `${path}.data_offsets: [${begin}, ${end}] holds ${end - begin} bytes, the shape needs ${count * DTYPE_SIZE[s.type]}`,
    );
  return { spec: s, dims: e.shape as number[], begin, end };
}

/** The entries' byte ranges must tile [0, dataLength) exactly. */
function checkTiling(entries: Entry[], dataLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.begin !== at)
      fail(
        `${e.spec.name}.data_offsets: begins at ${e.begin}, the data before it ends at ${at} (gap or overlap)`,
      );
    at = e.end;
  }
  if (at !== dataLength) fail(`safetensors: the tensors cover ${at} of ${dataLength} data bytes`);
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i < b.length; i += size)
    for (let j = 0, k = size - 1; j < k; j++, k--) [b[i + j], b[i + k]] = [b[i + k], b[i + j]];
}

/**
 * The tensor's values as the spec type's array: a view of the input bytes where they are
 * aligned for the type (the SDK writer aligns them), else an aligned copy. The engine reads the
 * input in place: a caller must not change the bytes before `infer` resolves.
 */
function tensorData(type: InputType, bytes: Uint8Array): TensorData {
  const size = DTYPE_SIZE[type];
  let b = bytes;
  if (!LITTLE_ENDIAN) {
    b = bytes.slice();
    swapBytes(b, size);
  } else if (bytes.byteOffset % size !== 0) b = bytes.slice();
  const n = b.length / size;
  if (type === "float32") return new Float32Array(b.buffer, b.byteOffset, n);
  if (type === "float16") return new Uint16Array(b.buffer, b.byteOffset, n);
  if (type === "int64") return new BigInt64Array(b.buffer, b.byteOffset, n);
  if (type === "int32") return new Int32Array(b.buffer, b.byteOffset, n);
  return b;
}

function decode(bytes: Uint8Array, spec: ModelSpec): DecodeResult {
  const { header, dataStart } = readHeader(bytes);
  for (const key of Object.keys(header))
    if (key !== "__metadata__" && !spec.inputs.some((s) => s.name === key))
      fail(`${key}: the model has no input of that name`);
  if (Object.hasOwn(header, "__metadata__")) checkMetadata(header.__metadata__);
  const symbols: Record<string, number> = Object.create(null) as Record<string, number>;
  const entries: Entry[] = [];
  for (const s of spec.inputs) {
    if (!Object.hasOwn(header, s.name)) fail(`${s.name}: missing`);
    entries.push(readEntry(s, header[s.name], symbols));
  }
  checkTiling(entries, bytes.length - dataStart);
  const tensors: DecodedTensor[] = entries.map((e) => {
    const data = tensorData(e.spec.type, bytes.subarray(dataStart + e.begin, dataStart + e.end));
    checkValues(e.spec, data, `${e.spec.name}.data`);
    return { name: e.spec.name, type: e.spec.type, dims: e.dims, data };
  });
  return { ok: true, tensors, symbols };
}

/**
 * Decodes safetensors input bytes against the spec (the size limit is checked by the caller,
 * `decodeInput`). Never throws for any input bytes.
 */
export function decodeSafetensors(bytes: Uint8Array, spec: ModelSpec): DecodeResult {
  return catchInvalid(() => decode(bytes, spec));
}
