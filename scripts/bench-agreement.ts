/**
 * npm run bench:agreement — do honest nodes agree? For each model and a set of varied inputs,
 * compares outputHashes (and the raw output floats) with a baseline run under the spec's pinned
 * profile (graphOptimizationLevel "disabled", 1 thread, unbatched):
 * reruns, 2 intra-op threads, dynamic batching, and each other graphOptimizationLevel; then the
 * generative model's rows (scripts/generate-bench.ts: reruns, an inference thread, cache vs none).
 * The goal is 100 % identical hashes under one pinned profile; the other levels show why the
 * spec pins it. Prints a table and rewrites the "bench:agreement" section of docs/inference.md.
 * Options: --inputs N (per model, default 12), --no-doc.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as prettier from "prettier";
import { cpus } from "node:os";
import { join } from "node:path";
import { decodeInput } from "../workers/src/inference/codec.ts";
import {
  InferenceEngine,
  type InferenceResult,
  type LoadedModel,
} from "../workers/src/inference/runtime/engine.ts";
import {
  knownModel,
  REPO_ROOT,
  syntheticValues,
  type KnownModel,
  type KnownModelId,
} from "../test/support/models.ts";
import { makeTensor, runtimeVersion } from "../workers/src/inference/runtime/session.ts";
import type { GraphOptimizationLevel } from "../workers/src/inference/spec.ts";
import { generateAgreement } from "./generate-bench.ts";

const args = process.argv.slice(2);
const N = Number(args[args.indexOf("--inputs") + 1] || 0) || 12;
const WRITE_DOC = !args.includes("--no-doc");

/** Input i of a model: its sample with deterministic noise (clamped to each input's range). */
function variant(m: KnownModel, i: number): string {
  const parsed = JSON.parse(m.sampleInput(1)) as { inputs: Record<string, { type: string; data: number[] }> };
  for (const spec of m.spec.inputs) {
    if (spec.type !== "float32") continue;
    const t = parsed.inputs[spec.name];
    if (spec.name === "h" || spec.name === "c") continue; // recurrent state starts at zero
    const lo = spec.range ? Number(spec.range.min) : -Infinity;
    const hi = spec.range ? Number(spec.range.max) : Infinity;
    const width = spec.range ? (hi - lo) * 0.1 : 1;
    const noise = syntheticValues(t.data.length, 1000 + i, -width, width, 3);
    t.data = t.data.map((v, k) => Math.round(Math.min(hi, Math.max(lo, v + noise[k])) * 1000) / 1000);
  }
  return JSON.stringify(parsed);
}

interface Run {
  hashes: string[];
  results: string[];
  raw: Float32Array[][];
}

async function runAll(model: LoadedModel, inputs: string[], concurrent: boolean): Promise<Run> {
  const results: InferenceResult[] = concurrent
    ? await Promise.all(inputs.map((i) => model.infer(i)))
    : await inputs.reduce<Promise<InferenceResult[]>>(
        async (acc, i) => [...(await acc), await model.infer(i)],
        Promise.resolve([]),
      );
  const raw: Float32Array[][] = [];
  if (!concurrent) {
    const names = model.spec.outputs.map((o) => o.name);
    for (const i of inputs) {
      const d = decodeInput(new TextEncoder().encode(i), model.spec);
      if (!d.ok) throw new Error(d.reason);
      const out = await model.session.run(
        Object.fromEntries(d.tensors.map((t) => [t.name, makeTensor(t.type, t.data, t.dims)])),
        names,
      );
      raw.push(names.map((n) => Float32Array.from(out[n].data as Float32Array)));
    }
  }
  return {
    hashes: results.map((r) => r.outputHash),
    results: results.map((r) => (r.skip ? "skip" : r.result)),
    raw,
  };
}

function rawDiff(a: Float32Array[][], b: Float32Array[][]): [number, number] {
  let diff = 0;
  let total = 0;
  for (let i = 0; i < a.length; i++)
    for (let o = 0; o < a[i].length; o++)
      for (let k = 0; k < a[i][o].length; k++) {
        total++;
        if (!Object.is(a[i][o][k], b[i][o][k])) diff++;
      }
  return [diff, total];
}

