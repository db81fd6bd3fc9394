import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { InferenceEngine } from "../../../workers/src/inference/runtime/engine.ts";
import { knownModel } from "../../support/models.ts";
import { sha256File } from "../../../workers/src/inference/runtime/store.ts";

// Real pretrained models shipped in npm packages (devDependencies): see docs/inference.md.
describe("real pretrained models", () => {
  const engine = new InferenceEngine({ threads: 1, batchWindowMs: 20 });
  after(() => engine.close());

  for (const id of ["ocr-cls", "ocr-det", "ocr-rec", "silero-vad"] as const) {
    it(`${id}: the shipped file has the recorded sha256`, async () => {
      const m = knownModel(id);
      assert.equal(await sha256File(m.path), m.sha256);
    });
  }

  it("ocr-cls (PaddleOCR direction classifier): a synthetic text line is upright, batched = unbatched", async () => {
    const m = knownModel("ocr-cls");
    const model = await engine.load(m.specJson, { path: m.path, sha256: m.sha256 });
    assert.ok(model.batching);
    const one = await model.infer(m.sampleInput(1));
    assert.equal(one.result, "ok");
    assert.equal(one.canonical, '{"outputs":[{"name":"softmax_0.tmp_0","dims":[1],"data":[0]}]}');
    assert.ok(one.margin > 0.5, `margin ${one.margin}`);
    // The same image rotated by 180° (rows and columns flipped): another valid input.
    const x = JSON.parse(m.sampleInput(1)) as { inputs: { x: { data: number[] } } };
    const d = x.inputs.x.data;
    const flipped = new Array<number>(d.length);
    const [H, W] = [48, 192];
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < H; y++)
        for (let w = 0; w < W; w++)
          flipped[c * H * W + y * W + w] = d[c * H * W + (H - 1 - y) * W + (W - 1 - w)];
    x.inputs.x.data = flipped;
    const r = await model.infer(JSON.stringify(x));
    assert.equal(r.result, "ok");
    // Concurrent single-image requests are batched; each equals its unbatched result.
    const inputs = [1, 2, 3].map(() => m.sampleInput(1)).concat([JSON.stringify(x)]);
    const results = await Promise.all(inputs.map((i) => model.infer(i)));
    assert.ok(results.some((res) => res.batchSize > 1));
    assert.equal(results[0].outputHash, one.outputHash);
    assert.equal(results[3].outputHash, r.outputHash);
  });

  it("silero-vad: int64 scalar input, recurrent state, range checks", async () => {
    const m = knownModel("silero-vad");
    const model = await engine.load(m.specJson, m.path);
    assert.equal(model.batching, false);
    const r = await model.infer(m.sampleInput(1));
    assert.equal(r.result, "ok");
    const out = JSON.parse(r.canonical) as { outputs: { name: string; dims: number[]; data: number[] }[] };
    assert.deepEqual(
      out.outputs.map((o) => [o.name, o.dims]),
      [
        ["output", [1, 1]],
        ["hn", [2, 1, 64]],
      ],
    );
    const p = out.outputs[0].data[0];
    assert.ok(p >= 0 && p <= 10000, `probability*10^4 ${p}`);
    assert.equal((await model.infer(m.sampleInput(1))).outputHash, r.outputHash);
    const input = JSON.parse(m.sampleInput(1)) as { inputs: Record<string, { data: unknown[] }> };
    input.inputs.sr.data = [44100];
    const bad = await model.infer(JSON.stringify(input));
    assert.equal(bad.result, "INVALID_INPUT");
    assert.match(bad.reason ?? "", /inputs\.sr\.data\[0\]: 44100 is outside the range/);
  });

  it("ocr-rec (PaddleOCR recognizer, 6,625 classes): top-3 per time step with a measured small margin", async () => {
    const m = knownModel("ocr-rec");
    const model = await engine.load(m.specJson, m.path);
    assert.equal(m.spec.execution.margin, 1e-9);
    const a = await model.infer(m.sampleInput(1));
    assert.equal(a.result, "ok");
    const out = JSON.parse(a.canonical) as { outputs: { dims: number[]; data: number[] }[] };
    assert.deepEqual(out.outputs[0].dims, [1, 20, 3]);
    assert.ok(out.outputs[0].data.every((i) => Number.isInteger(i) && i >= 0 && i < 6625));
    // Each time step lists 3 distinct classes.
    for (let t = 0; t < 20; t++) assert.equal(new Set(out.outputs[0].data.slice(t * 3, t * 3 + 3)).size, 3);
    // The owner measured 1e-9 for this model; with a margin of 1e-3 the same result is FRAGILE.
    const strict = JSON.parse(m.specJson) as { execution: { margin: number } };
    strict.execution.margin = 1e-3;
    const b = await (await engine.load(JSON.stringify(strict), m.path)).infer(m.sampleInput(1));
    assert.equal(b.result, "FRAGILE");
    assert.equal(b.margin, a.margin);
  });

  it("ocr-det (PaddleOCR text detector): a probability map, deterministic across runs", async () => {
    const m = knownModel("ocr-det");
    const model = await engine.load(m.specJson, m.path);
    const a = await model.infer(m.sampleInput(1));
    const b = await model.infer(m.sampleInput(1));
    assert.equal(a.result, "ok");
    assert.equal(a.outputHash, b.outputHash);
    const out = JSON.parse(a.canonical) as { outputs: { dims: number[]; data: number[] }[] };
    assert.deepEqual(out.outputs[0].dims, [1, 1, 96, 160]);
    assert.ok(out.outputs[0].data.every((v) => v >= 0 && v <= 10));
  });
});
