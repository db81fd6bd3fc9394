/**
 * Canonical output (PROTOCOL.md §7), pure: raw output tensors + the spec's rules → canonical
 * bytes, outputHash, margin and the commit/skip decision.
 *
 * - argmax: on the last axis, lowest index among equal maxima, drops the axis from dims;
 *   margin = top − second (infinite for an axis of length 1).
 * - topk K: on the last axis, K indices by value descending (ties: lower index first), last dim
 *   becomes K. Margin: the smallest gap between neighbours among the K + 1 largest values, i.e.
 *   min(v1 − v2, …, vK − vK+1) (vK+1 absent when K is the axis length). §7 names K-th − (K+1)-th;
 *   the gaps inside the top K are included too because a swap there changes the result as much
 *   (docs/inference.md, "Margin of topk").
 * - round D: y = x · 10^D in float64 from the tensor's value, rounded half to even, an integer
 *   (decimal string beyond ±(2^53 − 1)); margin = distance of y to the nearest half-integer / 10^D.
 * - int: integer (and bool → 0/1) tensors as they are; beyond ±(2^53 − 1) as decimal strings.
 * NaN or ±Infinity in any output → {"error":"NON_FINITE"}. Overall margin = the minimum over all;
 * below `margin` → {"error":"FRAGILE"}; in [margin, 2·margin) → the result with skip = true.
 */
import type { Hex } from "viem";
import { CanonicalWriter, MAX_SAFE } from "./canonical-writer.ts";
import { fromFloat16Bits } from "./float16.ts";
import { keccak256Hex } from "./keccak.ts";
import { InferenceError } from "./errors.ts";
import { FLOAT_TYPES, INTEGER_TYPES, type OutputRule, type OutputSpec, type OutputType } from "./spec.ts";

export type ResultKind = "ok" | "INVALID_INPUT" | "NON_FINITE" | "FRAGILE";

/** One raw output tensor as the runtime returned it (float16 as bit patterns). */
export interface RawOutput {
  name: string;
  type: OutputType;
  dims: readonly number[];
  data: ArrayLike<number> | ArrayLike<bigint> | ArrayLike<boolean>;
}

export interface CanonicalResult {
  result: ResultKind;
  /** The canonical JSON text; its UTF-8 bytes are what is hashed. */
  canonical: string;
  /** keccak256 of the canonical bytes. */
  outputHash: Hex;
  /** Smallest distance from a flip, in output units; Infinity when nothing can flip. */
  margin: number;
  /** True when the margin lies in [margin, 2·margin): an honest node skips the task. */
  skip: boolean;
  /** Why the result is not "ok" (for logs only; not part of the canonical bytes). */
  reason?: string;
}

/** The spec pairs a rule with an output type that it cannot handle (a spec bug, not an input). */
export class OutputRuleError extends InferenceError {}

export { MAX_SAFE };

/**
 * keccak256 of the UTF-8 bytes of `canonical`, as 0x-hex. The same function as viem's
 * `keccak256(stringToBytes(canonical))` (checked in the tests), computed by `keccak.ts`
 * (WebAssembly, with @noble/hashes as the fallback).
 */
export function outputHash(canonical: string): Hex {
  return keccak256Hex(new TextEncoder().encode(canonical));
}

function errorResult(
  kind: "INVALID_INPUT" | "NON_FINITE" | "FRAGILE",
  margin: number,
  reason?: string,
): CanonicalResult {
  const canonical = `{"error":"${kind}"}`;
  const r: CanonicalResult = {
    result: kind,
    canonical,
    outputHash: outputHash(canonical),
    margin,
    skip: false,
  };
  if (reason !== undefined) r.reason = reason;
  return r;
}

/** The canonical result for an input the model cannot take. */
export function invalidInputResult(reason?: string): CanonicalResult {
  return errorResult("INVALID_INPUT", Infinity, reason);
}

/**
 * A raw output's values as numbers: float32 and small-integer typed arrays as they are (reading
 * them gives the exact value), anything else converted (bigints via Number, bool → 0/1, float16
 * decoded, plain arrays of float32 values rounded with Math.fround).
 */
function toNumbers(out: RawOutput): ArrayLike<number> {
  const d = out.data as ArrayLike<number | bigint | boolean>;
  if (out.type === "float32" && d instanceof Float32Array) return d;
  if (
    d instanceof Float64Array ||
    d instanceof Int32Array ||
    d instanceof Int16Array ||
    d instanceof Int8Array ||
    d instanceof Uint32Array ||
    (d instanceof Uint16Array && out.type !== "float16") ||
    d instanceof Uint8Array
  )
    return d;
  const n = d.length;
  const res = new Float64Array(n);
  if (out.type === "float16") for (let i = 0; i < n; i++) res[i] = fromFloat16Bits(Number(d[i]));
  else if (out.type === "float32") for (let i = 0; i < n; i++) res[i] = Math.fround(Number(d[i]));
  else for (let i = 0; i < n; i++) res[i] = Number(d[i]);
  return res;
}

