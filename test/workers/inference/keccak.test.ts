import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { keccak256, stringToBytes, type Hex } from "viem";
import { keccak256Hex, keccak256Noble, keccakReady } from "../../../workers/src/inference/keccak.ts";
import { CanonicalWriter } from "../../../workers/src/inference/canonical-writer.ts";
import { prng } from "../../support/safetensors.ts";

const vectorTexts = (file: string) =>
  (
    JSON.parse(readFileSync(new URL(`../../vectors/${file}`, import.meta.url), "utf8")) as {
      vectors: { expected: { canonical: string; outputHash: Hex } }[];
    }
  ).vectors.map((v) => v.expected);

describe("keccak256 of canonical outputs (WebAssembly, checked against viem)", () => {
  it("gives viem's keccak256 on the shared vectors", async () => {
    assert.equal(await keccakReady, true, "the WASM hasher loads");
    const all = [...vectorTexts("canonical.json"), ...vectorTexts("input-encodings.json")];
    assert.ok(all.length > 25);
    for (const { canonical, outputHash } of all) {
      const bytes = stringToBytes(canonical);
      assert.equal(keccak256Hex(bytes), outputHash);
      assert.equal(keccak256(bytes), outputHash);
    }
  });

  it("gives viem's keccak256 at every length around the 136-byte rate and on large outputs", async () => {
    await keccakReady;
    const rand = prng(99);
    const sizes = [...Array.from({ length: 300 }, (_, i) => i), 1_000, 65_536, 1_000_003];
    for (const n of sizes) {
      const b = new Uint8Array(n).map(() => Math.floor(rand() * 256));
      const want = keccak256(b);
      assert.equal(keccak256Hex(b), want, `length ${n}`);
      if (n < 2000) assert.equal(keccak256Noble(b), want);
    }
  });
});

describe("CanonicalWriter", () => {
  it("writes integers as the string formatting of §7 would (digits, -0 as 0, quoted beyond 2^53)", () => {
    const rand = prng(5);
    const values: number[] = [
      0,
      -0,
      1,
      -1,
      9,
      10,
      2 ** 31 - 1,
      2 ** 31,
      -(2 ** 31),
      2 ** 53 - 1,
      -(2 ** 53 - 1),
      2 ** 53,
      -(2 ** 60),
      1e21,
      1e300,
    ];
    for (let i = 0; i < 5000; i++) {
      const mag = 10 ** Math.floor(rand() * 17);
      values.push(Math.round((rand() - 0.5) * mag));
    }
    const w = new CanonicalWriter();
    w.intArray(values);
    const expected = `[${values
      .map((v) => (v === 0 ? "0" : Math.abs(v) <= Number.MAX_SAFE_INTEGER ? String(v) : `"${BigInt(v)}"`))
      .join(",")}]`;
    assert.equal(w.toString(), expected);
    const b = new CanonicalWriter();
    for (const v of [0n, -5n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 63n)]) b.bigint(v);
    assert.equal(b.toString(), '0-59007199254740991"9007199254740992""-9223372036854775808"');
    const t = new CanonicalWriter();
    t.text('{"name":"ü€𝄞"}');
    assert.equal(t.toString(), '{"name":"ü€𝄞"}');
  });
});
