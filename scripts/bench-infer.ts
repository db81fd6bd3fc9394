/**
 * npm run bench:infer — the engine against onnxruntime itself, on the real models, with both
 * task input encodings (PROTOCOL.md §7), then throughput with inference threads and batching.
 *
 * 1. Overhead: a raw `session.run` on prebuilt tensors vs the whole pipeline (input bytes in →
 *    decode, run, canonical bytes, keccak256 out), one request at a time, JSON and safetensors.
 *    Raw and pipeline calls alternate; the overhead compares their median times (the machine
 *    is shared: single measurements move by ±30 %). Targets (issue 15, with
 *    safetensors): ≤ 5 % ocr-det 320×320 and ocr-rec, ≤ 15 % ocr-cls, ≤ 25 % silero-vad.
 * 2. Threads: 8 concurrent clients on ThreadedInferenceEngine with 1 and 2 inference threads.
 *    Target: 2 threads ≥ 1.7× the tasks per second of 1 (on 2 free cores).
 * 3. Fleet: 8 concurrent tasks through Redis to 1 and 2 inference processes (`node run --only
 *    infer`, scripts/bench-fleet.ts). Target: 2 processes ≥ 1.7× the tasks per second of 1.
 * 4. Batching: 8 concurrent single-row requests, engine max batch 1 / 4 / 8 (safetensors).
 * Prints the tables and rewrites the "bench:infer" section of docs/inference.md.
 * Options: --seconds S (time per measurement, default 2), --no-doc, --only overhead|threads|fleet|batch|generate.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as prettier from "prettier";
import { cpus } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { decodeInput, type DecodedTensor } from "../workers/src/inference/codec.ts";
import { InferenceEngine } from "../workers/src/inference/runtime/engine.ts";
import { ThreadedInferenceEngine } from "../workers/src/inference/runtime/threaded-engine.ts";
import { encodeSafetensors } from "../workers/src/sdk/safetensors.ts";
import { knownModel, REPO_ROOT, textImage, type KnownModelId } from "../test/support/models.ts";
import { makeTensor, runtimeVersion } from "../workers/src/inference/runtime/session.ts";
import { fleetThroughput } from "./bench-fleet.ts";
import { generateSpeed } from "./generate-bench.ts";

const args = process.argv.slice(2);
const SECONDS = Number(args[args.indexOf("--seconds") + 1] || 0) || 2;
const WRITE_DOC = !args.includes("--no-doc");
const ONLY = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;

/** Calls per second of `fn` over `seconds` (after 2 warm-up calls). */
async function rate(fn: () => Promise<unknown>, seconds: number): Promise<number> {
  for (let i = 0; i < 2; i++) await fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || n < 3) {
    await fn();
    n++;
  }
  return (n * 1000) / (performance.now() - t0);
}

/** The model's spec, allowing both input encodings. */
const specOf = (id: KnownModelId) =>
  JSON.stringify({ ...JSON.parse(knownModel(id).specJson), inputEncodings: ["json", "safetensors"] });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Case {
  label: string;
  id: KnownModelId;
  /** The input as JSON text (the model's sample unless given). */
  json: string;
}

function tensorsOf(c: Case): DecodedTensor[] {
  const d = decodeInput(new TextEncoder().encode(c.json), knownModel(c.id).spec);
  if (!d.ok) throw new Error(`${c.label}: ${d.reason}`);
  return d.tensors;
}

/** One overhead row per encoding: input bytes, raw ms, pipeline ms, overhead. */
async function overhead(c: Case): Promise<string[][]> {
  const m = knownModel(c.id);
  const engine = new InferenceEngine({ threads: 1, batchWindowMs: 0 });
  const model = await engine.load(specOf(c.id), m.path);
  const tensors = tensorsOf(c);
  const feeds = Object.fromEntries(tensors.map((t) => [t.name, makeTensor(t.type, t.data, t.dims)]));
  const names = m.spec.outputs.map((o) => o.name);
  const inputs = { json: new TextEncoder().encode(c.json), safetensors: encodeSafetensors(tensors) };
  const rows: string[][] = [];
  for (const [enc, bytes] of Object.entries(inputs)) {
    const r = await model.infer(bytes);
    if (r.result !== "ok") throw new Error(`${c.label} ${enc}: ${r.result} ${r.reason ?? ""}`);
    // Calls alternate (raw, pipeline, raw, …) so that any drift of the machine hits both.
    const raw: number[] = [];
    const eng: number[] = [];
    for (let i = 0; i < 3; i++) await model.session.run(feeds, names);
    const t0 = performance.now();
    while (performance.now() - t0 < SECONDS * 1000 || raw.length < 5) {
      const a = performance.now();
      await model.session.run(feeds, names);
      const b = performance.now();
      await model.infer(bytes);
      raw.push(b - a);
      eng.push(performance.now() - b);
    }
    const [r0, e0] = [median(raw), median(eng)];
    rows.push([
      c.label,
      enc,
      String(bytes.length),
      r0.toFixed(3),
      e0.toFixed(3),
      `${((e0 / r0 - 1) * 100).toFixed(1)} %`,
    ]);
  }
  await engine.close();
  return rows;
}

/** Tasks per second with 8 concurrent clients on 1 and 2 inference threads (alternating rounds). */
async function threads(c: Case, clients = 8): Promise<string[]> {
  const m = knownModel(c.id);
  const input = encodeSafetensors(tensorsOf(c));
  const engines = [1, 2].map(
    (n) => new ThreadedInferenceEngine({ inferenceThreads: n, threads: 1, batchWindowMs: 0 }),
  );
  const models = await Promise.all(engines.map((e) => e.load(specOf(c.id), m.path)));
  const rates: number[][] = [[], []];
  for (let round = 0; round < 4; round++)
    for (const i of [0, 1])
      rates[i].push(
        clients *
          (await rate(
            () => Promise.all(Array.from({ length: clients }, () => models[i].infer(input))),
            SECONDS / 4,
          )),
      );
  await Promise.all(engines.map((e) => e.close()));
  const [one, two] = rates.map(median);
  return [c.label, one.toFixed(1), two.toFixed(1), `${(two / one).toFixed(2)}×`];
}

