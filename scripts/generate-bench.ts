/**
 * The generative model's benchmark rows (PROTOCOL.md §7, the trained models/tiny-lm), shared by
 * `npm run bench:generate`, `npm run bench:agreement` and `npm run bench:infer`:
 *
 * - agreement under the pinned profile (cpu, graphOptimizationLevel "disabled"): every prompt ×
 *   seed generated twice in process, once in an inference thread, and once with the no-cache
 *   export (whole sequence each step); the rows count the hashes equal to the first run's;
 * - speed: tokens per second of the engine (input bytes in → canonical bytes and hash out) and of
 *   a raw loop of `session.run` that feeds the same tokens with the same cache and does no choice,
 *   margins or hashing; the overhead per token compares their medians (both warmed up, measured in
 *   pairs of alternating order), and a row gives the §7 step work alone on the recorded logits.
 */
import { performance } from "node:perf_hooks";
import { InferenceEngine, type LoadedModel } from "../workers/src/inference/runtime/engine.ts";
import { ThreadedInferenceEngine } from "../workers/src/inference/runtime/threaded-engine.ts";
import { emptyCacheTensor } from "../workers/src/inference/runtime/generator.ts";
import { decodeGenerateInput, Generation } from "../workers/src/inference/generation.ts";
import { makeTensor, sessionIo, type OrtTensor } from "../workers/src/inference/runtime/session.ts";
import { trainedLm } from "../test/support/models.ts";

const lm = trainedLm();
const { specText, noCacheSpecText: noCacheSpec } = lm;
const TEXTS = [
  "We hold these truths",
  "In the beginning",
  "The Lord is my",
  "Four score and",
  "A Fox one day",
  // Outside the corpus: the model is unsure, so the seeded draw decides many steps.
  "My cat likes",
  "Quick brown dog",
  "Tomorrow we",
];
const inputOf = (i: number, n = 32) =>
  JSON.stringify({
    prompt: [...new TextEncoder().encode(`${TEXTS[i % TEXTS.length]} ${i}`)],
    maxNewTokens: n,
    seed: `0x${(i + 1).toString(16).padStart(64, "0")}`,
  });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Agreement rows (markdown) for tiny-lm under the pinned profile: reruns, an inference thread, no cache. */
export async function generateAgreement(PROMPTS = 8): Promise<string[]> {
  const engine = new InferenceEngine({ batchWindowMs: 0 });
  const threaded = new ThreadedInferenceEngine({ inferenceThreads: 1, batchWindowMs: 0 });
  const cached = await engine.load(specText, lm.onnx);
  const whole = await engine.load(noCacheSpec, lm.noCacheOnnx);
  const inThread = await threaded.load(specText, { path: lm.onnx });
  const agree = { rerun: 0, thread: 0, nocache: 0 };
  for (let i = 0; i < PROMPTS; i++) {
    const input = inputOf(i);
    const first = (await cached.infer(input)).outputHash;
    if ((await cached.infer(input)).outputHash === first) agree.rerun++;
    if ((await inThread.infer(new TextEncoder().encode(input))).outputHash === first) agree.thread++;
    if ((await whole.infer(input)).outputHash === first) agree.nocache++;
  }
  await threaded.close();
  await engine.close();
  const pct = (k: number) => `${k} (${(100 * k) / PROMPTS} %)`;
  return [
    "| comparison (tiny-lm, cpu, disabled) | generations | same hash |",
    "| --- | --- | --- |",
    `| rerun in process | ${PROMPTS} | ${pct(agree.rerun)} |`,
    `| inference thread vs in process | ${PROMPTS} | ${pct(agree.thread)} |`,
    `| no cache (not the pinned spec) vs cache | ${PROMPTS} | ${pct(agree.nocache)} |`,
  ];
}

