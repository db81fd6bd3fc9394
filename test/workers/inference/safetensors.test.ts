import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeInput, encodeInput } from "../../../workers/src/inference/codec.ts";
import { parseModelSpec, validateModelSpec } from "../../../workers/src/inference/spec.ts";
import {
  encodeSafetensors,
  isSafetensorsBytes,
  type SafetensorsTensor,
} from "../../../workers/src/sdk/safetensors.ts";
import { ALL_TYPES_SPEC, ALL_TYPES_TENSORS, f32Bytes, rawSafetensors } from "../../support/safetensors.ts";

const spec = ALL_TYPES_SPEC;
// A one-input spec for the header rules: x float32 [2], range [-1, 1].
const one = parseModelSpec({
  ...JSON.parse(JSON.stringify({ ...spec, inputs: undefined })),
  inputs: [{ name: "x", type: "float32", dims: [2], range: [-1, 1] }],
  execution: spec.execution,
});
const X = (extra = "", offsets = "[0,8]", dtype = "F32", shape = "[2]") =>
  `{"x":{"dtype":"${dtype}","shape":${shape},"data_offsets":${offsets}}${extra}}`;
const good = f32Bytes(0.5, -1);

function invalid(bytes: Uint8Array, s = one): string {
  const r = decodeInput(bytes, s);
  assert.equal(r.ok, false, "expected INVALID_INPUT");
  return (r as { reason: string }).reason;
}