/** Requests per second with 8 concurrent single-row requests at engine max batch 1 / 4 / 8. */
async function batching(c: Case, clients = 8): Promise<string[]> {
  const m = knownModel(c.id);
  const input = encodeSafetensors(tensorsOf(c));
  const rates: number[] = [];
  for (const maxBatch of [1, 4, 8]) {
    const engine = new InferenceEngine({ threads: 1, maxBatch, batchWindowMs: maxBatch === 1 ? 0 : 2 });
    const model = await engine.load(specOf(c.id), m.path);
    rates.push(
      clients *
        (await rate(() => Promise.all(Array.from({ length: clients }, () => model.infer(input))), SECONDS)),
    );
    await engine.close();
  }
  return [c.label, ...rates.map((r) => r.toFixed(1)), `${(rates[2] / rates[0]).toFixed(2)}×`];
}

function table(head: string[], rows: string[][]): string {
  const lines = [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`];
  for (const r of rows) lines.push(`| ${r.join(" | ")} |`);
  return lines.join("\n");
}

async function updateDoc(marker: string, body: string): Promise<void> {
  const file = join(REPO_ROOT, "docs", "inference.md");
  const text = readFileSync(file, "utf8");
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`docs/inference.md has no ${start} … ${end} section`);
  const next = text.slice(0, i + start.length) + "\n" + body + "\n" + text.slice(j);
  // Keep the doc as prettier formats it (npm run lint checks it).
  const options = { ...(await prettier.resolveConfig(file)), filepath: file };
  writeFileSync(file, await prettier.format(next, options));
}

const sample = (id: KnownModelId): Case => ({ label: id, id, json: knownModel(id).sampleInput(1) });
const det320: Case = {
  label: "ocr-det 320×320",
  id: "ocr-det",
  json: JSON.stringify({
    inputs: { x: { type: "float32", dims: [1, 3, 320, 320], data: textImage(1, 320, 320, -2, 2, 13) } },
  }),
};
const CASES = [
  sample("tiny-mlp"),
  sample("ocr-cls"),
  sample("ocr-det"),
  det320,
  sample("ocr-rec"),
  sample("silero-vad"),
];

async function measure(): Promise<string[]> {
  const out: string[] = [];
  if (!ONLY || ONLY === "overhead") {
    const rows: string[][] = [];
    for (const c of CASES) rows.push(...(await overhead(c)));
    out.push(
      "Overhead of the whole pipeline (input bytes → decode, run, canonical bytes, keccak256) over a raw `session.run` on prebuilt tensors, one request at a time (median of alternating calls):",
      "",
      table(["model", "input", "input bytes", "raw run ms", "pipeline ms", "overhead"], rows),
      "",
    );
  }
  if (!ONLY || ONLY === "threads") {
    const rows = [await threads(sample("ocr-cls")), await threads(det320)];
    out.push(
      "Tasks per second, 8 concurrent clients, safetensors input, `ThreadedInferenceEngine` with 1 and 2 inference threads (1 intra-op thread each; median of 4 alternating rounds):",
      "",
      table(["model", "1 thread", "2 threads", "2 vs 1"], rows),
      "",
    );
  }
  if (!ONLY || ONLY === "fleet") {
    const rows = [
      await fleetThroughput("ocr-cls", "ocr-cls", encodeSafetensors(tensorsOf(sample("ocr-cls"))), SECONDS),
      await fleetThroughput(det320.label, "ocr-det", encodeSafetensors(tensorsOf(det320)), SECONDS),
    ];
    out.push(
      "Tasks per second through a fleet (docs/operator.md §12): 8 concurrent tasks, each a distinct safetensors input, queued in Redis by a `FleetClient` (the submitter's side, in the benchmark's process) and run by 1 or 2 inference processes (`omnitensor node run --only infer`, 1 inference thread each), all on this machine; median of 2 rounds each, alternating:",
      "",
      table(["model", "1 process", "2 processes", "2 vs 1"], rows),
      "",
    );
  }
  if (!ONLY || ONLY === "generate") {
    out.push(
      "Generative model (tiny-lm, PROTOCOL.md §7): tokens per second of the engine and of a raw `session.run` loop over the same tokens and cache (docs/generation.md):",
      "",
      ...(await generateSpeed()),
      "",
    );
  }
  if (!ONLY || ONLY === "batch") {
    const rows = [await batching(sample("tiny-mlp")), await batching(sample("ocr-cls"))];
    out.push(
      "Requests per second with 8 concurrent single-row requests (safetensors), engine max batch 1 / 4 / 8:",
      "",
      table(["model", "batch 1", "batch 4", "batch 8", "batch 8 vs 1"], rows),
      "",
    );
  }
  return out;
}

const body = await measure();
const env = `onnxruntime-node ${runtimeVersion()}, CPU provider, 1 intra-op thread, graphOptimizationLevel as pinned by each spec ("disabled"), ${cpus().length} cores shared with other work, Node ${process.version}, ${SECONDS} s per measurement`;
const out = [
  `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:infer\` (${env}).`,
  "",
  ...body,
]
  .join("\n")
  .trim();
console.log(out);
if (WRITE_DOC && !ONLY) await updateDoc("bench:infer", out);