async function load(
  m: KnownModel,
  level: GraphOptimizationLevel,
  threads: number,
  batch: boolean,
): Promise<{ engine: InferenceEngine; model: LoadedModel }> {
  const spec = JSON.parse(m.specJson) as { execution: { graphOptimizationLevel: string } };
  spec.execution.graphOptimizationLevel = level;
  const engine = new InferenceEngine({ threads, batchWindowMs: batch ? 5 : 0 });
  return { engine, model: await engine.load(JSON.stringify(spec), m.path) };
}

const rows: string[][] = [];
const models: [KnownModelId, number][] = [
  ["tiny-mlp", N],
  ["ocr-cls", N],
  ["ocr-det", Math.max(2, Math.round(N / 2))],
  ["ocr-rec", Math.max(2, Math.round(N / 3))],
  ["silero-vad", N],
];
for (const [id, count] of models) {
  const m = knownModel(id);
  const inputs = Array.from({ length: count }, (_, i) =>
    id === "tiny-mlp" ? m.sampleInput(1 + (i % 3)) : variant(m, i),
  );
  if (id === "tiny-mlp")
    for (let i = 0; i < count; i++)
      inputs[i] = JSON.stringify({
        inputs: { x: { type: "float32", dims: [1, 4], data: syntheticValues(4, 50 + i, -3, 3, 3) } },
      });
  const b = await load(m, m.spec.execution.graphOptimizationLevel, 1, false);
  const base = await runAll(b.model, inputs, false);
  await b.engine.close();
  const counts = base.results.reduce<Record<string, number>>(
    (acc, r) => ({ ...acc, [r]: (acc[r] ?? 0) + 1 }),
    {},
  );
  const configs: [string, GraphOptimizationLevel, number, boolean][] = [
    ["rerun", "disabled", 1, false],
    ["2 threads", "disabled", 2, false],
    ...(m.spec.execution.maxBatch > 1
      ? ([["batched (concurrent)", "disabled", 1, true]] as [
          string,
          GraphOptimizationLevel,
          number,
          boolean,
        ][])
      : []),
    ["level basic", "basic", 1, false],
    ["level extended", "extended", 1, false],
    ["level all", "all", 1, false],
  ];
  for (const [name, level, threads, batch] of configs) {
    const c = await load(m, level, threads, batch);
    const run = await runAll(c.model, inputs, batch);
    await c.engine.close();
    const same = run.hashes.filter((h, i) => h === base.hashes[i]).length;
    const [d, t] = batch ? [NaN, 0] : rawDiff(base.raw, run.raw);
    rows.push([
      id,
      name,
      `${same}/${inputs.length} (${((100 * same) / inputs.length).toFixed(0)} %)`,
      batch ? "n/a" : `${d} of ${t}`,
      name === "rerun"
        ? Object.entries(counts)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")
        : "",
    ]);
  }
}

const head = [
  "model",
  "against the baseline",
  "identical outputHash",
  "raw float32 values that differ",
  "baseline results",
];
const table = [
  `| ${head.join(" | ")} |`,
  `| ${head.map(() => "---").join(" | ")} |`,
  ...rows.map((r) => `| ${r.join(" | ")} |`),
].join("\n");
const out = [
  `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:agreement\` (onnxruntime-node ${runtimeVersion()}, CPU, ${cpus().length} cores, Node ${process.version}). Baseline: each spec's pinned profile (graphOptimizationLevel "disabled", 1 intra-op thread, unbatched); "level …" rows run the same inputs with only the optimization level changed, which a node must not do (the spec pins it).`,
  "",
  table,
  "",
  "Generative model (tiny-lm, PROTOCOL.md §7; the spec pins the cache export; docs/generation.md):",
  "",
  ...(await generateAgreement()),
].join("\n");
console.log(out);
if (WRITE_DOC) {
  const file = join(REPO_ROOT, "docs", "inference.md");
  const text = readFileSync(file, "utf8");
  const [start, end] = ["<!-- bench:agreement:start -->", "<!-- bench:agreement:end -->"];
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`docs/inference.md has no ${start} … ${end} section`);
  const next = text.slice(0, i + start.length) + "\n" + out + "\n" + text.slice(j);
  // Keep the doc as prettier formats it (npm run lint checks it).
  const options = { ...(await prettier.resolveConfig(file)), filepath: file };
  writeFileSync(file, await prettier.format(next, options));
}