interface Applied {
  dims: number[];
  /** Writes the JSON array of the result's integers. */
  write: (w: CanonicalWriter) => void;
  margin: number;
}

function lastAxis(out: RawOutput, op: string): { rows: number; len: number } | string {
  if (out.dims.length === 0) throw new OutputRuleError(`output "${out.name}": ${op} needs at least one axis`);
  const len = out.dims[out.dims.length - 1];
  if (len === 0) return `output "${out.name}": ${op} on an empty axis`;
  return { rows: out.data.length / len, len };
}

function applyArgmax(out: RawOutput, v: ArrayLike<number>): Applied | string {
  const ax = lastAxis(out, "argmax");
  if (typeof ax === "string") return ax;
  const { rows, len } = ax;
  const data = new Int32Array(rows);
  let margin = Infinity;
  for (let r = 0; r < rows; r++) {
    const base = r * len;
    let best = 0;
    let top = v[base];
    let second = -Infinity;
    for (let i = 1; i < len; i++) {
      const x = v[base + i];
      if (x > top) {
        second = top;
        top = x;
        best = i;
      } else if (x > second) second = x;
    }
    data[r] = best;
    if (len > 1) margin = Math.min(margin, top - second);
  }
  return { dims: out.dims.slice(0, -1), write: (w) => w.intArray(data), margin };
}

function applyTopk(out: RawOutput, v: ArrayLike<number>, k: number): Applied | string {
  const ax = lastAxis(out, "topk");
  if (typeof ax === "string") return ax;
  const { rows, len } = ax;
  if (k > len) return `output "${out.name}": topk k=${k} exceeds the last axis length ${len}`;
  const keep = Math.min(k + 1, len);
  const data = new Int32Array(rows * k);
  let margin = Infinity;
  const idx: number[] = [];
  for (let r = 0; r < rows; r++) {
    const base = r * len;
    idx.length = 0;
    // Insertion into a sorted list of the `keep` best (value desc, index asc); once it is full,
    // a value must beat the last one kept (`floor`) to enter (values are finite here).
    let floor = -Infinity;
    for (let i = 0; i < len; i++) {
      const x = v[base + i];
      if (x <= floor) continue;
      let p = idx.length === keep ? keep - 1 : idx.length;
      if (idx.length < keep) idx.push(i);
      while (p > 0 && x > v[base + idx[p - 1]]) {
        idx[p] = idx[p - 1];
        p--;
      }
      idx[p] = i;
      if (idx.length === keep) floor = v[base + idx[keep - 1]];
    }
    for (let j = 0; j < k; j++) data[r * k + j] = idx[j];
    for (let j = 0; j + 1 < keep; j++) margin = Math.min(margin, v[base + idx[j]] - v[base + idx[j + 1]]);
  }
  return { dims: [...out.dims.slice(0, -1), k], write: (w) => w.intArray(data), margin };
}

/** Reused by applyRound (its result is written out before the next output is applied). */
let roundScratch = new Float64Array(0);

function applyRound(v: ArrayLike<number>, dims: readonly number[], decimals: number): Applied {
  const scale = 10 ** decimals;
  if (roundScratch.length < v.length) roundScratch = new Float64Array(v.length);
  const data = roundScratch.subarray(0, v.length);
  let margin = Infinity;
  for (let i = 0; i < v.length; i++) {
    const y = v[i] * scale;
    let r = Math.round(y);
    if (r - y === 0.5 && r % 2 !== 0) r -= 1;
    data[i] = r;
    const dist = Math.abs(y) >= 2 ** 52 ? 0.5 : Math.abs(y - (Math.floor(y) + 0.5));
    if (dist < margin) margin = dist;
  }
  return { dims: [...dims], write: (w) => w.intArray(data), margin: margin / scale };
}

function applyInt(out: RawOutput): Applied {
  const d = out.data as ArrayLike<number | bigint | boolean>;
  const write = (w: CanonicalWriter) => {
    w.byte(0x5b);
    for (let i = 0; i < d.length; i++) {
      if (i > 0) w.byte(0x2c);
      const x = d[i];
      if (typeof x === "bigint") w.bigint(x);
      else w.int(typeof x === "boolean" ? (x ? 1 : 0) : x);
    }
    w.byte(0x5d);
  };
  return { dims: [...out.dims], write, margin: Infinity };
}

