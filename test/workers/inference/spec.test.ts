import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ModelSpecError } from "../../../workers/src/inference/errors.ts";
import {
  batchDimName,
  parseModelSpec,
  stringifyModelSpec,
  validateModelSpec,
} from "../../../workers/src/inference/spec.ts";
import { FIXTURE_DIR, KNOWN_MODEL_IDS } from "../../support/models.ts";

const base = () => ({
  inputs: [{ name: "x", type: "float32", dims: ["N", 4] }],
  outputs: [{ name: "y", rule: { op: "argmax" } }],
  execution: {
    runtime: "onnxruntime",
    version: "1.x",
    graphOptimizationLevel: "disabled",
    providers: ["cpu"],
  },
  maxInputBytes: 1024,
});

function problems(mut: (s: ReturnType<typeof base> & Record<string, unknown>) => void): string[] {
  const s = base() as ReturnType<typeof base> & Record<string, unknown>;
  mut(s);
  return validateModelSpec(s).problems;
}

describe("model spec", () => {
  it("parses every fixture spec", () => {
    for (const id of KNOWN_MODEL_IDS) parseModelSpec(readFileSync(`${FIXTURE_DIR}/${id}.spec.json`, "utf8"));
  });

  it("fills the defaults: margin 1e-6, maxBatch 1", () => {
    const s = parseModelSpec(JSON.stringify(base()));
    assert.equal(s.execution.margin, 1e-6);
    assert.equal(s.execution.maxBatch, 1);
    assert.equal(batchDimName(s), null);
  });

  it("names the batch dim when maxBatch > 1", () => {
    const s = base();
    (s.execution as Record<string, unknown>).maxBatch = 4;
    assert.equal(batchDimName(parseModelSpec(s)), "N");
  });

  it("reports malformed JSON and duplicate keys as spec errors", () => {
    assert.throws(() => parseModelSpec("{"), ModelSpecError);
    assert.throws(() => parseModelSpec('{"inputs":[],"inputs":[]}'), /duplicate key "inputs"/);
  });

  it("names each bad field", () => {
    const cases: [(s: ReturnType<typeof base> & Record<string, unknown>) => void, RegExp][] = [
      [(s) => (s.inputs[0].type = "float64"), /inputs\[0\]\.type/],
      [(s) => (s.inputs[0].dims = [0, 4]), /inputs\[0\]\.dims\[0\]/],
      [(s) => (s.inputs[0].dims = ["", 4]), /inputs\[0\]\.dims\[0\]/],
      [(s) => (s.inputs = []), /^inputs: must be a non-empty array/],
      [(s) => s.inputs.push({ name: "x", type: "float32", dims: [1] }), /inputs\[1\]\.name: duplicate/],
      [(s) => (s.outputs[0].rule = { op: "median" } as never), /outputs\[0\]\.rule\.op/],
      [(s) => (s.outputs[0].rule = { op: "topk", k: 0 } as never), /outputs\[0\]\.rule\.k/],
      [(s) => (s.outputs[0].rule = { op: "round", decimals: 16 } as never), /outputs\[0\]\.rule\.decimals/],
      [(s) => (s.outputs[0].rule = { op: "round", decimals: 1.5 } as never), /outputs\[0\]\.rule\.decimals/],
      [(s) => (s.outputs[0].rule = { op: "argmax", k: 1 } as never), /outputs\[0\]\.rule\.k: unknown field/],
      [(s) => (s.execution.runtime = "tensorrt"), /execution\.runtime/],
      [(s) => (s.execution.version = "latest"), /execution\.version/],
      [(s) => (s.execution.graphOptimizationLevel = "layout"), /execution\.graphOptimizationLevel/],
      [(s) => (s.execution.providers = []), /execution\.providers/],
      [(s) => (s.execution.providers = ["cpu", "cpu"]), /execution\.providers/],
      [(s) => (s.execution.providers = ["webgpu"]), /execution\.providers/],
      [(s) => ((s.execution as Record<string, unknown>).margin = -1), /execution\.margin/],
      [(s) => ((s.execution as Record<string, unknown>).maxBatch = 0), /execution\.maxBatch/],
      [(s) => (s.maxInputBytes = 0), /maxInputBytes/],
      [(s) => (s.extra = 1), /^extra: unknown field/],
      [(s) => ((s.inputs[0] as Record<string, unknown>).range = [1]), /inputs\[0\]\.range/],
      [
        (s) => ((s.inputs[0] as Record<string, unknown>).range = [2, 1]),
        /inputs\[0\]\.range: min is above max/,
      ],
    ];
    for (const [mut, re] of cases) {
      const p = problems(mut);
      assert.ok(
        p.some((m) => re.test(m)),
        `expected ${re} in ${JSON.stringify(p)}`,
      );
    }
  });

  it("lists every problem at once", () => {
    const p = problems((s) => {
      s.inputs[0].type = "float64";
      s.maxInputBytes = -1;
      s.execution.runtime = "x";
    });
    assert.equal(p.length, 3);
  });

  it("checks ranges by type: bool has none, int types need integers, int64 takes decimal strings", () => {
    assert.match(
      problems((s) => Object.assign(s.inputs[0], { type: "bool", range: [0, 1] })).join(),
      /bool input cannot have a range/,
    );
    assert.match(
      problems((s) => Object.assign(s.inputs[0], { type: "int32", range: [0.5, 1] })).join(),
      /integer/,
    );
    const s = base();
    Object.assign(s.inputs[0], { type: "int64", range: ["-9223372036854775808", "9223372036854775807"] });
    const parsed = parseModelSpec(s);
    assert.equal(parsed.inputs[0].range?.min, -(2n ** 63n));
    assert.match(stringifyModelSpec(parsed), /"range":\["-9223372036854775808","9223372036854775807"\]/);
    assert.match(
      problems((s2) =>
        Object.assign(s2.inputs[0], { type: "int64", range: ["0", "9223372036854775808"] }),
      ).join(),
      /outside int64/,
    );
  });

  it("requires one symbolic first dim for batching", () => {
    const p = problems((s) => {
      (s.execution as Record<string, unknown>).maxBatch = 4;
      s.inputs.push({ name: "z", type: "float32", dims: ["M", 2] });
      s.outputs[0] = { name: "y", rule: { op: "argmax" }, dims: [1, 3] } as never;
    });
    assert.ok(
      p.some((m) => /inputs\[1\]\.dims\[0\]/.test(m)),
      p.join(),
    );
    assert.ok(
      p.some((m) => /outputs\[0\]\.dims\[0\]/.test(m)),
      p.join(),
    );
    assert.match(
      problems((s) => {
        (s.execution as Record<string, unknown>).maxBatch = 4;
        s.inputs[0].dims = [2, 4];
      }).join(),
      /symbolic name/,
    );
  });
});
