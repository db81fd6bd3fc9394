// Opens the sealed-output vectors with Node's own crypto (OpenSSL X25519, HKDF and
// ChaCha20-Poly1305) plus a 20-line HChaCha20, so the vectors are checked by a second
// implementation, not only by the @noble code that wrote them.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, hkdfSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { hexToBytes } from "viem";
import type { ProtocolVectors } from "../../support/vectors.ts";

const vectors = JSON.parse(readFileSync("test/vectors/protocol.json", "utf8")) as ProtocolVectors;
const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");

function hchacha20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const s = new Uint32Array(16);
  s.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
  const kv = new DataView(key.buffer, key.byteOffset, 32);
  const nv = new DataView(nonce16.buffer, nonce16.byteOffset, 16);
  for (let i = 0; i < 8; i++) s[4 + i] = kv.getUint32(i * 4, true);
  for (let i = 0; i < 4; i++) s[12 + i] = nv.getUint32(i * 4, true);
  const rotl = (x: number, n: number) => ((x << n) | (x >>> (32 - n))) >>> 0;
  const qr = (a: number, b: number, c: number, d: number) => {
    s[a] += s[b];
    s[d] = rotl(s[d] ^ s[a], 16);
    s[c] += s[d];
    s[b] = rotl(s[b] ^ s[c], 12);
    s[a] += s[b];
    s[d] = rotl(s[d] ^ s[a], 8);
    s[c] += s[d];
    s[b] = rotl(s[b] ^ s[c], 7);
  };
  for (let i = 0; i < 10; i++) {
    qr(0, 4, 8, 12);
    qr(1, 5, 9, 13);
    qr(2, 6, 10, 14);
    qr(3, 7, 11, 15);
    qr(0, 5, 10, 15);
    qr(1, 6, 11, 12);
    qr(2, 7, 8, 13);
    qr(3, 4, 9, 14);
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  [0, 1, 2, 3, 12, 13, 14, 15].forEach((w, i) => ov.setUint32(i * 4, s[w], true));
  return out;
}

describe("sealed-output vectors, opened with node:crypto", () => {
  it("decrypt to salt ‖ canonical with the layout and key schedule of PROTOCOL.md §7", () => {
    for (const v of vectors.sealed) {
      const sealed = hexToBytes(v.sealed);
      const epk = sealed.subarray(0, 32);
      const nonce = sealed.subarray(32, 56);
      const ct = sealed.subarray(56, sealed.length - 16);
      const tag = sealed.subarray(sealed.length - 16);
      const privateKey = createPrivateKey({
        key: {
          kty: "OKP",
          crv: "X25519",
          d: b64u(hexToBytes(v.resultPrivateKey)),
          x: b64u(hexToBytes(v.resultKey)),
        },
        format: "jwk",
      });
      const publicKey = createPublicKey({ key: { kty: "OKP", crv: "X25519", x: b64u(epk) }, format: "jwk" });
      const shared = diffieHellman({ privateKey, publicKey });
      const info = Buffer.concat([
        Buffer.from("omnitensor/sealed-output/v1", "ascii"),
        Buffer.from(BigInt(v.taskId).toString(16).padStart(64, "0"), "hex"),
        Buffer.from(v.node.slice(2), "hex"),
      ]);
      assert.equal(info.length, 27 + 32 + 20);
      const key = new Uint8Array(hkdfSync("sha256", shared, Buffer.alloc(0), info, 32));
      const subkey = hchacha20(key, nonce.subarray(0, 16));
      const ietfNonce = Buffer.concat([Buffer.alloc(4), nonce.subarray(16, 24)]);
      const d = createDecipheriv("chacha20-poly1305", subkey, ietfNonce, { authTagLength: 16 });
      d.setAuthTag(tag);
      const plain = Buffer.concat([d.update(ct), d.final()]);
      assert.equal(`0x${plain.subarray(0, 32).toString("hex")}`, v.salt, `task ${v.taskId}: salt`);
      assert.equal(plain.subarray(32).toString("utf8"), v.canonical, `task ${v.taskId}: canonical`);
    }
  });
});