describe("safetensors task input (PROTOCOL.md §7)", () => {
  it("decodes to exactly what the same tensors give as JSON", () => {
    const st = encodeSafetensors(ALL_TYPES_TENSORS);
    assert.ok(isSafetensorsBytes(st));
    assert.equal(st[0] === 0x7b, false);
    const a = decodeInput(st, spec);
    const b = decodeInput(new TextEncoder().encode(encodeInput(ALL_TYPES_TENSORS)), spec);
    assert.ok(a.ok && b.ok, `${(a as { reason?: string }).reason} / ${(b as { reason?: string }).reason}`);
    assert.deepEqual(a, b);
  });

  it("inputEncodings: default json only; with safetensors, the first byte decides", () => {
    const json = parseModelSpec({ ...one, inputEncodings: undefined });
    assert.equal(json.inputEncodings, undefined);
    const st = encodeSafetensors([{ name: "x", type: "float32", dims: [2], data: [0.5, -1] }]);
    assert.equal(decodeInput(st, one).ok, true);
    assert.match(invalid(st, json), /not valid UTF-8|malformed JSON/);
    // Leading white space is JSON for a JSON-only spec, a (bad) safetensors file otherwise.
    const text = new TextEncoder().encode(' {"inputs":{"x":{"type":"float32","dims":[2],"data":[0,1]}}}');
    assert.equal(decodeInput(text, json).ok, true);
    assert.match(invalid(text, one), /header length/);
    const stOnly = parseModelSpec({ ...one, inputEncodings: ["safetensors"] });
    assert.equal(decodeInput(st, stOnly).ok, true);
    assert.match(invalid(text.subarray(1), stOnly), /allow only safetensors/);
    for (const bad of [[], ["json", "json"], ["cbor"], "json"])
      assert.match(
        validateModelSpec({ ...JSON.parse(JSON.stringify(one)), inputEncodings: bad }).problems.join(),
        /inputEncodings: must be/,
      );
  });

  it("the header length: 8 bytes little-endian, N ≤ size − 8", () => {
    assert.match(invalid(new Uint8Array(7)), /less than the 8-byte/);
    assert.match(invalid(new Uint8Array(0)), /less than the 8-byte/);
    const f = rawSafetensors(X(), good);
    new DataView(f.buffer).setUint32(0, f.length - 7, true);
    assert.match(invalid(f), /past the end/);
    new DataView(f.buffer).setUint32(4, 1, true);
    assert.match(invalid(f), /past the end/);
  });

  it("the header: one UTF-8 JSON object, then only spaces; no duplicate keys", () => {
    assert.equal(decodeInput(rawSafetensors(X(), good, 64), one).ok, true);
    assert.match(invalid(rawSafetensors(" " + X(), good)), /one JSON object/);
    assert.match(invalid(rawSafetensors(X() + "\n", good)), /one JSON object/);
    assert.match(invalid(rawSafetensors(X() + " x", good)), /one JSON object/);
    assert.match(invalid(rawSafetensors("[" + X() + "]", good)), /one JSON object/);
    assert.match(invalid(rawSafetensors(X(',"x":1'), good)), /duplicate key "x"/);
    assert.match(invalid(rawSafetensors(X(',"\\u0078":1'), good)), /duplicate key "x"/);
    const bad = rawSafetensors(X(',"__metadata__":{"a":"é"}'), good);
    bad[bad.indexOf(0xc3)] = 0xff;
    assert.match(invalid(bad), /not valid UTF-8/);
    assert.match(invalid(rawSafetensors("{}", [])), /x: missing/);
  });

  it("keys: exactly the inputs, plus an optional __metadata__ of strings", () => {
    assert.equal(decodeInput(rawSafetensors(X(',"__metadata__":{"format":"pt"}'), good), one).ok, true);
    assert.match(
      invalid(rawSafetensors(X(',"__metadata__":{"n":1}'), good)),
      /__metadata__\.n: must be a string/,
    );
    assert.match(
      invalid(rawSafetensors(X(',"__metadata__":["a"]'), good)),
      /__metadata__: must be an object/,
    );
    assert.match(invalid(rawSafetensors(X(',"y":{}'), good)), /y: the model has no input/);
  });

  it("entries: exactly dtype, shape, data_offsets; dtype of the spec's type; dims rules", () => {
    const cases: [string, RegExp][] = [
      ['{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}}', /x\.extra: unknown field/],
      ['{"x":{"dtype":"F32","data_offsets":[0,8]}}', /x\.shape: missing/],
      ['{"x":{"dtype":"F32","shape":[2]}}', /data_offsets: must be \[begin, end\]/],
      ['{"x":[]}', /x: must be an object/],
      [X("", "[0,8]", "F64"), /x\.dtype: must be "F32"/],
      [X("", "[0,8]", "f32"), /x\.dtype/],
      [X("", "[0,8]", "F32", "[1,2]"), /x\.shape: must have 1 entries/],
      [X("", "[0,8]", "F32", "[3]"), /x\.shape\[0\]: must be 2/],
      [X("", "[0,0]", "F32", "[0]"), /x\.shape\[0\]: must be a positive integer/],
      [X("", "[0,8]", "F32", "[2.5]"), /must be a positive integer/],
      [X("", "[0,8]", "F32", '"2"'), /x\.shape: must be an array/],
      [X("", "[0,4]"), /holds 4 bytes, the shape needs 8/],
      [X("", "[0,8,9]"), /must be \[begin, end\]/],
      [X("", "[-1,7]"), /non-negative integers/],
      [X("", "[0.5,8.5]"), /non-negative integers/],
      [X("", '["0","8"]'), /non-negative integers/],
      [X("", "[8,0]"), /holds -8 bytes/],
    ];
    for (const [h, re] of cases) assert.match(invalid(rawSafetensors(h, good)), re, h);
  });

  it("the ranges tile the data exactly: no gap, no overlap, nothing after", () => {
    const two = parseModelSpec({
      ...JSON.parse(JSON.stringify(one)),
      inputs: [
        { name: "a", type: "uint8", dims: [2] },
        { name: "b", type: "uint8", dims: [2] },
      ],
    });
    const h = (a: string, b: string) =>
      `{"a":{"dtype":"U8","shape":[2],"data_offsets":${a}},"b":{"dtype":"U8","shape":[2],"data_offsets":${b}}}`;
    // Any order in the header; the data may follow it.
    assert.equal(decodeInput(rawSafetensors(h("[2,4]", "[0,2]"), [1, 2, 3, 4]), two).ok, true);
    assert.match(invalid(rawSafetensors(h("[0,2]", "[1,3]"), [1, 2, 3, 4]), two), /gap or overlap/);
    assert.match(invalid(rawSafetensors(h("[0,2]", "[0,2]"), [1, 2]), two), /gap or overlap/);
    assert.match(invalid(rawSafetensors(h("[0,2]", "[3,5]"), [1, 2, 3, 4, 5]), two), /gap or overlap/);
    assert.match(invalid(rawSafetensors(h("[1,3]", "[3,5]"), [1, 2, 3, 4, 5]), two), /gap or overlap/);
    assert.match(invalid(rawSafetensors(h("[0,2]", "[2,4]"), [1, 2, 3, 4, 5]), two), /cover 4 of 5/);
    assert.match(invalid(rawSafetensors(h("[0,2]", "[2,4]"), [1, 2, 3]), two), /cover 4 of 3/);
  });

  it("values: little-endian, floats finite, BOOL 0/1, ranges as for JSON", () => {
    const r = decodeInput(rawSafetensors(X(), [0, 0, 0, 0x3f, 0, 0, 0x80, 0xbf]), one);
    assert.ok(r.ok);
    assert.deepEqual([...r.tensors[0].data], [0.5, -1]);
    assert.match(
      invalid(rawSafetensors(X(), [0, 0, 0xc0, 0x7f, 0, 0, 0, 0])),
      /x\.data\[0\]: NaN is not finite/,
    );
    assert.match(invalid(rawSafetensors(X(), [0, 0, 0, 0, 1, 0, 0x80, 0xff])), /x\.data\[1\]: NaN/);
    assert.match(invalid(rawSafetensors(X(), [0, 0, 0x80, 0x7f, 0, 0, 0, 0])), /Infinity is not finite/);
    assert.match(invalid(rawSafetensors(X(), f32Bytes(0, 1.0000001))), /outside the range \[-1, 1\]/);
    const mk = (over: Record<string, unknown>) => {
      const t = ALL_TYPES_TENSORS.map((x) => ({ ...x, ...(x.name === over.name ? over : {}) }));
      return encodeSafetensors(t as unknown as SafetensorsTensor[]);
    };
    assert.match(
      invalid(mk({ name: "b", data: Uint8Array.from([1, 2]) }), spec),
      /b\.data\[1\]: BOOL byte 2/,
    );
    assert.match(
      invalid(mk({ name: "h", data: Uint16Array.from([0x7c00, 0]) }), spec),
      /h\.data\[0\]: Infinity/,
    );
    assert.match(invalid(mk({ name: "h", data: Uint16Array.from([0, 0x7e01]) }), spec), /h\.data\[1\]: NaN/);
    assert.match(invalid(mk({ name: "u", data: [201, 0] }), spec), /u\.data\[0\]: 201 is outside the range/);
    assert.match(invalid(mk({ name: "x", data: [0, 0, 10.5] }), spec), /x\.data\[2\]: 10\.5 is outside/);
    const ranged = parseModelSpec({
      ...JSON.parse(JSON.stringify(one)),
      inputs: [{ name: "i", type: "int64", dims: [1], range: ["-5", "9223372036854775807"] }],
    });
    const i64 = (v: bigint) => encodeSafetensors([{ name: "i", type: "int64", dims: [1], data: [v] }]);
    assert.equal(decodeInput(i64(2n ** 63n - 1n), ranged).ok, true);
    assert.match(invalid(i64(-6n), ranged), /i\.data\[0\]: -6 is outside/);
  });

  it("float32 without a range: NaN and ±Infinity still refused; unaligned bytes read as aligned", () => {
    const free = parseModelSpec({
      ...JSON.parse(JSON.stringify(one)),
      inputs: [{ name: "x", type: "float32", dims: [2] }],
    });
    assert.equal(decodeInput(rawSafetensors(X(), f32Bytes(3e38, -1e-45)), free).ok, true);
    assert.match(invalid(rawSafetensors(X(), [0, 0, 0xc0, 0x7f, 0, 0, 0, 0]), free), /x\.data\[0\]: NaN/);
    assert.match(
      invalid(rawSafetensors(X(), [0, 0, 0, 0, 0, 0, 0x80, 0xff]), free),
      /x\.data\[1\]: -Infinity/,
    );
    // The data starts at an odd offset of the buffer (header length 61, a Buffer slice at 3).
    const f = rawSafetensors(X(), f32Bytes(0.25, -0.5), 61);
    const shifted = new Uint8Array(f.length + 3);
    shifted.set(f, 3);
    const r = decodeInput(shifted.subarray(3), one);
    assert.ok(r.ok);
    assert.deepEqual([...r.tensors[0].data], [0.25, -0.5]);
  });

  it("symbolic dims take one size across inputs; maxInputBytes holds", () => {
    const t = ALL_TYPES_TENSORS.map((x) => (x.name === "i" ? { ...x, dims: [2], data: [1n, 2n] } : x));
    assert.match(
      invalid(encodeSafetensors(t as unknown as SafetensorsTensor[]), spec),
      /i\.shape\[0\]: "N" is 1 elsewhere, not 2/,
    );
    const big = encodeSafetensors([{ name: "x", type: "float32", dims: [2], data: [0, 0] }]);
    assert.match(invalid(big, { ...one, maxInputBytes: big.length - 1 }), /maxInputBytes/);
  });

  it("the writer pads to 8 bytes and starts with a byte other than {", () => {
    for (let k = 0; k < 40; k++) {
      const meta = { pad: "p".repeat(k) };
      const f = encodeSafetensors([{ name: "x", type: "float32", dims: [2], data: [0, 1] }], meta);
      const n = Number(new DataView(f.buffer).getBigUint64(0, true));
      assert.equal(n % 8, 0);
      assert.notEqual(f[0], 0x7b);
      assert.equal(decodeInput(f, one).ok, true);
    }
    assert.throws(
      () => encodeSafetensors([{ name: "x", type: "float32", dims: [3], data: [0, 1] }]),
      /need 3/,
    );
  });
});
