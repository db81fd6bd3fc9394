import { hexToBytes, keccak256, type Hex } from "viem";
import { assertUint256 } from "./bytes.ts";
import {
  SALT_TYPES,
  taskManagerDomain,
  toLocalAccount,
  type NodeSigner,
  type TaskManagerDomainInput,
} from "./eip712.ts";
import { ProtocolEncodingError } from "./errors.ts";

/** secp256k1 group order n, and n/2 for the low-s check. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const SECP256K1_HALF_N = SECP256K1_N >> 1n;

/** The parts of a 65-byte `r ‖ s ‖ v` signature, normalised to low s and v ∈ {27, 28}. */
export interface SaltSignature {
  r: Hex;
  s: Hex;
  v: 27 | 28;
}

/**
 * Splits a 65-byte signature and normalises it: v 0/1 becomes 27/28, and a high s is replaced
 * by n − s with v flipped (the same signature in its canonical, low-s form).
 */
export function normalizeSignature(signature: Hex): SaltSignature {
  const b = hexToBytes(signature);
  if (b.length !== 65) throw new ProtocolEncodingError("signature", `must be 65 bytes, got ${b.length}`);
  const r = `0x${Buffer.from(b.subarray(0, 32)).toString("hex")}` as Hex;
  let s = BigInt(`0x${Buffer.from(b.subarray(32, 64)).toString("hex")}`);
  let v = b[64];
  if (v === 0 || v === 1) v += 27;
  if (v !== 27 && v !== 28) throw new ProtocolEncodingError("signature", `has v = ${v}, expected 27 or 28`);
  if (s > SECP256K1_HALF_N) {
    s = SECP256K1_N - s;
    v = v === 27 ? 28 : 27;
  }
  return { r, s: `0x${s.toString(16).padStart(64, "0")}` as Hex, v: v as 27 | 28 };
}

/**
 * A node's salt for a task (PROTOCOL.md §7): derived, never stored. The node key signs the
 * EIP-712 message `Salt(uint256 taskId)` in the TaskManager's domain deterministically
 * (RFC 6979, low s, v ∈ {27, 28}); `salt = keccak256(abi.encodePacked(r, s, v))`. A restarted
 * bot re-derives the same salt and can always reveal.
 *
 * The account must be a local key (viem's `privateKeyToAccount`, whose signatures are RFC 6979
 * deterministic): a remote signer may add randomness and would give a salt it cannot re-derive.
 */
export async function deriveSalt(
  account: NodeSigner,
  domain: TaskManagerDomainInput,
  taskId: bigint,
): Promise<Hex> {
  const local = toLocalAccount(account);
  const signature = await local.signTypedData({
    domain: taskManagerDomain(domain),
    types: SALT_TYPES,
    primaryType: "Salt",
    message: { taskId: assertUint256("taskId", taskId) },
  });
  return saltFromSignature(signature);
}

/** `keccak256(abi.encodePacked(r, s, v))` of a signature, after normalisation. */
export function saltFromSignature(signature: Hex): Hex {
  const { r, s, v } = normalizeSignature(signature);
  const packed = new Uint8Array(65);
  packed.set(hexToBytes(r), 0);
  packed.set(hexToBytes(s), 32);
  packed[64] = v;
  return keccak256(packed);
}
