/**
 * test/vectors/generate.json (scripts/gen-generate-vectors.ts) against the §7 choice: the draw
 * (checked against viem's abi encoding and keccak256), greedy and top-k steps, whole generations.
 * The SDK's tests read the same file (test/workers/sdk/generate.test.ts).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodeAbiParameters, keccak256, type Hex } from "viem";
import { drawPreimage, drawX, greedyChoice, topkChoice } from "../../../workers/src/inference/sampling.ts";
import { generateWith, type GenerateInput } from "../../../workers/src/inference/generation.ts";
import { parseModelSpec } from "../../../workers/src/inference/spec.ts";
import { keccakReady } from "../../../workers/src/inference/keccak.ts";
import { generateVectors, vectorMargin, vectorSpec } from "../../support/generate-vectors.ts";

const v = generateVectors();

describe("generate vectors: the draw", () => {
  it("x = the float64 nearest keccak256(abi.encode(bytes32 seed, uint256 step)) / 2^256", async () => {
    await keccakReady;
    for (const d of v.draws) {
      const enc = encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }], [d.seed, BigInt(d.step)]);
      assert.equal(enc, d.preimage);
      assert.equal(keccak256(drawPreimage(d.seed, d.step)), d.keccak);
      assert.equal(drawX(d.seed, d.step), d.x);
      // nearest: |x·2^256 − h| ≤ half an ulp of x·2^256
      const h = BigInt(d.keccak);
      const scaled = BigInt(Math.round(d.x * 2 ** 53)) * 2n ** 203n;
      assert.ok((scaled > h ? scaled - h : h - scaled) <= 2n ** 203n, "x is within an ulp of h / 2^256");
    }
  });
});

describe("generate vectors: one step", () => {
  for (const s of v.steps) {
    it(s.name, () => {
      const r =
        s.sampling.method === "greedy"
          ? greedyChoice(Float32Array.from(s.row))
          : topkChoice(Float32Array.from(s.row), s.sampling.k!, Number(s.sampling.temperature), s.x!);
      assert.equal(r.token, s.token);
      assert.equal(r.margin, vectorMargin(s.margin));
      if (s.seed) assert.equal(drawX(s.seed as Hex, s.step!), s.x);
    });
  }
});

describe("generate vectors: whole generations", () => {
  for (const g of v.generations) {
    it(g.name, () => {
      const spec = parseModelSpec(vectorSpec(g));
      const rows = g.rows.map((r) => Float32Array.from(r, (x) => (x === null ? NaN : x)));
      const { result, generation } = generateWith(spec, g.input as GenerateInput, (_seq, step) => rows[step]);
      assert.equal(result.result, g.result);
      assert.equal(result.canonical, g.canonical);
      assert.equal(result.outputHash, g.outputHash);
      assert.equal(result.margin, vectorMargin(g.margin));
      assert.equal(result.skip, g.skip);
      assert.deepEqual(generation.margins, g.stepMargins.map(vectorMargin));
    });
  }
});
