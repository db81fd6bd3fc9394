/**
 * The types and constants of the model spec (PROTOCOL.md §7); parsing and validation are in
 * `spec.ts`, which re-exports everything here.
 */
import type { GenerateSpec } from "./generate-spec.ts";

/** Tensor element types a task input may use. */
export const INPUT_TYPES = ["float32", "float16", "int64", "int32", "uint8", "bool"] as const;
export type InputType = (typeof INPUT_TYPES)[number];

/** Element types a model output may have (what onnxruntime-node returns). */
export const OUTPUT_TYPES = [
  "float32",
  "float16",
  "float64",
  "int8",
  "int16",
  "int32",
  "int64",
  "uint8",
  "uint16",
  "uint32",
  "uint64",
  "bool",
] as const;
export type OutputType = (typeof OUTPUT_TYPES)[number];

export const FLOAT_TYPES: ReadonlySet<string> = new Set(["float32", "float16", "float64"]);
export const INTEGER_TYPES: ReadonlySet<string> = new Set([
  "int8",
  "int16",
  "int32",
  "int64",
  "uint8",
  "uint16",
  "uint32",
  "uint64",
  "bool",
]);

export const GRAPH_OPTIMIZATION_LEVELS = ["disabled", "basic", "extended", "all"] as const;
export type GraphOptimizationLevel = (typeof GRAPH_OPTIMIZATION_LEVELS)[number];

export const PROVIDERS = ["cpu", "cuda"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** A positive integer pins a size; a string names a symbolic size (same name, same size). */
export type Dim = number | string;

/** Inclusive bounds; int64 bounds beyond ±(2^53 − 1) are bigints. */
export interface ValueRange {
  min: number | bigint;
  max: number | bigint;
}

export interface InputSpec {
  name: string;
  type: InputType;
  dims: Dim[];
  range?: ValueRange;
}

export type OutputRule =
  { op: "argmax" } | { op: "topk"; k: number } | { op: "round"; decimals: number } | { op: "int" };

export interface OutputSpec {
  name: string;
  rule: OutputRule;
  dims?: Dim[];
}

export interface ExecutionSpec {
  runtime: "onnxruntime";
  version: string;
  graphOptimizationLevel: GraphOptimizationLevel;
  providers: ProviderName[];
  /** In output units; default {@link DEFAULT_MARGIN}. */
  margin: number;
  /** Largest batch the owner allows; 1 (the default) disables batching. */
  maxBatch: number;
}

/** Task input encodings (§7): JSON, and the safetensors binary format. */
export const INPUT_ENCODINGS = ["json", "safetensors"] as const;
export type InputEncoding = (typeof INPUT_ENCODINGS)[number];

export interface ModelSpec {
  inputs: InputSpec[];
  outputs: OutputSpec[];
  execution: ExecutionSpec;
  maxInputBytes: number;
  /** Absent means ["json"]. With "safetensors", input bytes not starting with `{` are safetensors. */
  inputEncodings?: InputEncoding[];
  description?: string;
  /** A generative model (PROTOCOL.md §7): then `inputs` and `outputs` are []. */
  generate?: GenerateSpec;
}

export const DEFAULT_MARGIN = 1e-6;
export const MAX_ROUND_DECIMALS = 15;
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const DECIMAL_INT = /^-?(0|[1-9][0-9]*)$/;

/** Integer bounds of each integer input type. */
export const INPUT_INT_BOUNDS: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int64: [INT64_MIN, INT64_MAX],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint8: [0n, 255n],
};
