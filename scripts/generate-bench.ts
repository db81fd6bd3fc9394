/**
 * The generative model's benchmark rows (PROTOCOL.md §7, the trained models/tiny-lm), shared by
 * `npm run bench:generate`, `npm run bench:agreement` and `npm run bench:infer`:
 *
 * - agreement under the pinned profile (cpu, graphOptimizationLevel "disabled"): every prompt ×
 *   seed generated twice in process, once in an inference thread, and once with the no-cache
 *   export (whole sequence each step); the rows count the hashes equal to the first run's;
 * - speed: tokens per second of the engine (input bytes in → canonical bytes and hash out) and of
 *   a raw loop of `session.run` that feeds the same tokens with the same cache and does no choice,
 *   margins or hashing; the overhead per token compares their medians (runs alternate).
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { readFileSync } from "node:fs";
import { InferenceEngine, type LoadedModel } from "../workers/src/inference/runtime/engine.ts";
import { ThreadedInferenceEngine } from "../workers/src/inference/runtime/threaded-engine.ts";
import { emptyCacheTensor } from "../workers/src/inference/runtime/generator.ts";
import { makeTensor, sessionIo, type OrtTensor } from "../workers/src/inference/runtime/session.ts";
import { REPO_ROOT } from "../test/support/models.ts";

const dir = join(REPO_ROOT, "models", "tiny-lm");
const specText = readFileSync(join(dir, "tiny-lm.spec.json"), "utf8");
const noCacheSpec = (() => {
  const s = JSON.parse(specText) as { generate: Record<string, unknown> };
  delete s.generate.cache;
  delete s.generate.cacheSeqDim;
  return JSON.stringify(s);
})();
const TEXTS = [
  "We hold these truths",
  "In the beginning",
  "The Lord is my",
  "Four score and",
  "A Fox one day",
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
  const cached = await engine.load(specText, join(dir, "tiny-lm.onnx"));
  const whole = await engine.load(noCacheSpec, join(dir, "tiny-lm-nocache.onnx"));
  const inThread = await threaded.load(specText, { path: join(dir, "tiny-lm.onnx") });
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
async function rawRun(model: LoadedModel, prompt: number[], tokens: number[]): Promise<void> {
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
    cache = new Map(g.cache!.map((c) => [c.input, out[c.output]]));
    seq.push(tokens[s]);
  }
}

/** Speed rows (markdown) for tiny-lm: raw session.run loop vs the engine, per token; the last line is the overhead. */
export async function generateSpeed(ROUNDS = 7): Promise<string[]> {
  const engine = new InferenceEngine({ batchWindowMs: 0 });
  const cached = await engine.load(specText, join(dir, "tiny-lm.onnx"));
  const whole = await engine.load(noCacheSpec, join(dir, "tiny-lm-nocache.onnx"));
  const input = inputOf(0);
  const { prompt } = JSON.parse(input) as { prompt: number[] };
  const r = await cached.infer(input);
  const tokens = (JSON.parse(r.canonical) as { tokens: number[] }).tokens;
  const t = { engine: [] as number[], raw: [] as number[], whole: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    let t0 = performance.now();
    await cached.infer(input);
    t.engine.push(performance.now() - t0);
    t0 = performance.now();
    await rawRun(cached, prompt, tokens);
    t.raw.push(performance.now() - t0);
    t0 = performance.now();
    await whole.infer(input);
    t.whole.push(performance.now() - t0);
  }
  const n = tokens.length;
  const perTok = (ms: number) => (ms / n).toFixed(3);
  const [e, raw, w] = [median(t.engine), median(t.raw), median(t.whole)];
  await engine.close();
  return [
    `| tiny-lm, ${n} tokens, median of ${ROUNDS} | ms/token | tokens/s |`,
    "| --- | --- | --- |",
    `| raw session.run loop (cache) | ${perTok(raw)} | ${((n * 1000) / raw).toFixed(0)} |`,
    `| engine, cache (the pinned spec) | ${perTok(e)} | ${((n * 1000) / e).toFixed(0)} |`,
    `| engine, no cache | ${perTok(w)} | ${((n * 1000) / w).toFixed(0)} |`,
    "",
    `engine overhead over raw runs: ${(((e - raw) / raw) * 100).toFixed(1)} % per token (target ≤ 10 %)`,
  ];
}
