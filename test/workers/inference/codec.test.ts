import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeInput, encodeInput, type DecodeResult } from "../../../workers/src/inference/codec.ts";
import { fromFloat16Bits, roundHalfEven, toFloat16Bits } from "../../../workers/src/inference/float16.ts";
import { parseModelSpec, type ModelSpec } from "../../../workers/src/inference/spec.ts";

const exec = {
  runtime: "onnxruntime",
  version: "1.x",
  graphOptimizationLevel: "disabled",
  providers: ["cpu"],
};

function spec(inputs: unknown[], maxInputBytes = 4096): ModelSpec {
  return parseModelSpec({
    inputs,
    outputs: [{ name: "y", rule: { op: "argmax" } }],
    execution: exec,
    maxInputBytes,
  } as never);
}

const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
const one = (type: string, dims: unknown, data: unknown) => ({ inputs: { x: { type, dims, data } } });

function ok(r: DecodeResult) {
  if (!r.ok) assert.fail(`expected valid input, got: ${r.reason}`);
  return r;
}
function bad(r: DecodeResult, re: RegExp) {
  if (r.ok) assert.fail(`expected INVALID_INPUT matching ${re}`);
  assert.match(r.reason, re);
}

describe("input codec", () => {
  const f32 = spec([{ name: "x", type: "float32", dims: ["N", 2] }]);

  it("decodes float32 to the nearest float32 of the JSON number", () => {
    const r = ok(decodeInput(enc(one("float32", [2, 2], [0.1, -2, 1e-45, 3.4028234663852886e38])), f32));
    const t = r.tensors[0];
    assert.ok(t.data instanceof Float32Array);
    assert.deepEqual(Array.from(t.data), [Math.fround(0.1), -2, Math.fround(1e-45), 3.4028234663852886e38]);
    assert.deepEqual(t.dims, [2, 2]);
    assert.equal(r.symbols.N, 2);
  });

  it("rejects float32 values that overflow, strings and booleans", () => {
    bad(decodeInput(enc(one("float32", [1, 2], [1, 3.5e38])), f32), /outside float32/);
    bad(decodeInput(enc(one("float32", [1, 2], [1, "2"])), f32), /\[1\]: must be a number/);
    bad(decodeInput(enc(one("float32", [1, 2], [1, true])), f32), /must be a number/);
    bad(decodeInput(enc(one("float32", [1, 2], [1, null])), f32), /must be a number/);
  });

  it("rejects malformed JSON, duplicate keys, bad UTF-8 and oversize input", () => {
    bad(decodeInput(enc('{"inputs":'), f32), /malformed JSON/);
    bad(
      decodeInput(enc('{"inputs":{"x":{"type":"float32","dims":[1,2],"data":[1,2],"data":[3,4]}}}'), f32),
      /duplicate key "data"/,
    );
    bad(decodeInput(Uint8Array.from([0xc3, 0x28]), f32), /UTF-8/);
    const small = spec([{ name: "x", type: "float32", dims: ["N", 2] }], 40);
    bad(decodeInput(enc(one("float32", [1, 2], [1.25, 2.5])), small), /maxInputBytes is 40/);
  });

  it("rejects wrong names, missing inputs, extra fields and wrong types", () => {
    bad(
      decodeInput(enc({ inputs: { z: { type: "float32", dims: [1, 2], data: [1, 2] } } }), f32),
      /inputs\.z: the model has no input/,
    );
    bad(decodeInput(enc({ inputs: {} }), f32), /inputs\.x: missing/);
    bad(
      decodeInput(enc({ inputs: { x: { type: "float32", dims: [1, 2], data: [1, 2], note: 1 } } }), f32),
      /inputs\.x\.note: unknown field/,
    );
    bad(decodeInput(enc({ ...one("float32", [1, 2], [1, 2]), extra: 1 }), f32), /extra: unknown field/);
    bad(decodeInput(enc(one("int32", [1, 2], [1, 2])), f32), /inputs\.x\.type: must be "float32"/);
    bad(decodeInput(enc([1, 2]), f32), /must be a JSON object/);
  });

  it("checks dims: rank, fixed sizes, positive sizes, element count, nested data", () => {
    bad(decodeInput(enc(one("float32", [2], [1, 2])), f32), /dims: must have 2 entries/);
    bad(decodeInput(enc(one("float32", [1, 3], [1, 2, 3])), f32), /dims\[1\]: must be 2/);
    bad(decodeInput(enc(one("float32", [0, 2], [])), f32), /dims\[0\]: must be a positive integer/);
    bad(decodeInput(enc(one("float32", [1.5, 2], [1, 2])), f32), /dims\[0\]: must be a positive integer/);
    bad(decodeInput(enc(one("float32", [2, 2], [1, 2, 3])), f32), /has 3 values, dims need 4/);
    bad(decodeInput(enc(one("float32", [1, 2], [[1, 2]])), f32), /has 1 values/);
  });

  it("holds a symbolic dim to one size across inputs", () => {
    const s = spec([
      { name: "a", type: "float32", dims: ["N", 2] },
      { name: "b", type: "float32", dims: ["N"] },
    ]);
    ok(
      decodeInput(
        enc({
          inputs: {
            a: { type: "float32", dims: [2, 2], data: [1, 2, 3, 4] },
            b: { type: "float32", dims: [2], data: [1, 2] },
          },
        }),
        s,
      ),
    );
    bad(
      decodeInput(
        enc({
          inputs: {
            a: { type: "float32", dims: [2, 2], data: [1, 2, 3, 4] },
            b: { type: "float32", dims: [3], data: [1, 2, 3] },
          },
        }),
        s,
      ),
      /inputs\.b\.dims\[0\]: "N" is 2 elsewhere, not 3/,
    );
  });

  it("decodes a scalar (dims [])", () => {
    const s = spec([{ name: "x", type: "int64", dims: [] }]);
    const r = ok(decodeInput(enc(one("int64", [], [16000])), s));
    assert.deepEqual(Array.from(r.tensors[0].data as BigInt64Array), [16000n]);
    bad(decodeInput(enc(one("int64", [], [])), s), /has 0 values, dims need 1/);
  });

  it("int64: safe integers as numbers, anything in int64 as decimal strings", () => {
    const s = spec([{ name: "x", type: "int64", dims: [5] }]);
    const r = ok(
      decodeInput(
        enc(
          one(
            "int64",
            [5],
            [9007199254740991, -9007199254740991, "9223372036854775807", "-9223372036854775808", 1.0],
          ),
        ),
        s,
      ),
    );
    assert.deepEqual(Array.from(r.tensors[0].data as BigInt64Array), [
      2n ** 53n - 1n,
      -(2n ** 53n - 1n),
      2n ** 63n - 1n,
      -(2n ** 63n),
      1n,
    ]);
    bad(
      decodeInput(enc('{"inputs":{"x":{"type":"int64","dims":[5],"data":[9007199254740992,0,0,0,0]}}}'), s),
      /not an integer within/,
    );
    bad(decodeInput(enc(one("int64", [5], [1.5, 0, 0, 0, 0])), s), /not an integer/);
    bad(decodeInput(enc(one("int64", [5], ["9223372036854775808", 0, 0, 0, 0])), s), /outside int64/);
    bad(decodeInput(enc(one("int64", [5], ["01", 0, 0, 0, 0])), s), /not a decimal integer/);
    bad(decodeInput(enc(one("int64", [5], ["-0", 0, 0, 0, 0])), s), /not a decimal integer/);
    bad(decodeInput(enc(one("int64", [5], ["1e3", 0, 0, 0, 0])), s), /not a decimal integer/);
    bad(decodeInput(enc(one("int64", [5], [" 1", 0, 0, 0, 0])), s), /not a decimal integer/);
    bad(decodeInput(enc(one("int64", [5], [true, 0, 0, 0, 0])), s), /integer or a decimal string/);
  });

  it("int32 and uint8: integers within the type, no strings", () => {
    const i32 = spec([{ name: "x", type: "int32", dims: [2] }]);
    assert.deepEqual(
      Array.from(
        ok(decodeInput(enc(one("int32", [2], [-2147483648, 2147483647])), i32)).tensors[0].data as Int32Array,
      ),
      [-2147483648, 2147483647],
    );
    bad(decodeInput(enc(one("int32", [2], [2147483648, 0])), i32), /outside int32/);
    bad(decodeInput(enc(one("int32", [2], ["1", 0])), i32), /must be an integer/);
    bad(decodeInput(enc(one("int32", [2], [0.5, 0])), i32), /must be an integer/);
    const u8 = spec([{ name: "x", type: "uint8", dims: [2] }]);
    assert.deepEqual(
      Array.from(ok(decodeInput(enc(one("uint8", [2], [0, 255])), u8)).tensors[0].data as Uint8Array),
      [0, 255],
    );
    bad(decodeInput(enc(one("uint8", [2], [256, 0])), u8), /outside uint8/);
    bad(decodeInput(enc(one("uint8", [2], [-1, 0])), u8), /outside uint8/);
  });

  it("bool: true and false only", () => {
    const s = spec([{ name: "x", type: "bool", dims: [2] }]);
    assert.deepEqual(
      Array.from(ok(decodeInput(enc(one("bool", [2], [true, false])), s)).tensors[0].data as Uint8Array),
      [1, 0],
    );
    bad(decodeInput(enc(one("bool", [2], [1, 0])), s), /true or false/);
  });

  it("float16: rounds to the nearest half (ties to even) and rejects overflow", () => {
    const s = spec([{ name: "x", type: "float16", dims: [4] }]);
    const r = ok(decodeInput(enc(one("float16", [4], [1, -2.25, 65504, 1 + 2 ** -11])), s));
    const bits = Array.from(r.tensors[0].data as Uint16Array);
    assert.deepEqual(bits, [0x3c00, 0xc080, 0x7bff, 0x3c00]); // 1 + 2^-11 is a tie: rounds to even (1)
    bad(decodeInput(enc(one("float16", [4], [65520, 0, 0, 0])), s), /outside float16/);
  });

  it("ranges: inclusive, compared after conversion, per type", () => {
    const s = spec([
      { name: "f", type: "float32", dims: [2], range: [-1, 1] },
      { name: "i", type: "int64", dims: [1], range: ["-5", "9007199254740993"] },
    ]);
    const input = (f: unknown[], i: unknown[]) =>
      enc({
        inputs: { f: { type: "float32", dims: [2], data: f }, i: { type: "int64", dims: [1], data: i } },
      });
    ok(decodeInput(input([-1, 1], ["9007199254740993"]), s));
    ok(decodeInput(input([1.00000001, -1], [-5]), s)); // rounds to 1 in float32
    bad(
      decodeInput(input([1.0001, 0], [0]), s),
      /inputs\.f\.data\[0\]: 1\.0001 is outside the range \[-1, 1\]/,
    );
    bad(decodeInput(input([0, 0], ["9007199254740994"]), s), /inputs\.i\.data\[0\].*outside the range/);
    bad(decodeInput(input([0, 0], [-6]), s), /outside the range/);
  });

  it("encodeInput round-trips through decodeInput", () => {
    const s = spec([
      { name: "a", type: "int64", dims: [2] },
      { name: "b", type: "float32", dims: [2] },
    ]);
    const text = encodeInput([
      { name: "a", type: "int64", dims: [2], data: BigInt64Array.from([2n ** 60n, -3n]) },
      { name: "b", type: "float32", dims: [2], data: [0.5, 2] },
    ]);
    assert.equal(
      text,
      '{"inputs":{"a":{"type":"int64","dims":[2],"data":["1152921504606846976",-3]},"b":{"type":"float32","dims":[2],"data":[0.5,2]}}}',
    );
    ok(decodeInput(enc(text), s));
  });
});

describe("float16 and rounding helpers", () => {
  it("converts to and from half precision", () => {
    for (const [x, bits] of [
      [0, 0],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [2 ** -24, 0x0001],
      [2 ** -14, 0x0400],
      [0.333251953125, 0x3555],
    ] as const) {
      assert.equal(toFloat16Bits(x), bits, `toFloat16Bits(${x})`);
      assert.equal(fromFloat16Bits(bits), x);
    }
    assert.equal(toFloat16Bits(65520), 0x7c00);
    assert.equal(toFloat16Bits(2 ** -25), 0); // tie between 0 and the smallest subnormal: even (0)
    assert.equal(toFloat16Bits(3 * 2 ** -25), 0x0002); // tie between 1 and 2 subnormal steps: even (2)
    assert.ok(Number.isNaN(fromFloat16Bits(0x7e00)));
  });

  it("rounds half to even", () => {
    assert.deepEqual(
      [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001].map(roundHalfEven),
      [0, 2, 2, -0, -2, -2, 2, 3],
    );
  });
});
