/**
 * npm run bench:infer — engine overhead and batching throughput.
 *
 * 1. Overhead: raw `session.run` on prebuilt tensors vs the engine's full path (decode the JSON
 *    input, run, canonicalize, hash), one request at a time. Target: ≤ 5 % on a real model.
 * 2. Batching: 8 concurrent clients sending single-row requests, with the engine's max batch at
 *    1, 4 and 8. Target: batch 8 ≥ 2× batch 1 where the model allows.
 * Prints a table and rewrites the "bench:infer" section of docs/inference.md.
 * Options: --seconds S (time per measurement, default 2), --no-doc.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as prettier from "prettier";
import { cpus } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { decodeInput } from "../workers/src/inference/codec.ts";
import { InferenceEngine } from "../workers/src/inference/runtime/engine.ts";
import { knownModel, REPO_ROOT, textImage, type KnownModelId } from "../test/support/models.ts";
import { makeTensor, runtimeVersion } from "../workers/src/inference/runtime/session.ts";

const args = process.argv.slice(2);
const SECONDS = Number(args[args.indexOf("--seconds") + 1] || 0) || 2;
const WRITE_DOC = !args.includes("--no-doc");

async function rate(fn: () => Promise<unknown>, seconds = SECONDS): Promise<number> {
  for (let i = 0; i < 3; i++) await fn(); // warm up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await fn();
    n++;
  }
  return (n * 1000) / (performance.now() - t0);
}

async function overhead(id: KnownModelId, label: string = id, inputText?: string): Promise<string[]> {
  const m = knownModel(id);
  const engine = new InferenceEngine({ threads: 1, batchWindowMs: 0 });
  const model = await engine.load(m.specJson, m.path);
  const input = new TextEncoder().encode(inputText ?? m.sampleInput(1));
  const decoded = decodeInput(input, m.spec);
  if (!decoded.ok) throw new Error(decoded.reason);
  const feeds = Object.fromEntries(decoded.tensors.map((t) => [t.name, makeTensor(t.type, t.data, t.dims)]));
  const names = m.spec.outputs.map((o) => o.name);
  // Interleave to share any drift between the two.
  let raw = 0;
  let eng = 0;
  for (let round = 0; round < 2; round++) {
    raw += await rate(() => model.session.run(feeds, names), SECONDS / 2);
    eng += await rate(() => model.infer(input), SECONDS / 2);
  }
  raw /= 2;
  eng /= 2;
  await engine.close();
  const over = (raw / eng - 1) * 100;
  return [
    label,
    String(input.length),
    (1000 / raw).toFixed(3),
    (1000 / eng).toFixed(3),
    `${over.toFixed(1)} %`,
  ];
}

async function batching(id: KnownModelId, clients = 8): Promise<string[]> {
  const m = knownModel(id);
  const input = new TextEncoder().encode(m.sampleInput(1));
  const row: string[] = [id];
  const rates: number[] = [];
  for (const maxBatch of [1, 4, 8]) {
    const engine = new InferenceEngine({ threads: 1, maxBatch, batchWindowMs: maxBatch === 1 ? 0 : 2 });
    const model = await engine.load(m.specJson, m.path);
    const r = await rate(async () => {
      await Promise.all(Array.from({ length: clients }, () => model.infer(input)));
    });
    rates.push(r * clients);
    row.push((r * clients).toFixed(1));
    await engine.close();
  }
  row.push(`${(rates[2] / rates[0]).toFixed(2)}×`);
  return row;
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

const models: KnownModelId[] = ["tiny-mlp", "ocr-cls", "ocr-det", "silero-vad"];
const over: string[][] = [];
for (const id of models) over.push(await overhead(id));
// A larger image, where the run outweighs the JSON input.
over.push(
  await overhead(
    "ocr-det",
    "ocr-det 320×320",
    JSON.stringify({
      inputs: { x: { type: "float32", dims: [1, 3, 320, 320], data: textImage(1, 320, 320, -2, 2, 13) } },
    }),
  ),
);
const batch: string[][] = [];
for (const id of ["tiny-mlp", "ocr-cls"] as KnownModelId[]) batch.push(await batching(id));

const env = `onnxruntime-node ${runtimeVersion()}, CPU provider, 1 intra-op thread, graphOptimizationLevel as pinned by each spec ("disabled"), ${cpus().length} cores, Node ${process.version}, ${SECONDS} s per measurement`;
const out = [
  `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:infer\` (${env}).`,
  "",
  "Overhead of the engine (decode + run + canonicalize + hash) over a raw `session.run`, one request at a time:",
  "",
  table(["model", "input bytes", "raw run ms", "engine ms", "overhead"], over),
  "",
  "Throughput (requests/s) with 8 concurrent single-row requests, engine max batch 1 / 4 / 8:",
  "",
  table(["model", "batch 1", "batch 4", "batch 8", "batch 8 vs 1"], batch),
].join("\n");
console.log(out);
if (WRITE_DOC) await updateDoc("bench:infer", out);
