/**
 * Fuzzing the strict safetensors reader (PROTOCOL.md §7): whatever the bytes, decodeInput
 * returns (never throws, never hangs), and what it accepts obeys every rule. Seeded, so a
 * failure names the case that reproduces it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { decodeInput, encodeInput, type DecodeResult } from "../../../workers/src/inference/codec.ts";
import { encodeSafetensors } from "../../../workers/src/sdk/safetensors.ts";
import { ALL_TYPES_SPEC, ALL_TYPES_TENSORS, prng, rawSafetensors } from "../../support/safetensors.ts";

const spec = ALL_TYPES_SPEC;
const VALID = encodeSafetensors(ALL_TYPES_TENSORS);

function decode(bytes: Uint8Array, label: string): DecodeResult {
  let r: DecodeResult;
  try {
    r = decodeInput(bytes, spec);
  } catch (err) {
    assert.fail(`${label}: threw ${(err as Error).stack}`);
  }
  if (r.ok) checkAccepted(r, label);
  else assert.equal(typeof r.reason, "string", label);
  return r;
}

/** What an accepted input must satisfy whatever the bytes were. */
function checkAccepted(r: Extract<DecodeResult, { ok: true }>, label: string): void {
  assert.deepEqual(
    r.tensors.map((t) => t.name),
    spec.inputs.map((s) => s.name),
    label,
  );
  for (const t of r.tensors) {
    const count = t.dims.reduce((a, b) => a * b, 1);
    assert.equal(t.data.length, count, label);
    assert.ok(
      t.dims.every((d) => Number.isSafeInteger(d) && d > 0),
      label,
    );
    if (t.type === "float32")
      assert.ok(
        [...(t.data as Float32Array)].every((x) => Number.isFinite(x)),
        label,
      );
    if (t.type === "float16")
      assert.ok(
        [...(t.data as Uint16Array)].every((b) => (b & 0x7c00) !== 0x7c00),
        label,
      );
    if (t.type === "bool")
      assert.ok(
        [...(t.data as Uint8Array)].every((b) => b <= 1),
        label,
      );
    if (t.name === "u")
      assert.ok(
        [...(t.data as Uint8Array)].every((b) => b <= 200),
        label,
      );
    if (t.name === "x")
      assert.ok(
        [...(t.data as Float32Array)].every((x) => x >= -10 && x <= 10),
        label,
      );
  }
  assert.equal(r.tensors[0].dims[0], r.tensors[2].dims[0], `${label}: N`);
}

const HEADER_MUTATIONS: ((
  h: Record<string, { data_offsets: number[]; shape: number[]; dtype: string }>,
) => string)[] = [
  (h) => ((h.x.data_offsets[1] += 4), JSON.stringify(h)), // gap / overlap / length
  (h) => ((h.x.data_offsets[0] -= 4), JSON.stringify(h)),
  (h) => (([h.i.data_offsets, h.j.data_offsets] = [h.j.data_offsets, h.i.data_offsets]), JSON.stringify(h)),
  (h) => ((h.u.data_offsets = [...h.b.data_offsets]), JSON.stringify(h)), // overlap
  (h) => (h.x.shape.push(1), JSON.stringify(h)),
  (h) => ((h.x.shape[0] = 0), JSON.stringify(h)),
  (h) => ((h.h.dtype = "BF16"), JSON.stringify(h)),
  (h) => JSON.stringify(h).replace('"j":', '"j":{},"j":'), // duplicate key
  (h) => JSON.stringify(h).replace("}}", '},"__metadata__":{"a":1}}'),
  (h) => JSON.stringify(h).replace('"dtype"', '"dtype":"F32","dtype"'),
  (h) => JSON.stringify(h).slice(0, -1),
  (h) => JSON.stringify(h) + "\t",
];

function headerOf(bytes: Uint8Array) {
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n)).trimEnd();
  return { n, header: JSON.parse(text), data: bytes.subarray(8 + n) };
}

