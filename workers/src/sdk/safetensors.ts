/**
 * Writes task inputs as safetensors (PROTOCOL.md §7, "Binary task input"), for specs whose
 * `inputEncodings` allow it: an 8-byte little-endian header length, the JSON header
 * `{"<name>":{"dtype","shape","data_offsets"}}` padded with spaces, then each tensor's values
 * little-endian, in order. The padding keeps the data 8-byte aligned, so the header length is a
 * multiple of 8 and its first byte (the file's first byte) is never `{` (0x7b, odd): nodes never
 * take the file for JSON. A float32 image of 150k values is 600 kB instead of about 1.5 MB of JSON.
 */
import { toFloat16Bits } from "../inference/float16.ts";
import { DTYPE_SIZE, SAFETENSORS_DTYPE } from "../inference/safetensors.ts";
import type { InputType } from "../inference/spec.ts";

/** One input tensor: values as numbers (float16 as values, not bits), bigints or booleans. */
export interface SafetensorsTensor {
  name: string;
  type: InputType;
  dims: readonly number[];
  data: ArrayLike<number | bigint | boolean> | ArrayBufferView;
}

const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The tensor's values as little-endian bytes of its type. */
function tensorBytes(t: SafetensorsTensor, count: number): Uint8Array {
  const d = t.data as ArrayLike<number | bigint | boolean>;
  if (d.length !== count)
    throw new RangeError(`${t.name}: ${d.length} values, dims [${t.dims.join(",")}] need ${count}`);
  let arr: ArrayBufferView;
  if (t.type === "float32") arr = d instanceof Float32Array ? d : Float32Array.from(d, Number);
  else if (t.type === "float16")
    arr = d instanceof Uint16Array ? d : Uint16Array.from(d, (v) => toFloat16Bits(Number(v)));
  else if (t.type === "int64") arr = d instanceof BigInt64Array ? d : BigInt64Array.from(d, (v) => BigInt(v));
  else if (t.type === "int32") arr = d instanceof Int32Array ? d : Int32Array.from(d, Number);
  else arr = d instanceof Uint8Array ? d : Uint8Array.from(d, Number);
  const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).slice();
  const size = DTYPE_SIZE[t.type];
  if (!LE) for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
  return bytes;
}

/**
 * Encodes tensors as a safetensors file (float16 `data` given as numbers is rounded to half
 * precision, ties to even; a Uint16Array is taken as the bit patterns). `metadata` becomes the
 * header's `__metadata__` (strings only). Throws RangeError when a tensor's values do not fit
 * its dims.
 */
export function encodeSafetensors(
  tensors: readonly SafetensorsTensor[],
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const bytes = tensorBytes(
      t,
      t.dims.reduce((a, b) => a * b, 1),
    );
    header[t.name] = {
      dtype: SAFETENSORS_DTYPE[t.type],
      shape: [...t.dims],
      data_offsets: [offset, offset + bytes.length],
    };
    parts.push(bytes);
    offset += bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const n = Math.ceil((8 + json.length) / 8) * 8 - 8; // a multiple of 8: its low byte is never 0x7b
  const out = new Uint8Array(8 + n + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let at = 8 + n;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Whether bytes are to be read as safetensors rather than JSON (§7: the first byte is not `{`). */
export function isSafetensorsBytes(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] !== 0x7b;
}
