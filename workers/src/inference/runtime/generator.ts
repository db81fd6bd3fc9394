/**
 * The generation loop of PROTOCOL.md §7 on an onnxruntime session: with a cache, step 0 feeds
 * the whole prompt (positions 0..T₀−1, a mask of T₀ ones, every cache input empty: 0 along its
 * seqDim, 1 for the batch dim, the other dims as the graph fixes them) and each later step the
 * one token generated last with the previous step's cache outputs; without a cache every step
 * feeds the whole sequence so far. The choice, the margins and the end are {@link Generation}'s.
 */
import { performance } from "node:perf_hooks";
import type { CanonicalResult } from "../canonical.ts";
import { InferenceResourceError } from "../errors.ts";
import { Generation, decodeGenerateInput, type GenerateInput } from "../generation.ts";
import { invalidInputResult } from "../canonical.ts";
import type { TensorData } from "../codec.ts";
import type { CacheEntry, GenerateSpec, ModelSpec } from "../spec.ts";
import { makeTensor, type ModelIo, type OrtTensor } from "./session.ts";

export type RunResult = { ok: true; out: Record<string, OrtTensor> } | { ok: false; reason: string };
export type StepRunner = (feeds: Record<string, OrtTensor>, outputNames: string[]) => Promise<RunResult>;

const EMPTY: Record<string, () => ArrayBufferView> = {
  float32: () => new Float32Array(0),
  float16: () => new Uint16Array(0),
  float64: () => new Float64Array(0),
  int64: () => new BigInt64Array(0),
  int32: () => new Int32Array(0),
};

/** An empty cache input: the graph's element type, 1 for the batch dim, 0 along seqDim. */
export function emptyCacheTensor(entry: CacheEntry, io: ModelIo): OrtTensor {
  const m = io.inputs.find((v) => v.name === entry.input)!;
  const dims = m.dims.map((d, i) => (i === 0 ? 1 : i === entry.seqDim ? 0 : (d as number)));
  const make = EMPTY[m.type];
  if (!make)
    throw new InferenceResourceError(`cache input "${entry.input}" has type ${m.type}, not supported`);
  return makeTensor(m.type, make(), dims);
}

/** What step `g.step` feeds (§7 "Steps"); `cache` holds the cache inputs by name. */
function stepFeeds(g: Generation, cache: Record<string, OrtTensor> | null): Record<string, OrtTensor> {
  const spec = g.spec;
  const prompt = g.input.prompt;
  const tokens = g.tokens;
  const length = prompt.length + tokens.length;
  const first = cache === null || g.step === 0 ? 0 : length - 1;
  const ids = new BigInt64Array(length - first);
  for (let i = first; i < length; i++)
    ids[i - first] = BigInt(i < prompt.length ? prompt[i] : tokens[i - prompt.length]);
  const feeds: Record<string, OrtTensor> = { [spec.tokens]: makeTensor("int64", ids, [1, ids.length]) };
  if (spec.positions) {
    const positions = new BigInt64Array(length - first);
    for (let i = first; i < length; i++) positions[i - first] = BigInt(i);
    feeds[spec.positions] = makeTensor("int64", positions, [1, positions.length]);
  }
  if (spec.mask) feeds[spec.mask] = makeTensor("int64", new BigInt64Array(length).fill(1n), [1, length]);
  if (cache) Object.assign(feeds, cache);
  return feeds;
}

/** The last row of `logits` [1, T, V] (float32 values). */
function lastRow(t: OrtTensor, vocab: number): Float32Array | string {
  const dims = t.dims;
  if (t.type !== "float32" || dims.length !== 3 || dims[0] !== 1 || dims[2] !== vocab || dims[1] < 1)
    return `logits came back as ${t.type} [${dims.join(",")}], not float32 [1,T,${vocab}]`;
  const data = t.data as Float32Array;
  return data.subarray((dims[1] - 1) * vocab, dims[1] * vocab);
}

export interface GenerateOptions {
  /** The longest a generation may take (ms); past it the node has no result and skips. */
  maxMs: number;
}

/** Runs one generation to its end; resource failures and the time budget throw (skip the task). */
export async function runGeneration(
  spec: ModelSpec,
  input: GenerateInput,
  io: ModelIo,
  run: StepRunner,
  opts: GenerateOptions,
): Promise<CanonicalResult> {
  const g = new Generation(spec.generate!, spec.execution.margin, input);
  const gs: GenerateSpec = spec.generate!;
  const outputNames = [gs.logits, ...(gs.cache ?? []).map((c) => c.output)];
  const cache: Record<string, OrtTensor> | null = gs.cache
    ? Object.fromEntries(gs.cache.map((c) => [c.input, emptyCacheTensor(c, io)]))
    : null;
  const start = performance.now();
  while (!g.done) {
    if (performance.now() - start > opts.maxMs)
      throw new InferenceResourceError(
        `generation ran past its budget of ${opts.maxMs} ms at step ${g.step}`,
      );
    const r = await run(stepFeeds(g, cache), outputNames);
    if (!r.ok) {
      g.runError(r.reason);
      break;
    }
    const row = lastRow(r.out[gs.logits], gs.vocab);
    if (typeof row === "string") {
      g.runError(row);
      break;
    }
    g.feed(row);
    if (cache) for (const c of gs.cache!) cache[c.input] = r.out[c.output];
  }
  return g.result!;
}

/** Decodes a generative task input and runs it: INVALID_INPUT when the input breaks §7's rules. */
export async function generateFromBytes(
  spec: ModelSpec,
  bytes: Uint8Array,
  io: ModelIo,
  run: StepRunner,
  maxMs: number,
): Promise<CanonicalResult> {
  const input = decodeGenerateInput(bytes, spec);
  if (!input.ok) return invalidInputResult(input.reason);
  return runGeneration(spec, input, io, run, { maxMs });
}

/** Concatenates typed arrays of one type (the engine's batches). */
export function concatData(parts: TensorData[]): TensorData {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const Ctor = parts[0].constructor as new (n: number) => TensorData;
  const out = new Ctor(total);
  let off = 0;
  for (const p of parts) {
    (out as unknown as { set(a: ArrayLike<unknown>, o: number): void }).set(p, off);
    off += p.length;
  }
  return out;
}
