import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { InferenceEngine, type LoadedModel } from "../../../workers/src/inference/runtime/engine.ts";
import {
  ModelHashMismatchError,
  ModelLoadError,
  ModelSpecError,
  ProfileUnsupportedError,
} from "../../../workers/src/inference/errors.ts";
import { knownModel, TINY_MLP_WEIGHTS } from "../../support/models.ts";
import type { InferenceLogger } from "../../../workers/src/inference/logger.ts";

const tiny = knownModel("tiny-mlp");
// The weights of scripts/build-models.ts (the oracle for the reference test).
const { W1, B1, W2, B2 } = TINY_MLP_WEIGHTS;
const enc = (v: unknown) => JSON.stringify(v);

describe("InferenceEngine on the built models", () => {
  const engine = new InferenceEngine({ threads: 1, batchWindowMs: 5 });
  let mlp: LoadedModel;
  before(async () => {
    mlp = await engine.load(tiny.specJson, { path: tiny.path, sha256: tiny.sha256 });
  });
  after(() => engine.close());

  it("runs the tiny MLP and returns the canonical result with its hash", async () => {
    const r = await mlp.infer(tiny.sampleInput());
    assert.equal(r.result, "ok");
    assert.equal(r.provider, "cpu");
    assert.equal(r.skip, false);
    assert.ok(r.margin >= 2e-6);
    assert.match(r.outputHash, /^0x[0-9a-f]{64}$/);
    const parsed = JSON.parse(r.canonical) as { outputs: { name: string; dims: number[]; data: number[] }[] };
    assert.deepEqual(
      parsed.outputs.map((o) => o.name),
      ["probs", "logits"],
    );
    assert.deepEqual(parsed.outputs[0].dims, [1]);
    assert.deepEqual(parsed.outputs[1].dims, [1, 3]);
    // The class is the argmax of the rounded logits too (softmax is monotonic).
    const logits = parsed.outputs[1].data;
    assert.equal(parsed.outputs[0].data[0], logits.indexOf(Math.max(...logits)));
  });

  it("is deterministic: the same input gives the same hash", async () => {
    const input = tiny.sampleInput(3);
    const a = await mlp.infer(input);
    const b = await mlp.infer(new TextEncoder().encode(input));
    assert.equal(a.outputHash, b.outputHash);
  });

  it("matches a float64 reference of the MLP: hidden = relu(xW1 + b1), logits = hW2 + b2", async () => {
    const input = tiny.sampleInput(4);
    const x = (JSON.parse(input) as { inputs: { x: { data: number[] } } }).inputs.x.data;
    const r = await mlp.infer(input);
    assert.equal(r.result, "ok");
    const out = JSON.parse(r.canonical) as { outputs: { data: number[] }[] };
    for (let row = 0; row < 4; row++) {
      const h = B1.map((b, j) =>
        Math.max(0, b + [0, 1, 2, 3].reduce((s, i) => s + Math.fround(x[row * 4 + i]) * W1[i][j], 0)),
      );
      const logits = B2.map((b, k) => b + h.reduce((s, hj, j) => s + hj * W2[j][k], 0));
      assert.deepEqual(
        out.outputs[1].data.slice(row * 3, row * 3 + 3),
        logits.map((l) => Math.round(l * 1000)),
      );
      assert.equal(out.outputs[0].data[row], logits.indexOf(Math.max(...logits)));
    }
  });

  it("calls a rounding tie FRAGILE: x = 0 gives logit 0.1845, exactly between 0.184 and 0.185", async () => {
    const r = await mlp.infer(enc({ inputs: { x: { type: "float32", dims: [1, 4], data: [0, 0, 0, 0] } } }));
    assert.equal(r.result, "FRAGILE");
    assert.equal(r.canonical, '{"error":"FRAGILE"}');
    assert.ok(r.margin < 1e-6);
  });

  it("gives INVALID_INPUT (a result, not an exception) for every bad input", async () => {
    const cases: [string, RegExp][] = [
      ["{", /malformed JSON/],
      [
        enc({ inputs: { y: { type: "float32", dims: [1, 4], data: [0, 0, 0, 0] } } }),
        /no input of that name/,
      ],
      [
        enc({ inputs: { x: { type: "int32", dims: [1, 4], data: [0, 0, 0, 0] } } }),
        /type: must be "float32"/,
      ],
      [
        enc({ inputs: { x: { type: "float32", dims: [1, 5], data: [0, 0, 0, 0, 0] } } }),
        /dims\[1\]: must be 4/,
      ],
      [
        enc({ inputs: { x: { type: "float32", dims: [1, 4], data: [0, 0, 0, 11] } } }),
        /outside the range \[-10, 10\]/,
      ],
      ['{"inputs":{"x":{"type":"float32","dims":[1,4],"data":[0,0,0,0]},"x":{}}}', /duplicate key "x"/],
      [
        enc({
          inputs: { x: { type: "float32", dims: [1, 4], data: new Array(4).fill(0).map(() => 1) } },
          pad: "x".repeat(70000),
        }),
        /maxInputBytes/,
      ],
    ];
    for (const [input, re] of cases) {
      const r = await mlp.infer(input);
      assert.equal(r.result, "INVALID_INPUT", input.slice(0, 80));
      assert.equal(r.canonical, '{"error":"INVALID_INPUT"}');
      assert.match(r.reason ?? "", re);
    }
  });

  it("gives NON_FINITE when the model emits NaN or -Infinity", async () => {
    const m = knownModel("nan-log");
    const model = await engine.load(m.specJson, m.path);
    const nan = await model.infer(
      enc({ inputs: { x: { type: "float32", dims: [1, 3], data: [1, -1, 2] } } }),
    );
    assert.equal(nan.result, "NON_FINITE");
    assert.equal(nan.canonical, '{"error":"NON_FINITE"}');
    const inf = await model.infer(enc({ inputs: { x: { type: "float32", dims: [1, 3], data: [1, 0, 2] } } }));
    assert.equal(inf.result, "NON_FINITE");
    const fine = await model.infer(m.sampleInput());
    assert.equal(fine.canonical, '{"outputs":[{"name":"y","dims":[1,3],"data":[0,9163,23026]}]}');
  });

  it("gives FRAGILE near a rounding boundary and skip in the band above it", async () => {
    const m = knownModel("nan-log");
    const model = await engine.load(m.specJson, m.path);
    // log(x) with 4 decimals: x = e^0.00005 puts y*10^4 at 0.5, a tie.
    const fragile = await model.infer(
      enc({ inputs: { x: { type: "float32", dims: [1, 3], data: [1.00005, 1, 1] } } }),
    );
    assert.equal(fragile.result, "FRAGILE");
    assert.equal(fragile.canonical, '{"error":"FRAGILE"}');
    assert.ok(fragile.margin < 1e-6);
    // Find an input whose margin lands in [1e-6, 2e-6) by scanning float32 neighbours.
    let skipped = false;
    for (let i = 0; i < 400 && !skipped; i++) {
      const x = 1.00005 + i * 1.2e-7;
      const r = await model.infer(enc({ inputs: { x: { type: "float32", dims: [1, 3], data: [x, 1, 1] } } }));
      if (r.skip) {
        skipped = true;
        assert.equal(r.result, "ok");
        assert.ok(r.margin >= 1e-6 && r.margin < 2e-6, String(r.margin));
      }
    }
    assert.ok(skipped, "no input in the skip band found");
  });

  it("takes integer and bool tensors, int64 beyond 2^53 as strings", async () => {
    const m = knownModel("int-types");
    const model = await engine.load(m.specJson, m.path);
    const r = await model.infer(m.sampleInput());
    assert.equal(
      r.canonical,
      '{"outputs":[{"name":"sum","dims":[2],"data":[3,"9007199254740994"]},{"name":"i32_out","dims":[2,1],"data":[-2147483648,2147483647]},{"name":"u8_out","dims":[4],"data":[0,1,128,200]},{"name":"not_flag","dims":[2],"data":[0,1]}]}',
    );
    assert.equal(r.margin, Infinity);
    const big = JSON.parse(m.sampleInput()) as { inputs: Record<string, { data: unknown[] }> };
    big.inputs.a.data = ["9223372036854775807", "-9223372036854775808"];
    big.inputs.b.data = [0, 0];
    const r2 = await model.infer(JSON.stringify(big));
    assert.match(r2.canonical, /"data":\["9223372036854775807","-9223372036854775808"\]/);
    big.inputs.u8.data = [0, 0, 0, 201];
    assert.equal((await model.infer(JSON.stringify(big))).result, "INVALID_INPUT");
  });

  it("takes float16 inputs and reads float16 outputs", async () => {
    const m = knownModel("half");
    const model = await engine.load(m.specJson, m.path);
    const r = await model.infer(m.sampleInput());
    assert.equal(
      r.canonical,
      '{"outputs":[{"name":"h","dims":[1,2],"data":[50,-225]},{"name":"y","dims":[1,1],"data":[0]}]}',
    );
  });

  it("gives INVALID_INPUT when the model itself rejects the input at run time", async () => {
    const m = knownModel("reshape");
    const model = await engine.load(m.specJson, m.path);
    assert.equal((await model.infer(m.sampleInput())).result, "ok");
    const r = await model.infer(
      enc({
        inputs: {
          x: { type: "float32", dims: [6], data: [1, 2, 3, 4, 5, 6] },
          shape: { type: "int64", dims: [2], data: [4, 5] },
        },
      }),
    );
    assert.equal(r.result, "INVALID_INPUT");
    assert.match(r.reason ?? "", /the model rejected the input/);
  });

  it("batches concurrent requests and gives the same canonical bytes as single runs", async () => {
    const inputs = Array.from({ length: 12 }, (_, i) => {
      const x = Array.from(
        { length: 4 * (1 + (i % 2)) },
        (_, j) => Math.round(Math.sin(i * 7 + j) * 3000) / 1000,
      );
      return enc({ inputs: { x: { type: "float32", dims: [1 + (i % 2), 4], data: x } } });
    });
    const single = new InferenceEngine({ batchWindowMs: 0 });
    const alone = await single.load(tiny.specJson, tiny.path);
    assert.equal(alone.batching, false);
    const expected = [];
    for (const i of inputs) expected.push(await alone.infer(i));
    await single.close();
    assert.equal(mlp.batching, true);
    const batched = await Promise.all(inputs.map((i) => mlp.infer(i)));
    assert.ok(
      batched.some((r) => r.batchSize > 1),
      "no request was batched",
    );
    assert.ok(batched.every((r) => r.batchSize <= 8));
    for (let i = 0; i < inputs.length; i++) {
      assert.equal(batched[i].canonical, expected[i].canonical, `request ${i}`);
      assert.equal(batched[i].outputHash, expected[i].outputHash);
    }
  });

  it("keeps an invalid input in a batch from spoiling the others", async () => {
    const m = knownModel("nan-log");
    const model = await engine.load(m.specJson, m.path);
    const good = m.sampleInput();
    const [a, b, c] = await Promise.all([
      model.infer(good),
      model.infer(enc({ inputs: { x: { type: "float32", dims: [1, 3], data: [1, -1, 1] } } })),
      model.infer(good),
    ]);
    assert.equal(a.result, "ok");
    assert.equal(b.result, "NON_FINITE");
    assert.equal(c.canonical, a.canonical);
  });

  it("caches one session per (model, profile)", async () => {
    const again = await engine.load(tiny.specJson, tiny.path);
    assert.equal(again, mlp);
    assert.equal((await engine.infer(tiny.sampleInput(), mlp)).result, "ok");
  });
});

