import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { hexToBytes, keccak256, stringToBytes, type Hex } from "viem";
import { decodeInput } from "../../../workers/src/inference/codec.ts";
import { InferenceEngine } from "../../../workers/src/inference/runtime/engine.ts";
import { encodeSafetensors } from "../../../workers/src/sdk/safetensors.ts";
import { knownModel, type KnownModelId } from "../../support/models.ts";

interface Vector {
  name: string;
  model: KnownModelId;
  spec: string;
  json?: string;
  safetensors: Hex;
  expected: { result: string; canonical: string; outputHash: Hex };
}

const vectors = (
  JSON.parse(readFileSync(new URL("../../vectors/input-encodings.json", import.meta.url), "utf8")) as {
    vectors: Vector[];
  }
).vectors;

describe("input encoding vectors (test/vectors/input-encodings.json)", () => {
  const engine = new InferenceEngine({ batchWindowMs: 0 });
  after(() => engine.close());
  assert.ok(vectors.length >= 10);
  assert.ok(vectors.some((v) => v.json) && vectors.some((v) => !v.json));

  for (const v of vectors) {
    it(v.name, async () => {
      const model = await engine.load(v.spec, knownModel(v.model).path);
      const st = await model.infer(hexToBytes(v.safetensors));
      assert.equal(st.result, v.expected.result, st.reason);
      assert.equal(st.canonical, v.expected.canonical);
      assert.equal(st.outputHash, v.expected.outputHash);
      assert.equal(keccak256(stringToBytes(v.expected.canonical)), v.expected.outputHash);
      if (!v.json) return;
      const js = await model.infer(v.json);
      assert.equal(js.outputHash, v.expected.outputHash);
      // The SDK writer gives these exact bytes for the tensors of the JSON input.
      const d = decodeInput(new TextEncoder().encode(v.json), model.spec);
      assert.ok(d.ok);
      assert.equal(Buffer.from(encodeSafetensors(d.tensors)).toString("hex"), v.safetensors.slice(2));
    });
  }
});