describe("safetensors reader fuzz (seeded)", () => {
  it("random bytes, truncations, byte flips and header mutations never throw or hang", () => {
    const rand = prng(0x5afe7e75);
    const int = (n: number) => Math.floor(rand() * n);
    const t0 = performance.now();
    let cases = 0;
    let accepted = 0;
    const run = (bytes: Uint8Array, label: string) => {
      cases++;
      if (decode(bytes, label).ok) accepted++;
    };
    for (let k = 0; k < 3000; k++) {
      const b = new Uint8Array(int(300)).map(() => int(256));
      if (b.length > 0 && b[0] === 0x7b && rand() < 0.9) b[0] = int(0x7b);
      run(b, `random #${k}`);
    }
    for (let len = 0; len <= VALID.length; len++)
      assert.equal(decode(VALID.subarray(0, len), `truncated to ${len}`).ok, len === VALID.length);
    cases += VALID.length + 1;
    for (let k = 0; k < 5000; k++) {
      const b = VALID.slice();
      for (let f = 1 + int(3); f > 0; f--) b[int(b.length)] = int(256);
      run(b, `flipped #${k}`);
    }
    for (let k = 0; k < 500; k++) {
      const b = VALID.slice();
      new DataView(b.buffer).setUint32(int(2) * 4, int(2 ** 32), true); // header length anywhere
      run(b, `header length #${k}`);
      const extended = new Uint8Array(b.length + 1 + int(8));
      extended.set(VALID);
      assert.equal(decode(extended, `trailing #${k}`).ok, false);
      cases++;
    }
    const { header, data } = headerOf(VALID);
    HEADER_MUTATIONS.forEach((mutate, m) => {
      const text = mutate(JSON.parse(JSON.stringify(header)));
      assert.equal(
        decode(rawSafetensors(text, data), `header mutation ${m}`).ok,
        false,
        `mutation ${m}: ${text}`,
      );
      cases++;
    });
    const ms = performance.now() - t0;
    assert.ok(cases > 9000, `${cases} cases`);
    assert.ok(accepted < cases / 2, `accepted ${accepted} of ${cases}`);
    assert.ok(ms < 10_000, `${cases} cases took ${ms} ms`);
  });

  it("non-finite and out-of-domain bits are refused wherever they sit", () => {
    const rand = prng(7);
    const { n, data } = headerOf(VALID);
    const start = 8 + n;
    // x: bytes 0..12 (float32), h: 12..16 (float16), b: the last 2 bytes (bool).
    for (let k = 0; k < 300; k++) {
      const b = VALID.slice();
      const i = Math.floor(rand() * 3);
      const mantissa = Math.floor(rand() * 2 ** 23);
      new DataView(b.buffer).setUint32(
        start + 4 * i,
        (rand() < 0.5 ? 0x7f800000 : 0xff800000) | mantissa,
        true,
      );
      assert.equal(decode(b, `f32 bits #${k}`).ok, false);
      const h = VALID.slice();
      new DataView(h.buffer).setUint16(
        start + 12 + 2 * Math.floor(rand() * 2),
        0x7c00 | Math.floor(rand() * 0x400) | (rand() < 0.5 ? 0x8000 : 0),
        true,
      );
      assert.equal(decode(h, `f16 bits #${k}`).ok, false);
      const bb = VALID.slice();
      bb[start + data.length - 1 - Math.floor(rand() * 2)] = 2 + Math.floor(rand() * 254);
      assert.equal(decode(bb, `bool byte #${k}`).ok, false);
    }
  });

  it("random valid tensors decode the same from JSON and from safetensors", () => {
    const rand = prng(42);
    for (let k = 0; k < 300; k++) {
      const n = 1 + Math.floor(rand() * 4);
      const f = () => Math.fround((rand() - 0.5) * 20);
      const tensors = [
        { name: "x", type: "float32", dims: [n, 3], data: Array.from({ length: 3 * n }, f) },
        { name: "h", type: "float16", dims: [2], data: [(rand() - 0.5) * 1000, rand() * 1e-6] },
        {
          name: "i",
          type: "int64",
          dims: [n],
          data: Array.from({ length: n }, () => BigInt(Math.floor((rand() - 0.5) * 2 ** 53)) * 1025n),
        },
        { name: "j", type: "int32", dims: [], data: [Math.floor((rand() - 0.5) * 2 ** 32)] },
        { name: "u", type: "uint8", dims: [2], data: [Math.floor(rand() * 201), 0] },
        { name: "b", type: "bool", dims: [2], data: [rand() < 0.5, rand() < 0.5] },
      ] as const;
      const st = decode(encodeSafetensors(tensors), `valid #${k}`);
      const json = decode(new TextEncoder().encode(encodeInput(tensors)), `valid json #${k}`);
      assert.ok(st.ok, `valid #${k}: ${(st as { reason?: string }).reason}`);
      assert.deepEqual(st, json, `valid #${k}`);
    }
  });
});
