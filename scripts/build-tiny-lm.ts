/**
 * Builds the tiny decoder-only language models of the unit tests (npm run models:build:lm):
 * test/fixtures/models/tiny-lm.onnx (with a key/value-style cache) and tiny-lm-nocache.onnx
 * (the same weights, the whole sequence at every step), their specs and their tokenizer. Written
 * by hand with workers/src/inference/runtime/onnx-writer.ts; deterministic (same bytes every run).
 *
 * The model: h_i = E[token_i] + P[position_i]; s_i = Σ_{j ≤ i} mask_j · h_j (CumSum); logits_i =
 * s_i · W. The cache is the h of every earlier position ([1, C, 4], seqDim 1), so the step with
 * the cache and the step without it compute the same sums. Vocabulary: 8 tokens ("<eos>" = 1,
 * see tiny-lm.tokenizer.json). Token 0 and position 0 embed to zeros, so the prompt [0] gives
 * eight equal logits (a FRAGILE step); token 7 embeds to 3e38, so two of them overflow (NON_FINITE);
 * the position table has 16 rows, so a position past 15 makes the run fail (INVALID_INPUT).
 */
import { writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  buildOnnxModel,
  type GraphDef,
  type NodeDef,
  type ValueInfo,
} from "../workers/src/inference/runtime/onnx-writer.ts";

const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures", "models");
const V = 8;
const D = 4;
const POSITIONS = 16;

/** Fixed two-decimal values from a small LCG (deterministic). */
function values(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return Math.round(((s / 2147483648) * 2 - 1) * 100) / 100;
  });
}

const E = values(V * D, 11);
E.splice(0, D, 0, 0, 0, 0); // token 0: zeros
E.splice(7 * D, D, 3e38, 0, 0, 0); // token 7: overflows when summed twice
const P = values(POSITIONS * D, 23).map((x) => x / 2);
P.splice(0, D, 0, 0, 0, 0); // position 0: zeros
const W = values(D * V, 37);

const initializers: GraphDef["initializers"] = [
  { name: "E", type: "float32", dims: [V, D], values: E },
  { name: "P", type: "float32", dims: [POSITIONS, D], values: P },
  { name: "W", type: "float32", dims: [D, V], values: W },
  { name: "axis1", type: "int64", dims: [], values: [1] },
  { name: "axes2", type: "int64", dims: [1], values: [2] },
  { name: "idx1", type: "int64", dims: [1], values: [1] },
  { name: "big", type: "int64", dims: [1], values: [2n ** 62n] },
  { name: "axes1", type: "int64", dims: [1], values: [1] },
];

const ids: ValueInfo[] = [
  { name: "input_ids", type: "int64", dims: [1, "T"] },
  { name: "position_ids", type: "int64", dims: [1, "T"] },
  { name: "attention_mask", type: "int64", dims: [1, "S"] },
];

const embed: NodeDef[] = [
  { op: "Gather", inputs: ["E", "input_ids"], outputs: ["te"] },
  { op: "Gather", inputs: ["P", "position_ids"], outputs: ["pe"] },
  { op: "Add", inputs: ["te", "pe"], outputs: ["h"] },
  { op: "Cast", inputs: ["attention_mask"], outputs: ["mf"], attributes: { to: 1 } },
  { op: "Unsqueeze", inputs: ["mf", "axes2"], outputs: ["mf3"] },
];

const cached: GraphDef = {
  name: "tiny_lm",
  docString: "tiny decoder-only LM with a cache (OmniTensor test model)",
  inputs: [...ids, { name: "past", type: "float32", dims: [1, "C", D] }],
  outputs: [
    { name: "logits", type: "float32", dims: [1, "T", V] },
    { name: "present", type: "float32", dims: [1, "S", D] },
  ],
  initializers,
  nodes: [
    ...embed,
    { op: "Concat", inputs: ["past", "h"], outputs: ["present"], attributes: { axis: 1 } },
    { op: "Mul", inputs: ["present", "mf3"], outputs: ["pm"] },
    { op: "CumSum", inputs: ["pm", "axis1"], outputs: ["cs"] },
    { op: "Shape", inputs: ["past"], outputs: ["ps"] },
    { op: "Gather", inputs: ["ps", "idx1"], outputs: ["c"], attributes: { axis: 0 } },
    { op: "Slice", inputs: ["cs", "c", "big", "axes1"], outputs: ["last"] },
    { op: "MatMul", inputs: ["last", "W"], outputs: ["logits"] },
  ],
};

const uncached: GraphDef = {
  name: "tiny_lm_nocache",
  docString: "tiny decoder-only LM without a cache (OmniTensor test model)",
  inputs: [...ids],
  outputs: [{ name: "logits", type: "float32", dims: [1, "T", V] }],
  initializers: initializers.slice(0, 5),
  nodes: [
    ...embed,
    { op: "Mul", inputs: ["h", "mf3"], outputs: ["pm"] },
    { op: "CumSum", inputs: ["pm", "axis1"], outputs: ["cs"] },
    { op: "MatMul", inputs: ["cs", "W"], outputs: ["logits"] },
  ],
};

const tokenizer =
  JSON.stringify({ type: "table", tokens: ["<pad>", "<eos>", "a", "b", "c", "d", "e", "!"] }) + "\n";
writeFileSync(join(outDir, "tiny-lm.tokenizer.json"), tokenizer);
const tokenizerSha = `0x${createHash("sha256").update(tokenizer).digest("hex")}`;

function spec(cache: boolean): object {
  return {
    description: `tiny decoder-only LM ${cache ? "with" : "without"} a cache (test model)`,
    inputs: [],
    outputs: [],
    execution: {
      runtime: "onnxruntime",
      version: "1.x",
      graphOptimizationLevel: "disabled",
      providers: ["cpu"],
    },
    maxInputBytes: 4096,
    generate: {
      tokens: "input_ids",
      positions: "position_ids",
      mask: "attention_mask",
      ...(cache ? { cache: [{ input: "past", output: "present" }], cacheSeqDim: 1 } : {}),
      logits: "logits",
      vocab: V,
      eos: [1],
      maxPromptTokens: 8,
      maxNewTokens: 12,
      sampling: { method: "topk", k: 3, temperature: "0.8" },
      tokenizer: { uri: "tiny-lm.tokenizer.json", sha256: tokenizerSha },
    },
  };
}

for (const [id, graph, cache] of [
  ["tiny-lm", cached, true],
  ["tiny-lm-nocache", uncached, false],
] as const) {
  const bytes = buildOnnxModel(graph);
  writeFileSync(join(outDir, `${id}.onnx`), bytes);
  writeFileSync(join(outDir, `${id}.spec.json`), JSON.stringify(spec(cache), null, 2) + "\n");
  const sha = createHash("sha256").update(bytes).digest("hex");
  console.log(`${id.padEnd(16)} ${String(bytes.length).padStart(6)} bytes  sha256 0x${sha}`);
}
console.log(`tokenizer        sha256 ${tokenizerSha}`);
