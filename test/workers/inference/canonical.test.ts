import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { keccak256, stringToBytes } from "viem";
import {
  canonicalize,
  classifyMargin,
  invalidInputResult,
  outputHash,
  OutputRuleError,
  type RawOutput,
} from "../../../workers/src/inference/canonical.ts";
import { toFloat16Bits } from "../../../workers/src/inference/float16.ts";
import type { OutputSpec } from "../../../workers/src/inference/spec.ts";

interface Vector {
  name: string;
  spec: { outputs: OutputSpec[]; margin: number };
  raw: { name: string; type: string; dims: number[]; data: (number | string | boolean)[] }[];
  expected: { result: string; canonical: string; outputHash: string; margin: number | null; skip: boolean };
}

const vectors = (
  JSON.parse(readFileSync(new URL("../../vectors/canonical.json", import.meta.url), "utf8")) as {
    vectors: Vector[];
  }
).vectors;

function toRaw(r: Vector["raw"][number]): RawOutput {
  const d = r.data;
  const num = (v: number | string | boolean) => (typeof v === "string" ? Number(v) : Number(v));
  let data: RawOutput["data"];
  if (r.type === "float32") data = Float32Array.from(d, num);
  else if (r.type === "float16") data = Uint16Array.from(d, (v) => toFloat16Bits(num(v)));
  else if (r.type === "int64") data = BigInt64Array.from(d, (v) => BigInt(v as string));
  else if (r.type === "bool") data = d as boolean[];
  else data = Uint8Array.from(d as number[]);
  return { name: r.name, type: r.type as RawOutput["type"], dims: r.dims, data };
}

const f32 = (name: string, dims: number[], data: number[]): RawOutput => ({
  name,
  type: "float32",
  dims,
  data: Float32Array.from(data),
});

describe("canonical output vectors (test/vectors/canonical.json)", () => {
  assert.ok(vectors.length >= 15);
  for (const v of vectors) {
    it(v.name, () => {
      const r = canonicalize(v.raw.map(toRaw), v.spec.outputs, v.spec.margin);
      assert.equal(r.canonical, v.expected.canonical);
      assert.equal(r.result, v.expected.result);
      assert.equal(r.outputHash, v.expected.outputHash);
      // viem's keccak256 of the UTF-8 bytes agrees.
      assert.equal(keccak256(stringToBytes(v.expected.canonical)), v.expected.outputHash);
      assert.equal(Number.isFinite(r.margin) ? r.margin : null, v.expected.margin);
      assert.equal(r.skip, v.expected.skip);
    });
  }
});

