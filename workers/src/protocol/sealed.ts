import { x25519 } from "@noble/curves/ed25519.js";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "node:crypto";
import { bytesToHex, hexToBytes, type Address, type Hex } from "viem";
import { assertAddress, assertBytes32, assertUint256, concatBytes, toBytes, uint256Bytes } from "./bytes.ts";
import { ProtocolEncodingError, SealedOutputError } from "./errors.ts";

/** The HKDF `info` prefix of sealed outputs (PROTOCOL.md §7). */
export const SEALED_OUTPUT_INFO = "omnitensor/sealed-output/v1";
/** Byte lengths of the sealed layout `ephemeralPublicKey(32) ‖ nonce(24) ‖ ciphertext`. */
export const EPHEMERAL_KEY_BYTES = 32;
export const NONCE_BYTES = 24;
/** Poly1305 tag appended to the ciphertext. */
export const TAG_BYTES = 16;
/** The smallest possible sealed output: a salt and empty canonical bytes. */
export const MIN_SEALED_BYTES = EPHEMERAL_KEY_BYTES + NONCE_BYTES + 32 + TAG_BYTES;

/** A requester's result key pair: `publicKey` is the on-chain `resultKey` (bytes32). */
export interface ResultKeyPair {
  /** X25519 secret key, 32 bytes hex. Keep it: it opens every sealed output of your tasks. */
  privateKey: Hex;
  /** X25519 public key, 32 bytes hex: pass it as `TaskRequest.resultKey`. */
  publicKey: Hex;
}

/** What a sealed output holds. */
export interface OpenedOutput {
  /** The node's salt for this task (lets the requester recompute its commitment and reveal for it). */
  salt: Hex;
  /** The canonical output bytes (UTF-8 JSON) whose keccak256 is the output hash. */
  canonical: Uint8Array;
}

/** Creates a fresh result key pair (or the pair of a given secret key). */
export function generateResultKey(privateKey?: Hex): ResultKeyPair {
  const sk =
    privateKey === undefined
      ? x25519.utils.randomSecretKey()
      : hexToBytes(assertBytes32("privateKey", privateKey));
  return { privateKey: bytesToHex(sk), publicKey: bytesToHex(x25519.getPublicKey(sk)) };
}

/** The public key (resultKey) of an X25519 secret key. */
export function resultKeyOf(privateKey: Hex): Hex {
  return bytesToHex(x25519.getPublicKey(hexToBytes(assertBytes32("privateKey", privateKey))));
}

/** HKDF-SHA256(shared, salt = empty, info = prefix ‖ taskId(32, BE) ‖ node(20)), 32 bytes. */
function deriveKey(shared: Uint8Array, taskId: bigint, node: Address): Uint8Array {
  const info = concatBytes(
    new TextEncoder().encode(SEALED_OUTPUT_INFO),
    uint256Bytes(taskId),
    hexToBytes(node),
  );
  return hkdf(sha256, shared, new Uint8Array(0), info, 32);
}

function sharedSecret(secretKey: Uint8Array, publicKey: Uint8Array, what: string): Uint8Array {
  try {
    return x25519.getSharedSecret(secretKey, publicKey);
  } catch (e) {
    throw new SealedOutputError(`${what}: not a usable X25519 public key`, "BAD_KEY", { cause: e });
  }
}

/**
 * Seals a node's result to the requester's `resultKey` (PROTOCOL.md §7): X25519 with a fresh
 * ephemeral key, XChaCha20-Poly1305 under HKDF-SHA256 of the shared secret, bound to the task
 * and the node. Returns `ephemeralPublicKey(32) ‖ nonce(24) ‖ ciphertext` as hex; the plaintext
 * is `salt(32) ‖ canonical bytes`.
 *
 * `opts.ephemeralSecretKey` and `opts.nonce` exist for fixed test vectors only: reusing them
 * in production breaks the encryption.
 */
export function sealOutput(
  resultKey: Hex,
  taskId: bigint,
  node: Address,
  salt: Hex,
  canonical: Uint8Array | string,
  opts: { ephemeralSecretKey?: Hex; nonce?: Hex } = {},
): Hex {
  const recipient = hexToBytes(assertBytes32("resultKey", resultKey));
  const id = assertUint256("taskId", taskId);
  const nodeAddr = assertAddress("node", node);
  const saltBytes = hexToBytes(assertBytes32("salt", salt));
  const body =
    typeof canonical === "string" ? new TextEncoder().encode(canonical) : toBytes("canonical", canonical);
  const esk =
    opts.ephemeralSecretKey === undefined
      ? x25519.utils.randomSecretKey()
      : hexToBytes(assertBytes32("ephemeralSecretKey", opts.ephemeralSecretKey));
  const nonce = opts.nonce === undefined ? new Uint8Array(randomBytes(NONCE_BYTES)) : hexToBytes(opts.nonce);
  if (nonce.length !== NONCE_BYTES) throw new ProtocolEncodingError("nonce", `must be ${NONCE_BYTES} bytes`);
  const epk = x25519.getPublicKey(esk);
  const key = deriveKey(sharedSecret(esk, recipient, "resultKey"), id, nodeAddr);
  const ciphertext = xchacha20poly1305(key, nonce).encrypt(concatBytes(saltBytes, body));
  return bytesToHex(concatBytes(epk, nonce, ciphertext));
}

/**
 * Opens a sealed output with the requester's result private key. Throws `SealedOutputError`
 * when it is too short (`TOO_SHORT`), was sealed to another key, task or node, or was tampered
 * with (`DECRYPT_FAILED`).
 */
export function openSealedOutput(
  privateKey: Hex,
  taskId: bigint,
  node: Address,
  sealed: Hex | Uint8Array,
): OpenedOutput {
  const sk = hexToBytes(assertBytes32("privateKey", privateKey));
  const id = assertUint256("taskId", taskId);
  const nodeAddr = assertAddress("node", node);
  const bytes = toBytes("sealed", sealed);
  if (bytes.length < MIN_SEALED_BYTES)
    throw new SealedOutputError(
      `sealed output is ${bytes.length} bytes; at least ${MIN_SEALED_BYTES} expected (key 32 + nonce 24 + salt 32 + tag 16)`,
      "TOO_SHORT",
    );
  const epk = bytes.subarray(0, EPHEMERAL_KEY_BYTES);
  const nonce = bytes.subarray(EPHEMERAL_KEY_BYTES, EPHEMERAL_KEY_BYTES + NONCE_BYTES);
  const ciphertext = bytes.subarray(EPHEMERAL_KEY_BYTES + NONCE_BYTES);
  const key = deriveKey(sharedSecret(sk, epk, "sealed output ephemeral key"), id, nodeAddr);
  let plain: Uint8Array;
  try {
    plain = xchacha20poly1305(key, nonce).decrypt(ciphertext);
  } catch (e) {
    throw new SealedOutputError(
      `sealed output of node ${nodeAddr} for task ${id} does not decrypt: sealed to another key, task or node, or altered`,
      "DECRYPT_FAILED",
      { cause: e },
    );
  }
  return { salt: bytesToHex(plain.subarray(0, 32)), canonical: plain.slice(32) };
}
