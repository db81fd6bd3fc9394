import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, hexToBytes, keccak256, toHex, type Address, type Hex } from "viem";
import {
  MIN_SEALED_BYTES,
  OmniTensorError,
  ProtocolEncodingError,
  SealedOutputError,
  generateResultKey,
  openSealedOutput,
  resultKeyOf,
  sealOutput,
} from "../../../workers/src/protocol/index.ts";

const node: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const other: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const salt = keccak256(toHex("salt"));
const canonical = '{"outputs":[{"name":"label","dims":[1],"data":[7]}]}';

function assertSealedError(fn: () => unknown, reason: SealedOutputError["reason"]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SealedOutputError, `expected SealedOutputError, got ${String(e)}`);
    assert.ok(e instanceof OmniTensorError);
    assert.equal(e.reason, reason);
    return true;
  });
}

describe("sealed outputs (X25519 + HKDF-SHA256 + XChaCha20-Poly1305)", () => {
  it("generateResultKey gives a 32-byte key pair whose public key matches resultKeyOf", () => {
    const k = generateResultKey();
    assert.match(k.privateKey, /^0x[0-9a-f]{64}$/);
    assert.match(k.publicKey, /^0x[0-9a-f]{64}$/);
    assert.equal(resultKeyOf(k.privateKey), k.publicKey);
    assert.notEqual(generateResultKey().privateKey, k.privateKey, "fresh keys differ");
    assert.deepEqual(generateResultKey(k.privateKey), k, "a given secret key gives its own pair");
  });

  it("round-trips salt and canonical bytes, with a fresh ephemeral key and nonce each time", () => {
    const k = generateResultKey();
    const a = sealOutput(k.publicKey, 5n, node, salt, canonical);
    const b = sealOutput(k.publicKey, 5n, node, salt, new TextEncoder().encode(canonical));
    assert.notEqual(a, b, "two seals of the same output differ");
    for (const s of [a, b]) {
      const opened = openSealedOutput(k.privateKey, 5n, node, s);
      assert.equal(opened.salt, salt);
      assert.equal(new TextDecoder().decode(opened.canonical), canonical);
    }
    // layout: 32 + 24 + (32 + len) + 16
    assert.equal(hexToBytes(a).length, 32 + 24 + 32 + canonical.length + 16);
    // the bytes form opens too
    assert.equal(openSealedOutput(k.privateKey, 5n, node, hexToBytes(a)).salt, salt);
  });

  it("refuses another key, another task, another node, or an altered byte", () => {
    const k = generateResultKey();
    const sealed = sealOutput(k.publicKey, 9n, node, salt, canonical);
    assertSealedError(
      () => openSealedOutput(generateResultKey().privateKey, 9n, node, sealed),
      "DECRYPT_FAILED",
    );
    assertSealedError(() => openSealedOutput(k.privateKey, 10n, node, sealed), "DECRYPT_FAILED");
    assertSealedError(() => openSealedOutput(k.privateKey, 9n, other, sealed), "DECRYPT_FAILED");
    const bytes = hexToBytes(sealed);
    for (const i of [0, 40, bytes.length - 1]) {
      const t = bytes.slice();
      t[i] ^= 1;
      assertSealedError(() => openSealedOutput(k.privateKey, 9n, node, bytesToHex(t)), "DECRYPT_FAILED");
    }
  });

  it("says TOO_SHORT below the smallest possible sealed output", () => {
    const k = generateResultKey();
    assertSealedError(() => openSealedOutput(k.privateKey, 1n, node, "0x"), "TOO_SHORT");
    assertSealedError(
      () => openSealedOutput(k.privateKey, 1n, node, bytesToHex(new Uint8Array(MIN_SEALED_BYTES - 1))),
      "TOO_SHORT",
    );
    // an empty canonical output is the minimum and still opens
    const s = sealOutput(k.publicKey, 1n, node, salt, "");
    assert.equal(hexToBytes(s).length, MIN_SEALED_BYTES);
    assert.equal(openSealedOutput(k.privateKey, 1n, node, s).canonical.length, 0);
  });

  it("names the bad field for wrong lengths", () => {
    const k = generateResultKey();
    const cases: [string, () => unknown][] = [
      ["resultKey", () => sealOutput("0x1234", 1n, node, salt, canonical)],
      ["salt", () => sealOutput(k.publicKey, 1n, node, "0x00", canonical)],
      ["node", () => sealOutput(k.publicKey, 1n, "0x1234" as Address, salt, canonical)],
      ["taskId", () => sealOutput(k.publicKey, -1n, node, salt, canonical)],
      ["nonce", () => sealOutput(k.publicKey, 1n, node, salt, canonical, { nonce: "0x00" })],
      ["privateKey", () => openSealedOutput("0x00" as Hex, 1n, node, "0x")],
    ];
    for (const [field, fn] of cases)
      assert.throws(
        fn,
        (e: unknown) =>
          e instanceof ProtocolEncodingError && e.field === field && e.message.startsWith(field),
      );
  });

  it("refuses a low-order result key (all-zero shared secret) as BAD_KEY", () => {
    assertSealedError(() => sealOutput(`0x${"00".repeat(32)}`, 1n, node, salt, canonical), "BAD_KEY");
  });
});
