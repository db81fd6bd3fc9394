/**
 * keccak256 for canonical outputs: hash-wasm's WebAssembly Keccak (about 10× @noble/hashes on
 * 200 kB here), with @noble/hashes (the library viem uses) until the WASM module is compiled
 * (it starts compiling when this module loads; `keccakReady` resolves when it is in use) or
 * wherever WebAssembly is missing. Both give the same bytes; the tests check them against
 * viem's `keccak256` on the shared vectors.
 */
import type { Hex } from "viem";
import { createKeccak, type IHasher } from "hash-wasm";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "@noble/hashes/utils.js";

let wasm: IHasher | undefined;

/** Resolves once the WASM hasher is in use (or failed to load: the fallback stays). */
export const keccakReady: Promise<boolean> = createKeccak(256).then(
  (h) => {
    wasm = h;
    return true;
  },
  () => false,
);

/** keccak256 of `bytes` as 0x-hex. */
export function keccak256Hex(bytes: Uint8Array): Hex {
  if (wasm) {
    wasm.init();
    wasm.update(bytes);
    return `0x${wasm.digest("hex")}`;
  }
  return `0x${bytesToHex(keccak_256(bytes))}`;
}

/** keccak256 with @noble/hashes only (the reference the fast path is compared with). */
export function keccak256Noble(bytes: Uint8Array): Hex {
  return `0x${bytesToHex(keccak_256(bytes))}`;
}
