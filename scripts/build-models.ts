/**
 * Builds the small test models under test/fixtures/models/ (npm run models:build): ONNX files
 * written by hand with workers/src/inference/onnx-writer.ts, their model specs and sample inputs.
 * Deterministic: the same bytes (and sha256) every run. The .onnx files are committed; rerun
 * this only when a model changes, and commit the result.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildOnnxModel, type GraphDef } from "../workers/src/inference/runtime/onnx-writer.ts";
import { TINY_MLP_WEIGHTS } from "../test/support/models.ts";

const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures", "models");

const profile = {
  runtime: "onnxruntime",
  version: "1.x",
  graphOptimizationLevel: "disabled",
  providers: ["cpu"],
};

// tiny-mlp: 4 features → 8 hidden (ReLU) → 3 classes (softmax). Weights are fixed decimals.
const { B1, B2 } = TINY_MLP_WEIGHTS;
const W1 = TINY_MLP_WEIGHTS.W1.flat();
const W2 = TINY_MLP_WEIGHTS.W2.flat();

const models: { id: string; graph: GraphDef; spec: object; input: object }[] = [
  {
    id: "tiny-mlp",
    graph: {
      name: "tiny_mlp",
      docString: "4-8-3 MLP classifier with fixed weights (OmniTensor test model)",
      inputs: [{ name: "x", type: "float32", dims: ["N", 4] }],
      outputs: [
        { name: "logits", type: "float32", dims: ["N", 3] },
        { name: "probs", type: "float32", dims: ["N", 3] },
      ],
      initializers: [
        { name: "W1", type: "float32", dims: [4, 8], values: W1 },
        { name: "B1", type: "float32", dims: [8], values: B1 },
        { name: "W2", type: "float32", dims: [8, 3], values: W2 },
        { name: "B2", type: "float32", dims: [3], values: B2 },
      ],
      nodes: [
        { op: "MatMul", inputs: ["x", "W1"], outputs: ["h0"] },
        { op: "Add", inputs: ["h0", "B1"], outputs: ["h1"] },
        { op: "Relu", inputs: ["h1"], outputs: ["h"] },
        { op: "MatMul", inputs: ["h", "W2"], outputs: ["l0"] },
        { op: "Add", inputs: ["l0", "B2"], outputs: ["logits"] },
        { op: "Softmax", inputs: ["logits"], outputs: ["probs"], attributes: { axis: -1 } },
      ],
    },
    spec: {
      description: "tiny MLP classifier: class (argmax of probs) and probabilities to 4 decimals",
      inputs: [{ name: "x", type: "float32", dims: ["N", 4], range: [-10, 10] }],
      outputs: [
        { name: "probs", rule: { op: "argmax" }, dims: ["N", 3] },
        { name: "logits", rule: { op: "round", decimals: 3 }, dims: ["N", 3] },
      ],
      execution: { ...profile, margin: 1e-6, maxBatch: 8 },
      maxInputBytes: 65536,
    },
    input: {
      inputs: {
        x: {
          type: "float32",
          dims: [2, 4],
          data: [0.731, -1.274, 2.118, 0.459, -0.62, 1.385, 0.047, -2.903],
        },
      },
    },
  },
  {
    id: "nan-log",
    graph: {
      name: "nan_log",
      docString: "y = log(x): NaN for x < 0, -Infinity for x = 0 (NON_FINITE test model)",
      inputs: [{ name: "x", type: "float32", dims: ["N", 3] }],
      outputs: [{ name: "y", type: "float32", dims: ["N", 3] }],
      nodes: [{ op: "Log", inputs: ["x"], outputs: ["y"] }],
    },
    spec: {
      description: "natural logarithm, 4 decimals",
      inputs: [{ name: "x", type: "float32", dims: ["N", 3] }],
      outputs: [{ name: "y", rule: { op: "round", decimals: 4 }, dims: ["N", 3] }],
      execution: { ...profile, margin: 1e-6, maxBatch: 4 },
      maxInputBytes: 4096,
    },
    input: { inputs: { x: { type: "float32", dims: [1, 3], data: [1, 2.5, 10] } } },
  },
  {
    id: "int-types",
    graph: {
      name: "int_types",
      docString: "sum = a + b (int64), i32 and u8 passed through, flag negated (integer and bool test model)",
      inputs: [
        { name: "a", type: "int64", dims: ["N"] },
        { name: "b", type: "int64", dims: ["N"] },
        { name: "i32", type: "int32", dims: ["N", "M"] },
        { name: "u8", type: "uint8", dims: [4] },
        { name: "flag", type: "bool", dims: ["N"] },
      ],
      outputs: [
        { name: "sum", type: "int64", dims: ["N"] },
        { name: "i32_out", type: "int32", dims: ["N", "M"] },
        { name: "u8_out", type: "uint8", dims: [4] },
        { name: "not_flag", type: "bool", dims: ["N"] },
      ],
      nodes: [
        { op: "Add", inputs: ["a", "b"], outputs: ["sum"] },
        { op: "Identity", inputs: ["i32"], outputs: ["i32_out"] },
        { op: "Identity", inputs: ["u8"], outputs: ["u8_out"] },
        { op: "Not", inputs: ["flag"], outputs: ["not_flag"] },
      ],
    },
    spec: {
      description: "integer and bool pass-through",
      inputs: [
        { name: "a", type: "int64", dims: ["N"] },
        { name: "b", type: "int64", dims: ["N"], range: ["-1000000000000000000", "1000000000000000000"] },
        { name: "i32", type: "int32", dims: ["N", "M"] },
        { name: "u8", type: "uint8", dims: [4], range: [0, 200] },
        { name: "flag", type: "bool", dims: ["N"] },
      ],
      outputs: [
        { name: "sum", rule: { op: "int" } },
        { name: "i32_out", rule: { op: "int" } },
        { name: "u8_out", rule: { op: "int" } },
        { name: "not_flag", rule: { op: "int" } },
      ],
      execution: profile,
      maxInputBytes: 4096,
    },
    input: {
      inputs: {
        a: { type: "int64", dims: [2], data: [1, "9007199254740993"] },
        b: { type: "int64", dims: [2], data: [2, 1] },
        i32: { type: "int32", dims: [2, 1], data: [-2147483648, 2147483647] },
        u8: { type: "uint8", dims: [4], data: [0, 1, 128, 200] },
        flag: { type: "bool", dims: [2], data: [true, false] },
      },
    },
  },
  {
    id: "half",
    graph: {
      name: "half",
      docString: "h = x (float16), y = float32(x) (float16 test model)",
      inputs: [{ name: "x", type: "float16", dims: ["N", 2] }],
      outputs: [
        { name: "h", type: "float16", dims: ["N", 2] },
        { name: "y", type: "float32", dims: ["N", 2] },
      ],
      nodes: [
        { op: "Identity", inputs: ["x"], outputs: ["h"] },
        { op: "Cast", inputs: ["x"], outputs: ["y"], attributes: { to: 1 } },
      ],
    },
    spec: {
      description: "float16 identity and cast",
      inputs: [{ name: "x", type: "float16", dims: ["N", 2] }],
      outputs: [
        { name: "h", rule: { op: "round", decimals: 2 } },
        { name: "y", rule: { op: "topk", k: 1 } },
      ],
      execution: profile,
      maxInputBytes: 4096,
    },
    input: { inputs: { x: { type: "float16", dims: [1, 2], data: [0.5, -2.25] } } },
  },
  {
    id: "reshape",
    graph: {
      name: "reshape",
      docString: "y = reshape(x, shape): the runtime rejects a shape that does not fit (model-rejects test)",
      inputs: [
        { name: "x", type: "float32", dims: [6] },
        { name: "shape", type: "int64", dims: [2] },
      ],
      outputs: [{ name: "y", type: "float32", dims: ["A", "B"] }],
      nodes: [{ op: "Reshape", inputs: ["x", "shape"], outputs: ["y"] }],
    },
    spec: {
      description: "reshape of 6 values",
      inputs: [
        { name: "x", type: "float32", dims: [6] },
        { name: "shape", type: "int64", dims: [2] },
      ],
      outputs: [{ name: "y", rule: { op: "round", decimals: 1 } }],
      execution: profile,
      maxInputBytes: 4096,
    },
    input: {
      inputs: {
        x: { type: "float32", dims: [6], data: [1, 2, 3, 4, 5, 6] },
        shape: { type: "int64", dims: [2], data: [2, 3] },
      },
    },
  },
];

mkdirSync(outDir, { recursive: true });
for (const m of models) {
  const bytes = buildOnnxModel(m.graph);
  writeFileSync(join(outDir, `${m.id}.onnx`), bytes);
  writeFileSync(join(outDir, `${m.id}.spec.json`), JSON.stringify(m.spec, null, 2) + "\n");
  writeFileSync(join(outDir, `${m.id}.input.json`), JSON.stringify(m.input) + "\n");
  const sha = createHash("sha256").update(bytes).digest("hex");
  console.log(`${m.id.padEnd(10)} ${String(bytes.length).padStart(6)} bytes  sha256 0x${sha}`);
}
