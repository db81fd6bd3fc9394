/**
 * A dead inference thread is replaced: its requests in flight fail with InferenceResourceError
 * (the node skips those tasks), the other threads keep serving, requests made while no thread is
 * live wait for the replacement, and the replacement serves every model loaded before. When the
 * restarts are spent (or the replacement cannot load the models), `lost` resolves and health()
 * says why. A native crash cannot be caused on purpose here: the tests end the thread the way the
 * runtime ends a crashed one (Worker.terminate, the 'exit' event the engine watches).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { ThreadedInferenceEngine } from "../../../workers/src/inference/runtime/threaded-engine.ts";
import { InferenceResourceError } from "../../../workers/src/inference/errors.ts";
import { knownModel } from "../../support/models.ts";
import { waitFor } from "../../support/devnet.ts";

/** Ends inference thread `i` as a crash would. */
async function killThread(engine: ThreadedInferenceEngine, i: number): Promise<void> {
  const threads = (engine as unknown as { threads: { worker: Worker }[] }).threads;
  await threads[i].worker.terminate();
}

const tiny = knownModel("tiny-mlp");
const cls = knownModel("ocr-cls");

describe("inference threads: a dead thread is replaced", () => {
  it("fails the requests in flight, keeps serving on the others, and replaces it with every model", async () => {
    const engine = new ThreadedInferenceEngine({ inferenceThreads: 2, threadRestartDelayMs: 50 });
    try {
      const a = await engine.load(tiny.specJson, { path: tiny.path, sha256: tiny.sha256 });
      const b = await engine.load(cls.specJson, cls.path);
      const [ia, ib] = [tiny.sampleInput(2), cls.sampleInput(1)];
      const want = [(await a.infer(ia)).outputHash, (await b.infer(ib)).outputHash];
      const inFlight = a.infer(ia); // the least busy thread, 0, takes it
      await killThread(engine, 0);
      await assert.rejects(inFlight, InferenceResourceError);
      assert.equal((await a.infer(ia)).outputHash, want[0], "thread 1 serves meanwhile");
      await waitFor("the replacement", async () => engine.health().restarts === 1, 30_000, 20);
      assert.deepEqual(engine.health(), { threads: 2, live: 2, restarts: 1 });
      // Four at once: both threads (the new one included) run both models.
      const rs = await Promise.all([a.infer(ia), b.infer(ib), a.infer(ia), b.infer(ib)]);
      assert.deepEqual(
        rs.map((r) => r.outputHash),
        [want[0], want[1], want[0], want[1]],
      );
    } finally {
      await engine.close();
    }
  });

  it("a request made while no thread is live waits for the replacement", async () => {
    const engine = new ThreadedInferenceEngine({ inferenceThreads: 1, threadRestartDelayMs: 300 });
    try {
      const m = await engine.load(tiny.specJson, tiny.path);
      const want = (await m.infer(tiny.sampleInput(1))).outputHash;
      await killThread(engine, 0);
      assert.equal(engine.health().live, 0);
      const r = await m.infer(tiny.sampleInput(1));
      assert.equal(r.outputHash, want);
      assert.equal(engine.health().restarts, 1);
    } finally {
      await engine.close();
    }
  });

  it("restarts spent: `lost` resolves, health() says why, requests and loads fail", async () => {
    const engine = new ThreadedInferenceEngine({ inferenceThreads: 1, threadRestarts: 0 });
    try {
      const m = await engine.load(tiny.specJson, tiny.path);
      await killThread(engine, 0);
      const err = await engine.lost;
      assert.ok(err instanceof InferenceResourceError);
      assert.match(engine.health().unusable ?? "", /no inference thread is live.*0 restarts/);
      await assert.rejects(m.infer(tiny.sampleInput(1)), InferenceResourceError);
      await assert.rejects(engine.load(cls.specJson, cls.path), InferenceResourceError);
    } finally {
      await engine.close();
    }
  });

  it("a replacement that cannot load the models is retried, then the engine is lost with the cause", async () => {
    const dir = mkdtempSync(join(tmpdir(), "thread-restart-"));
    const file = join(dir, "tiny.onnx");
    copyFileSync(tiny.path, file);
    const engine = new ThreadedInferenceEngine({
      inferenceThreads: 1,
      threadRestarts: 2,
      threadRestartDelayMs: 20,
    });
    try {
      await engine.load(tiny.specJson, { path: file, sha256: tiny.sha256 });
      rmSync(file); // the file the replacement must load again is gone
      await killThread(engine, 0);
      const err = await engine.lost;
      assert.match(err.message, /2 restarts in 10 minutes; last: .*tiny\.onnx/);
      assert.deepEqual(
        { live: engine.health().live, restarts: engine.health().restarts },
        { live: 0, restarts: 0 },
      );
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
