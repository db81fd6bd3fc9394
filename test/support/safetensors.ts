/** Helpers for the safetensors tests: a spec with every input type, and raw file builders. */
import { parseModelSpec, type ModelSpec } from "../../workers/src/inference/spec.ts";

/** Every §7 input type, symbolic and pinned dims, ranges; JSON and safetensors allowed. */
export const ALL_TYPES_SPEC: ModelSpec = parseModelSpec({
  inputs: [
    { name: "x", type: "float32", dims: ["N", 3], range: [-10, 10] },
    { name: "h", type: "float16", dims: [2] },
    { name: "i", type: "int64", dims: ["N"] },
    { name: "j", type: "int32", dims: [] },
    { name: "u", type: "uint8", dims: [2], range: [0, 200] },
    { name: "b", type: "bool", dims: [2] },
  ],
  outputs: [{ name: "y", rule: { op: "int" } }],
  execution: {
    runtime: "onnxruntime",
    version: "1.x",
    graphOptimizationLevel: "disabled",
    providers: ["cpu"],
  },
  maxInputBytes: 4096,
  inputEncodings: ["json", "safetensors"],
});

/** The same tensors as {@link ALL_TYPES_SPEC} takes, one row (N = 1). */
export const ALL_TYPES_TENSORS = [
  { name: "x", type: "float32", dims: [1, 3], data: [0.5, -2.25, 9.75] },
  { name: "h", type: "float16", dims: [2], data: [1.5, -0.125] },
  { name: "i", type: "int64", dims: [1], data: [-9007199254740993n] },
  { name: "j", type: "int32", dims: [], data: [-2147483648] },
  { name: "u", type: "uint8", dims: [2], data: [0, 200] },
  { name: "b", type: "bool", dims: [2], data: [true, false] },
] as const;

/** A safetensors file from a header text (padded to `n` bytes when given) and data bytes. */
export function rawSafetensors(header: string, data: Uint8Array | number[] = [], n?: number): Uint8Array {
  const h = new TextEncoder().encode(header);
  const len = n ?? h.length;
  const out = new Uint8Array(8 + Math.max(len, h.length) + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(len), true);
  out.set(h, 8);
  out.fill(0x20, 8 + h.length, 8 + Math.max(len, h.length));
  out.set(data, 8 + Math.max(len, h.length));
  return out;
}

/** Little-endian bytes of float32 values. */
export function f32Bytes(...v: number[]): number[] {
  return [...new Uint8Array(Float32Array.from(v).buffer)];
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