describe("canonicalize", () => {
  it("hashes the error results to fixed values", () => {
    assert.equal(invalidInputResult().canonical, '{"error":"INVALID_INPUT"}');
    assert.equal(invalidInputResult().outputHash, outputHash('{"error":"INVALID_INPUT"}'));
    assert.equal(invalidInputResult().result, "INVALID_INPUT");
  });

  it("classifies margins: fragile below m, skip in [m, 2m), commit from 2m", () => {
    assert.equal(classifyMargin(0.9e-6, 1e-6), "fragile");
    assert.equal(classifyMargin(1e-6, 1e-6), "skip");
    assert.equal(classifyMargin(1.99e-6, 1e-6), "skip");
    assert.equal(classifyMargin(2e-6, 1e-6), "commit");
    assert.equal(classifyMargin(0, 0), "commit");
    assert.equal(classifyMargin(Infinity, 1), "commit");
  });

  it("round margin is the distance to the nearest half-integer over 10^D", () => {
    const r = canonicalize([f32("y", [1], [0.25])], [{ name: "y", rule: { op: "round", decimals: 1 } }], 0);
    // 0.25 * 10 = 2.5: a tie, margin 0, rounds to even 2.
    assert.equal(r.canonical, '{"outputs":[{"name":"y","dims":[1],"data":[2]}]}');
    assert.equal(r.margin, 0);
    const r2 = canonicalize(
      [f32("y", [1], [0.5])],
      [{ name: "y", rule: { op: "round", decimals: 1 } }],
      1e-6,
    );
    assert.equal(r2.margin, 0.05); // 5 is 0.5 from 4.5 and 5.5
  });

  it("topk agrees with a full sort on random rows, margin = smallest gap among the K+1 best", () => {
    let s = 12345;
    const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % 1000) / 100;
    for (let trial = 0; trial < 200; trial++) {
      const len = 1 + (trial % 17);
      const k = 1 + (trial % len);
      const row = Array.from({ length: len }, rand);
      const v = Float32Array.from(row);
      const sorted = [...v.keys()].sort((a, b) => v[b] - v[a] || a - b);
      const r = canonicalize(
        [{ name: "s", type: "float32", dims: [len], data: v }],
        [{ name: "s", rule: { op: "topk", k } }],
        0,
      );
      assert.equal(
        r.canonical,
        `{"outputs":[{"name":"s","dims":[${k}],"data":[${sorted.slice(0, k).join(",")}]}]}`,
      );
      let gap = Infinity;
      for (let j = 0; j + 1 < Math.min(k + 1, len); j++) gap = Math.min(gap, v[sorted[j]] - v[sorted[j + 1]]);
      assert.equal(r.margin, gap);
    }
  });

  it("argmax agrees with a scan on random rows", () => {
    const v = Float32Array.from({ length: 6625 * 3 }, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1);
    const r = canonicalize(
      [{ name: "p", type: "float32", dims: [3, 6625], data: v }],
      [{ name: "p", rule: { op: "argmax" } }],
      0,
    );
    const want = [0, 1, 2].map((row) => {
      let best = 0;
      for (let i = 1; i < 6625; i++) if (v[row * 6625 + i] > v[row * 6625 + best]) best = i;
      return best;
    });
    assert.equal(r.canonical, `{"outputs":[{"name":"p","dims":[3],"data":[${want.join(",")}]}]}`);
  });

  it("int64 outputs beyond 2^53 - 1 are decimal strings, on both signs", () => {
    const r = canonicalize(
      [
        {
          name: "a",
          type: "int64",
          dims: [3],
          data: BigInt64Array.from([-(2n ** 53n), 2n ** 53n - 1n, -(2n ** 53n - 1n)]),
        },
      ],
      [{ name: "a", rule: { op: "int" } }],
      1e-6,
    );
    assert.equal(
      r.canonical,
      '{"outputs":[{"name":"a","dims":[3],"data":["-9007199254740992",9007199254740991,-9007199254740991]}]}',
    );
    assert.equal(r.margin, Infinity);
  });

  it("shape problems that depend on the input give INVALID_INPUT", () => {
    const topk = canonicalize([f32("s", [2], [1, 2])], [{ name: "s", rule: { op: "topk", k: 3 } }], 1e-6);
    assert.equal(topk.result, "INVALID_INPUT");
    assert.match(topk.reason ?? "", /k=3 exceeds the last axis length 2/);
    const empty = canonicalize([f32("s", [2, 0], [])], [{ name: "s", rule: { op: "argmax" } }], 1e-6);
    assert.equal(empty.result, "INVALID_INPUT");
  });

  it("a spec that does not fit the outputs throws OutputRuleError (a spec bug, not a result)", () => {
    assert.throws(
      () => canonicalize([f32("y", [1], [1])], [{ name: "y", rule: { op: "int" } }], 1e-6),
      OutputRuleError,
    );
    const strings = { name: "s", type: "string", dims: [2], data: ["a", "b"] } as unknown as RawOutput;
    assert.throws(
      () => canonicalize([strings], [{ name: "s", rule: { op: "argmax" } }], 1e-6),
      /needs a numeric tensor/,
    );
    assert.throws(
      () => canonicalize([f32("y", [1], [1])], [{ name: "z", rule: { op: "argmax" } }], 1e-6),
      /did not return it/,
    );
    assert.throws(
      () => canonicalize([f32("y", [], [1])], [{ name: "y", rule: { op: "argmax" } }], 1e-6),
      /needs at least one axis/,
    );
    assert.throws(
      () => canonicalize([f32("y", [3], [1])], [{ name: "y", rule: { op: "argmax" } }], 1e-6),
      /1 values for dims \[3\]/,
    );
  });

  it("ignores outputs the spec does not list, even if they are NaN", () => {
    const r = canonicalize(
      [f32("a", [1], [1]), f32("junk", [1], [NaN])],
      [{ name: "a", rule: { op: "round", decimals: 0 } }],
      1e-6,
    );
    assert.equal(r.result, "ok");
  });
});