/** The raw loop: session.run over the tokens the engine generated, the cache carried, nothing else. */
async function rawRun(
  model: LoadedModel,
  prompt: number[],
  tokens: number[],
  rows?: Float32Array[],
): Promise<void> {
  const g = model.spec.generate!;
  const io = sessionIo(model.session);
  const row = (v: number[]) =>
    makeTensor(
      "int64",
      BigInt64Array.from(v, (x) => BigInt(x)),
      [1, v.length],
    );
  let cache = new Map(g.cache!.map((c) => [c.input, emptyCacheTensor(c, io)]));
  const seq = [...prompt];
  const names = [g.logits, ...g.cache!.map((c) => c.output)];
  for (let s = 0; s < tokens.length; s++) {
    const fed = s === 0 ? seq : [seq[seq.length - 1]];
    const feeds: Record<string, OrtTensor> = {
      [g.tokens]: row(fed),
      [g.positions!]: row(fed.map((_, i) => seq.length - fed.length + i)),
      [g.mask!]: row(seq.map(() => 1)),
    };
    for (const [k, t] of cache) feeds[k] = t;
    const out = await model.session.run(feeds, names);
    if (rows) {
      const l = out[g.logits];
      rows.push((l.data as Float32Array).slice((l.dims[1] - 1) * g.vocab, l.dims[1] * g.vocab));
    }
    cache = new Map(g.cache!.map((c) => [c.input, out[c.output]]));
    seq.push(tokens[s]);
  }
}

/** The §7 step work alone: decode the input, feed the recorded logits rows, hash the canonical result. */
function stepWork(model: LoadedModel, input: string, rows: Float32Array[]): void {
  const decoded = decodeGenerateInput(new TextEncoder().encode(input), model.spec);
  if (!decoded.ok) throw new Error(decoded.reason);
  const g = new Generation(model.spec.generate!, model.spec.execution.margin, decoded);
  for (const row of rows) if (!g.done) g.feed(row);
  if (!g.done) throw new Error("the recorded rows did not end the generation");
}

const timed = async (f: () => unknown): Promise<number> => {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
};

/**
 * Speed rows (markdown) for tiny-lm: raw session.run loop vs the engine, per token; the last line
 * is the overhead. Both paths are warmed up first (JIT, allocator, caches), then measured in pairs
 * whose order alternates, so neither always runs second; the no-cache export is measured in its
 * own loop afterwards (run between the pair, its larger working set slowed whichever came next).
 */
export async function generateSpeed(ROUNDS = 101, WARMUP = 20): Promise<string[]> {
  const engine = new InferenceEngine({ batchWindowMs: 0 });
  const cached = await engine.load(specText, lm.onnx);
  const whole = await engine.load(noCacheSpec, lm.noCacheOnnx);
  const input = inputOf(0);
  const { prompt } = JSON.parse(input) as { prompt: number[] };
  const r = await cached.infer(input);
  const tokens = (JSON.parse(r.canonical) as { tokens: number[] }).tokens;
  const rows: Float32Array[] = [];
  await rawRun(cached, prompt, tokens, rows);
  const t = { engine: [] as number[], raw: [] as number[], whole: [] as number[], step: [] as number[] };
  const engineRun = () => cached.infer(input);
  const raw = () => rawRun(cached, prompt, tokens);
  for (let i = 0; i < WARMUP; i++) {
    await engineRun();
    await raw();
    stepWork(cached, input, rows);
  }
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 2 === 0) {
      t.engine.push(await timed(engineRun));
      t.raw.push(await timed(raw));
    } else {
      t.raw.push(await timed(raw));
      t.engine.push(await timed(engineRun));
    }
    t.step.push(await timed(() => stepWork(cached, input, rows)));
  }
  for (let i = 0; i < WARMUP; i++) await whole.infer(input);
  for (let i = 0; i < ROUNDS; i++) t.whole.push(await timed(() => whole.infer(input)));
  const n = tokens.length;
  const perTok = (ms: number) => (ms / n).toFixed(3);
  const [e, rw, w, st] = [median(t.engine), median(t.raw), median(t.whole), median(t.step)];
  await engine.close();
  return [
    `| tiny-lm, ${n} tokens, median of ${ROUNDS} (after ${WARMUP} warm-up) | ms/token | tokens/s |`,
    "| --- | --- | --- |",
    `| raw session.run loop (cache) | ${perTok(rw)} | ${((n * 1000) / rw).toFixed(0)} |`,
    `| engine, cache (the pinned spec) | ${perTok(e)} | ${((n * 1000) / e).toFixed(0)} |`,
    `| engine, no cache | ${perTok(w)} | ${((n * 1000) / w).toFixed(0)} |`,
    `| §7 step work alone (input, choice, margins, draw, canonical hash; no run) | ${perTok(st)} | — |`,
    "",
    `engine overhead over raw runs: ${(((e - rw) / rw) * 100).toFixed(1)} % per token (target ≤ 10 %); ` +
      `the §7 step work alone is ${((st / rw) * 100).toFixed(1)} % of a raw run`,
  ];
}