function checkRule(out: RawOutput, rule: OutputRule): void {
  if (rule.op === "int" && !INTEGER_TYPES.has(out.type))
    throw new OutputRuleError(
      `output "${out.name}": rule int needs an integer or bool tensor, got ${out.type}`,
    );
  if (rule.op !== "int" && !FLOAT_TYPES.has(out.type) && !INTEGER_TYPES.has(out.type))
    throw new OutputRuleError(
      `output "${out.name}": rule ${rule.op} needs a numeric tensor, got ${out.type}`,
    );
}

/** Classifies a margin against the spec's: FRAGILE below, skip in [m, 2m), commit at or above 2m. */
export function classifyMargin(margin: number, specMargin: number): "fragile" | "skip" | "commit" {
  if (margin < specMargin) return "fragile";
  if (margin < 2 * specMargin) return "skip";
  return "commit";
}

/**
 * Applies the spec's output rules (in spec order) to raw outputs and returns the canonical
 * result. Throws {@link OutputRuleError} when the spec and the model disagree (a missing output,
 * a rule that does not fit the output's type): no honest node could answer, it is a spec bug.
 */
export function canonicalize(
  raw: readonly RawOutput[] | ReadonlyMap<string, RawOutput>,
  outputs: readonly OutputSpec[],
  specMargin: number,
): CanonicalResult {
  const tensors = listedOutputs(raw, outputs);
  // NON_FINITE first: NaN or ±Infinity anywhere in a listed output decides the result.
  const values: ArrayLike<number>[] = [];
  for (let i = 0; i < tensors.length; i++) {
    const out = tensors[i];
    const v = outputs[i].rule.op === "int" ? [] : toNumbers(out);
    values.push(v);
    const bad = FLOAT_TYPES.has(out.type) ? firstNonFinite(v) : -1;
    if (bad >= 0) return errorResult("NON_FINITE", Infinity, `output "${out.name}" has ${v[bad]}`);
  }
  const w = new CanonicalWriter();
  try {
    return writeCanonical(w, tensors, outputs, values, specMargin);
  } finally {
    w.release();
  }
}

/** Applies the rules and writes the canonical bytes into `w`; the result, FRAGILE, or INVALID_INPUT. */
function writeCanonical(
  w: CanonicalWriter,
  tensors: RawOutput[],
  outputs: readonly OutputSpec[],
  values: ArrayLike<number>[],
  specMargin: number,
): CanonicalResult {
  w.text('{"outputs":[');
  let margin = Infinity;
  for (let i = 0; i < tensors.length; i++) {
    const out = tensors[i];
    const applied = applyRule(out, outputs[i].rule, values[i]);
    if (typeof applied === "string") return invalidInputResult(applied);
    margin = Math.min(margin, applied.margin);
    w.text(
      `${i > 0 ? "," : ""}{"name":${JSON.stringify(out.name)},"dims":[${applied.dims.join(",")}],"data":`,
    );
    applied.write(w);
    w.byte(0x7d);
  }
  w.text("]}");
  const verdict = classifyMargin(margin, specMargin);
  if (verdict === "fragile") return errorResult("FRAGILE", margin, `margin ${margin} is below ${specMargin}`);
  const bytes = w.bytes();
  return {
    result: "ok",
    canonical: w.toString(),
    outputHash: keccak256Hex(bytes),
    margin,
    skip: verdict === "skip",
  };
}

/** The index of the first NaN or ±Infinity, or -1. */
function firstNonFinite(v: ArrayLike<number>): number {
  const n = v.length;
  for (let j = 0; j < n; j++) if (v[j] - v[j] !== 0) return j;
  return -1;
}

function applyRule(out: RawOutput, rule: OutputRule, values: ArrayLike<number>): Applied | string {
  if (rule.op === "argmax") return applyArgmax(out, values);
  if (rule.op === "topk") return applyTopk(out, values, rule.k);
  if (rule.op === "round") return applyRound(values, out.dims, rule.decimals);
  return applyInt(out);
}

/** The outputs the spec lists, in its order, checked against their rules (a spec bug throws). */
function listedOutputs(
  raw: readonly RawOutput[] | ReadonlyMap<string, RawOutput>,
  outputs: readonly OutputSpec[],
): RawOutput[] {
  const byName: ReadonlyMap<string, RawOutput> = Array.isArray(raw)
    ? new Map((raw as readonly RawOutput[]).map((o) => [o.name, o]))
    : (raw as ReadonlyMap<string, RawOutput>);
  return outputs.map((spec) => {
    const out = byName.get(spec.name);
    if (!out) throw new OutputRuleError(`output "${spec.name}": the model did not return it`);
    const count = out.dims.reduce((a, b) => a * b, 1);
    if (count !== out.data.length)
      throw new OutputRuleError(
        `output "${spec.name}": ${out.data.length} values for dims [${out.dims.join(",")}]`,
      );
    checkRule(out, spec.rule);
    return out;
  });
}
