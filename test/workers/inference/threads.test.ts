/**
 * Inference in worker threads (issue 15): the same results as in-process inference, the same
 * error classes, and an event loop that keeps ticking while a long model runs.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { InferenceEngine } from "../../../workers/src/inference/runtime/engine.ts";
import { ThreadedInferenceEngine } from "../../../workers/src/inference/runtime/threaded-engine.ts";
import { ModelSpecError, ProfileUnsupportedError } from "../../../workers/src/inference/errors.ts";
import { encodeSafetensors } from "../../../workers/src/sdk/safetensors.ts";
import { knownModel, textImage } from "../../support/models.ts";

/** The largest gap between ticks of a 5 ms timer, beyond its 5 ms, while `fn` runs. */
async function loopLag(fn: () => Promise<unknown>): Promise<{ lag: number; ms: number }> {
  let last = performance.now();
  let lag = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    lag = Math.max(lag, now - last - 5);
    last = now;
  }, 5);
  const t0 = performance.now();
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  // The gap since the last tick counts too (a loop blocked until now never ticked).
  lag = Math.max(lag, performance.now() - last - 5);
  return { lag, ms: performance.now() - t0 };
}

describe("inference in worker threads", () => {
  const threaded = new ThreadedInferenceEngine({ inferenceThreads: 1, batchWindowMs: 0 });
  const direct = new InferenceEngine({ batchWindowMs: 0 });
  after(async () => {
    await threaded.close();
    await direct.close();
  });

  it("gives the in-process engine's results (JSON and safetensors, ok and INVALID_INPUT)", async () => {
    for (const id of ["tiny-mlp", "ocr-cls", "silero-vad"] as const) {
      const m = knownModel(id);
      const a = await threaded.load(m.specJson, { path: m.path, sha256: m.sha256 });
      const b = await direct.load(m.specJson, m.path);
      assert.equal(a.provider, "cpu");
      assert.equal(a.sha256, m.sha256);
      for (const input of [m.sampleInput(1), "{}", "\u0000garbage"]) {
        const [x, y] = [await a.infer(input), await b.infer(input)];
        assert.equal(x.outputHash, y.outputHash, `${id} ${input.slice(0, 20)}`);
        assert.equal(x.result, y.result);
        assert.equal(x.margin, y.margin);
      }
    }
    const m = knownModel("ocr-cls");
    const a = await threaded.load(m.specJson, m.path);
    const x = JSON.parse(m.sampleInput(1)) as { inputs: { x: { dims: number[]; data: number[] } } };
    const st = encodeSafetensors([
      { name: "x", type: "float32", dims: x.inputs.x.dims, data: x.inputs.x.data },
    ]);
    assert.equal((await a.infer(st)).outputHash, (await a.infer(m.sampleInput(1))).outputHash);
  });

  it("throws the engine's error classes across the thread", async () => {
    const m = knownModel("tiny-mlp");
    const bad = JSON.parse(m.specJson) as { inputs: { name: string }[]; execution: { version: string } };
    bad.inputs[0].name = "nope";
    await assert.rejects(threaded.load(JSON.stringify(bad), m.path), (e: unknown) => {
      assert.ok(e instanceof ModelSpecError);
      assert.match(e.problems.join(), /nope/);
      return true;
    });
    bad.inputs[0].name = "x";
    bad.execution.version = "0.1";
    await assert.rejects(threaded.load(JSON.stringify(bad), m.path), ProfileUnsupportedError);
  });

  describe("the event loop while a long model runs", () => {
    const m = knownModel("ocr-det");
    let input: Uint8Array;
    before(() => {
      const side = 640;
      const data = textImage(1, side, side, -2, 2, 13);
      input = encodeSafetensors([{ name: "x", type: "float32", dims: [1, 3, side, side], data }]);
    });

    it("keeps ticking (lag < 50 ms) with inference in a thread; blocks without", async () => {
      const model = await threaded.load(m.specJson, m.path);
      await model.infer(input); // warm up
      // at least 3 runs and at least 800 ms of them, however fast the machine
      const t = await loopLag(async () => {
        const start = performance.now();
        for (let i = 0; i < 40 && (i < 3 || performance.now() - start < 800); i++)
          assert.equal((await model.infer(input)).result, "ok");
      });
      const inProcess = await direct.load(m.specJson, m.path);
      const d = await loopLag(() => inProcess.infer(input));
      console.log(
        `      runs of ocr-det 640×640 in a thread: ${t.ms.toFixed(0)} ms, worst timer lag ${t.lag.toFixed(1)} ms;` +
          ` one run in process: ${d.ms.toFixed(0)} ms, worst lag ${d.lag.toFixed(1)} ms`,
      );
      assert.ok(t.ms > 600, `the runs took ${t.ms} ms: too short to show anything`);
      assert.ok(t.lag < 50, `timer lag ${t.lag} ms with inference in a thread`);
      // in process the loop is blocked for about the whole run, whatever the machine's speed
      assert.ok(d.lag > d.ms / 2, `in process the loop should block (lag ${d.lag} ms for a ${d.ms} ms run)`);
    });
  });
});