describe("InferenceEngine close", () => {
  it("finishes queued and running requests, then refuses new ones", async () => {
    const engine = new InferenceEngine({ batchWindowMs: 50 });
    const model = await engine.load(tiny.specJson, tiny.path);
    const pending = [model.infer(tiny.sampleInput()), model.infer(tiny.sampleInput(2))];
    await engine.close();
    const results = await Promise.all(pending);
    assert.deepEqual(
      results.map((r) => r.result),
      ["ok", "ok"],
    );
    await assert.rejects(model.infer(tiny.sampleInput()), /closed/);
    await model.close(); // idempotent
  });

  it("accepts a pino logger", async () => {
    const { pino } = await import("pino");
    const lines: string[] = [];
    const logger: InferenceLogger = pino({ level: "info" }, { write: (l: string) => void lines.push(l) });
    const engine = new InferenceEngine({ logger });
    await engine.load(tiny.specJson, tiny.path);
    await engine.close();
    assert.ok(
      lines.some((l) => /model loaded on cpu/.test(l) && /"provider":"cpu"/.test(l)),
      lines.join(""),
    );
  });
});

describe("InferenceEngine load errors", () => {
  it("refuses a model whose sha256 differs from the registered one", async () => {
    const engine = new InferenceEngine();
    await assert.rejects(
      engine.load(tiny.specJson, { path: tiny.path, sha256: "0x" + "00".repeat(32) }),
      (e: unknown) =>
        e instanceof ModelHashMismatchError &&
        e.actual === tiny.sha256 &&
        /expected sha256 0x0000/.test(e.message),
    );
    await engine.close();
  });

  it("refuses at load a spec naming an output or input the model lacks", async () => {
    const engine = new InferenceEngine();
    const spec = JSON.parse(tiny.specJson) as { outputs: unknown[]; inputs: { name: string }[] };
    spec.outputs = [{ name: "scores", rule: { op: "argmax" } }];
    await assert.rejects(
      engine.load(JSON.stringify(spec), tiny.path),
      (e: unknown) => e instanceof ModelSpecError && e.problems.some((p) => /no output "scores"/.test(p)),
    );
    const spec2 = JSON.parse(tiny.specJson) as { inputs: { name: string }[] };
    spec2.inputs[0].name = "features";
    await assert.rejects(engine.load(JSON.stringify(spec2), tiny.path), /no input "features"/);
    await engine.close();
  });

  it("falls back to the CPU where a spec allows CUDA and the runtime has none (or uses CUDA where it has)", async () => {
    const engine = new InferenceEngine();
    const spec = JSON.parse(tiny.specJson) as { execution: { providers: string[] } };
    spec.execution.providers = ["cuda", "cpu"];
    const model = await engine.load(JSON.stringify(spec), tiny.path);
    const cuda = (await engine.availableProviders(["cuda", "cpu"])).has("cuda");
    assert.equal(model.provider, cuda ? "cuda" : "cpu");
    assert.equal((await model.infer(tiny.sampleInput())).provider, model.provider);
    spec.execution.providers = ["cuda"];
    if (!cuda) await assert.rejects(engine.load(JSON.stringify(spec), tiny.path), ProfileUnsupportedError);
    const noGpu = new InferenceEngine({ allowGpu: false });
    await assert.rejects(noGpu.load(JSON.stringify(spec), tiny.path), /none available here \(have cpu\)/);
    await noGpu.close();
    await engine.close();
  });

  it("refuses a malformed spec, an unsupported version and a missing model", async () => {
    const engine = new InferenceEngine();
    await assert.rejects(engine.load("{}", tiny.path), ModelSpecError);
    const spec = JSON.parse(tiny.specJson) as { execution: { version: string } };
    spec.execution.version = "2.x";
    await assert.rejects(engine.load(JSON.stringify(spec), tiny.path), ProfileUnsupportedError);
    spec.execution.version = "1.x";
    await assert.rejects(engine.load(JSON.stringify(spec), tiny.path + ".missing"), /ENOENT/);
    await assert.rejects(
      engine.load(
        JSON.stringify(spec),
        knownModel("tiny-mlp").path.replace("tiny-mlp.onnx", "tiny-mlp.spec.json"),
      ),
      ModelLoadError,
    );
    await engine.close();
    await engine.close(); // idempotent
    await assert.rejects(engine.load(tiny.specJson, tiny.path), /closed/);
  });
});
