import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  chooseProvider,
  detectProviders,
  isResourceFailure,
  profileKey,
  resolveProfile,
  runtimeVersion,
  sessionOptions,
  versionCompatible,
} from "../../../workers/src/inference/runtime/session.ts";
import { ProfileUnsupportedError } from "../../../workers/src/inference/errors.ts";
import type { ExecutionSpec } from "../../../workers/src/inference/spec.ts";

const exec = (over: Partial<ExecutionSpec> = {}): ExecutionSpec => ({
  runtime: "onnxruntime",
  version: "1.x",
  graphOptimizationLevel: "disabled",
  providers: ["cpu"],
  margin: 1e-6,
  maxBatch: 1,
  ...over,
});

describe("execution profile", () => {
  it("reads the installed onnxruntime-node version", () => {
    assert.match(runtimeVersion(), /^1\.\d+\.\d+/);
  });

  it("matches spec versions component by component", () => {
    assert.ok(versionCompatible("1.x", "1.30.0"));
    assert.ok(versionCompatible("1", "1.30.0"));
    assert.ok(versionCompatible("1.30", "1.30.0"));
    assert.ok(versionCompatible("1.30.x", "1.30.2"));
    assert.ok(versionCompatible("1.30.0", "1.30.0"));
    assert.ok(!versionCompatible("1.29", "1.30.0"));
    assert.ok(!versionCompatible("1.3", "1.30.0"));
    assert.ok(!versionCompatible("2.x", "1.30.0"));
    assert.ok(!versionCompatible("1.30.1", "1.30.0"));
  });

  it("chooses the first provider of the spec's list that the node has", () => {
    assert.equal(chooseProvider(["cuda", "cpu"], new Set(["cpu", "cuda"])), "cuda");
    assert.equal(chooseProvider(["cuda", "cpu"], new Set(["cpu"])), "cpu");
    assert.equal(chooseProvider(["cpu", "cuda"], new Set(["cpu", "cuda"])), "cpu");
    assert.equal(chooseProvider(["cuda"], new Set(["cpu"])), null);
  });

  it("resolves a profile or says why not", () => {
    const p = resolveProfile(exec({ graphOptimizationLevel: "all" }), new Set(["cpu"]), 2, "1.30.0");
    assert.deepEqual(p, { graphOptimizationLevel: "all", provider: "cpu", intraOpNumThreads: 2 });
    assert.equal(profileKey(p), "cpu/all/t2");
    assert.throws(
      () => resolveProfile(exec({ providers: ["cuda"] }), new Set(["cpu"]), 1),
      (e: unknown) => e instanceof ProfileUnsupportedError && /none available/.test(e.message),
    );
    assert.throws(
      () => resolveProfile(exec({ version: "1.17" }), new Set(["cpu"]), 1, "1.30.0"),
      /does not admit/,
    );
    assert.throws(() => resolveProfile(exec(), new Set(["cpu"]), 0), /threads/);
  });

  it("pins the session options: level, threads, sequential; CUDA with TF32 off", () => {
    const o = sessionOptions({ graphOptimizationLevel: "basic", provider: "cpu", intraOpNumThreads: 3 });
    assert.deepEqual(o.executionProviders, ["cpu"]);
    assert.equal(o.graphOptimizationLevel, "basic");
    assert.equal(o.intraOpNumThreads, 3);
    assert.equal(o.interOpNumThreads, 1);
    assert.equal(o.executionMode, "sequential");
    const saved = process.env.NVIDIA_TF32_OVERRIDE;
    const g = sessionOptions(
      { graphOptimizationLevel: "disabled", provider: "cuda", intraOpNumThreads: 1 },
      1,
    );
    assert.deepEqual(g.executionProviders, [{ name: "cuda", deviceId: 1 }]);
    assert.equal(process.env.NVIDIA_TF32_OVERRIDE, "0");
    if (saved === undefined) delete process.env.NVIDIA_TF32_OVERRIDE;
    else process.env.NVIDIA_TF32_OVERRIDE = saved;
  });

  it("detects providers: cpu always, no GPU probe when GPUs are not allowed", async () => {
    assert.deepEqual([...(await detectProviders({ allowGpu: false }))], ["cpu"]);
    const all = await detectProviders();
    assert.ok(all.has("cpu"));
    // cuda appears only where onnxruntime-node was installed with CUDA and a GPU answers.
    if (process.env.OMNITENSOR_EXPECT_CUDA === "1")
      assert.ok(all.has("cuda"), "CUDA expected but not detected");
  });

  it("tells resource failures from input failures", () => {
    assert.ok(isResourceFailure(new Error("std::bad_alloc")));
    assert.ok(isResourceFailure(new Error("Failed to allocate memory for requested buffer of size 123")));
    assert.ok(isResourceFailure(new Error("CUDA failure 2: out of memory")));
    assert.ok(!isResourceFailure(new Error("Non-zero status code returned while running Reshape node")));
    assert.ok(!isResourceFailure(new Error("Got invalid dimensions for input: x")));
  });
});
