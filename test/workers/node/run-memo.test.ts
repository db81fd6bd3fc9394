/**
 * The run memo (workers/src/node/run-memo.ts): one model run per (modelId, input) for the keys of
 * a relay process, in flight and for a while after; a failed run is not kept; the bound holds.
 * The last case runs the real tiny-mlp model in a worker thread behind the memo.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import type { Hex } from "viem";
import { RunMemo, memoizedModels } from "../../../workers/src/node/run-memo.ts";
import { createMetrics } from "../../../workers/src/node/metrics.ts";
import { ThreadedInferenceEngine } from "../../../workers/src/inference/runtime/index.ts";
import { knownModel } from "../../support/models.ts";

const A: Hex = `0x${"aa".repeat(32)}`;
const B: Hex = `0x${"bb".repeat(32)}`;
const bytes = (s: string) => new TextEncoder().encode(s);

/** A run that counts its calls and answers after `ms`. */
function counting(ms = 20) {
  let runs = 0;
  return {
    runs: () => runs,
    run: (v: string) => async () => {
      runs++;
      await new Promise((r) => setTimeout(r, ms));
      return `${v}#${runs}`;
    },
  };
}

describe("run memo", () => {
  it("concurrent calls with the same model and input share one run", async () => {
    const memo = new RunMemo<string>();
    const c = counting();
    const rs = await Promise.all([1, 2, 3, 4].map(() => memo.run(A, bytes("x"), c.run("x"))));
    assert.equal(c.runs(), 1);
    assert.deepEqual(rs, ["x#1", "x#1", "x#1", "x#1"]);
  });

  it("a call after the run finished gets its result; different inputs or models run on their own", async () => {
    const memo = new RunMemo<string>();
    const c = counting(1);
    assert.equal(await memo.run(A, bytes("x"), c.run("x")), "x#1");
    assert.equal(await memo.run(A, bytes("x"), c.run("x")), "x#1", "sequential: no second run");
    assert.equal(
      await memo.run(A, Uint8Array.from(bytes("x")), c.run("x")),
      "x#1",
      "same bytes, another array",
    );
    assert.equal(await memo.run(A, bytes("y"), c.run("y")), "y#2", "another input runs");
    assert.equal(await memo.run(B, bytes("x"), c.run("x")), "x#3", "another model runs");
    assert.equal(c.runs(), 3);
    assert.equal(memo.size, 3);
  });

  it("a failed run is not kept: the next call runs again; its concurrent callers share the failure", async () => {
    const memo = new RunMemo<string>();
    let runs = 0;
    const failing = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 10));
      throw new Error("profile too small");
    };
    const both = await Promise.allSettled([
      memo.run(A, bytes("x"), failing),
      memo.run(A, bytes("x"), failing),
    ]);
    assert.deepEqual(
      both.map((r) => r.status),
      ["rejected", "rejected"],
    );
    assert.equal(runs, 1);
    assert.equal(memo.size, 0, "nothing kept after a failure");
    const c = counting(1);
    assert.equal(await memo.run(A, bytes("x"), c.run("x")), "x#1", "the next call runs the model again");
    // a run that throws before its first await is a rejection too, not kept either
    await assert.rejects(
      memo.run(A, bytes("z"), () => {
        throw new Error("sync");
      }),
      /sync/,
    );
    assert.equal(memo.size, 1);
  });

  it("keeps at most `max` finished results (the oldest go first) and none past `ttlMs`", async () => {
    let now = 1_000;
    const memo = new RunMemo<string>({ max: 3, ttlMs: 60_000, now: () => now });
    const c = counting(1);
    for (const v of ["a", "b", "c", "d"]) await memo.run(A, bytes(v), c.run(v));
    assert.equal(c.runs(), 4);
    assert.ok(memo.size <= 3, `${memo.size} entries kept`);
    assert.equal(await memo.run(A, bytes("d"), c.run("d")), "d#4", "the newest is kept");
    assert.equal(await memo.run(A, bytes("a"), c.run("a")), "a#5", "the oldest was dropped: a new run");
    assert.equal(c.runs(), 5);
    now += 60_000;
    assert.equal(await memo.run(A, bytes("d"), c.run("d")), "d#6", "expired: a new run");
    assert.equal(memo.size, 1, "the expired results are gone");
    for (let i = 0; i < 50; i++) await memo.run(A, bytes(`n${i}`), c.run("n"));
    assert.equal(memo.size, 3, "the bound holds");
  });

  it("keeps at most `maxBytes` of finished results (by sizeOf; the oldest go first)", async () => {
    const memo = new RunMemo<string>({ maxBytes: 10, sizeOf: (r) => r.length });
    const c = counting(1);
    for (const v of ["aaaa", "bbbb"]) await memo.run(A, bytes(v), c.run(v)); // "aaaa#1", "bbbb#2": 12 bytes
    assert.equal(memo.size, 1, "the older result is dropped past 10 bytes");
    assert.equal(await memo.run(A, bytes("bbbb"), c.run("bbbb")), "bbbb#2", "the newest is kept");
    assert.equal(
      await memo.run(A, bytes("aaaa"), c.run("aaaa")),
      "aaaa#3",
      "the oldest was dropped: a new run",
    );
  });

  it("the real tiny-mlp in a thread behind the memo: one run (one metric sample) for four callers", async () => {
    const tiny = knownModel("tiny-mlp");
    const engine = new ThreadedInferenceEngine({ threads: 1 });
    try {
      const loaded = await engine.load(tiny.specJson, { path: tiny.path, sha256: tiny.sha256 });
      const metrics = createMetrics({ defaultMetrics: false });
      const models = memoizedModels(new Map([[A, loaded]]), {
        memo: new RunMemo(),
        metrics,
        logger: pino({ level: "silent" }),
      });
      const x = bytes(tiny.sampleInput(2));
      const rs = await Promise.all([1, 2, 3, 4].map(() => models.get(A)!.infer(x)));
      assert.ok(rs.every((r) => r.outputHash === rs[0]!.outputHash));
      await models.get(A)!.infer(bytes(tiny.sampleInput(3)));
      const m = await metrics.registry.metrics();
      assert.match(m, /omnitensor_inference_seconds_count\{model="0xaaaaaaaa"\} 2\n/);
    } finally {
      await engine.close();
    }
  });
});
