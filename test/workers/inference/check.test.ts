import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { checkSpecAgainstModel, checkSpecJson } from "../../../workers/src/inference/runtime/check.ts";
import { createSession, sessionIo, type ModelIo } from "../../../workers/src/inference/runtime/session.ts";
import { knownModel, KNOWN_MODEL_IDS } from "../../support/models.ts";
import { parseModelSpec } from "../../../workers/src/inference/spec.ts";

const cpu = { graphOptimizationLevel: "disabled", provider: "cpu", intraOpNumThreads: 1 } as const;

async function ioOf(path: string): Promise<ModelIo> {
  const s = await createSession(path, cpu);
  const io = sessionIo(s);
  await s.release();
  return io;
}

describe("spec vs model check", () => {
  it("accepts every known model's own spec", async () => {
    for (const id of KNOWN_MODEL_IDS) {
      const m = knownModel(id);
      assert.deepEqual(checkSpecAgainstModel(m.spec, await ioOf(m.path)), [], id);
    }
  });

  it("lists every mismatch: names, types, dims, rules, batching", async () => {
    const io = await ioOf(knownModel("tiny-mlp").path);
    const spec = parseModelSpec({
      inputs: [
        { name: "x", type: "int32", dims: ["N", 5] },
        { name: "extra", type: "float32", dims: ["N", 1] },
      ],
      outputs: [
        { name: "probs", rule: { op: "int" } },
        { name: "logits", rule: { op: "topk", k: 4 }, dims: ["N", 2] },
        { name: "missing", rule: { op: "argmax" } },
      ],
      execution: {
        runtime: "onnxruntime",
        version: "1.x",
        graphOptimizationLevel: "disabled",
        providers: ["cpu"],
        maxBatch: 4,
      },
      maxInputBytes: 100,
    } as never);
    const p = checkSpecAgainstModel(spec, io);
    const want = [
      /inputs\[0\]\.type: spec says int32, the model takes float32/,
      /inputs\[0\]\.dims\[1\]: spec says 5, the model fixes 4/,
      /inputs\[1\]\.name: the model has no input "extra"/,
      /outputs\[0\]\.rule: int needs an integer or bool output, "probs" is float32/,
      /outputs\[1\]\.rule\.k: 4 exceeds the last axis of "logits" \(3\)/,
      /outputs\[1\]\.dims\[1\]: spec says 2, the model fixes 3/,
      /outputs\[2\]\.name: the model has no output "missing"/,
    ];
    for (const re of want)
      assert.ok(
        p.some((m) => re.test(m)),
        `${re} not in ${JSON.stringify(p, null, 1)}`,
      );
    assert.equal(p.length, want.length, JSON.stringify(p, null, 1));
  });

  it("flags a missing model input, a symbolic dim the model fixes, and batching over a fixed first dim", () => {
    const io: ModelIo = {
      inputs: [
        { name: "a", type: "float32", dims: [1, 3] },
        { name: "b", type: "float32", dims: ["n"] },
      ],
      outputs: [{ name: "y", type: "float32", dims: [1, 2] }],
    };
    const spec = parseModelSpec({
      inputs: [{ name: "a", type: "float32", dims: ["N", 3] }],
      outputs: [{ name: "y", rule: { op: "argmax" } }],
      execution: {
        runtime: "onnxruntime",
        version: "1.x",
        graphOptimizationLevel: "disabled",
        providers: ["cpu"],
        maxBatch: 2,
      },
      maxInputBytes: 100,
    } as never);
    const p = checkSpecAgainstModel(spec, io);
    assert.ok(
      p.some((m) => /the model's input "b" is missing/.test(m)),
      p.join("\n"),
    );
    assert.ok(
      p.some((m) => /inputs\[0\]\.dims\[0\]: spec says symbolic "N", the model fixes 1/.test(m)),
      p.join("\n"),
    );
    assert.ok(
      p.some((m) => /inputs\[0\]: batching .* the model fixes 1/.test(m)),
      p.join("\n"),
    );
    assert.ok(
      p.some((m) => /outputs\[0\]: batching/.test(m)),
      p.join("\n"),
    );
  });

  it("reports spec field problems before looking at the model", () => {
    const { spec, problems } = checkSpecJson({ inputs: [], outputs: [] }, { inputs: [], outputs: [] });
    assert.equal(spec, undefined);
    assert.ok(problems.some((p) => /^inputs:/.test(p)));
    assert.ok(problems.some((p) => /^execution:/.test(p)));
    assert.ok(problems.some((p) => /^maxInputBytes:/.test(p)));
  });
});
