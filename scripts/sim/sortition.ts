/**
 * The sortition of PROTOCOL.md §4, computed off-chain as the bots do (a seed is known from block
 * b + 2: keccak256(abi.encode(blockhash(b + 1), taskId, kind))), and what it predicts for a share
 * of colluding nodes. The simulation checks its ranks against the contract's `rankOf`.
 */
import { encodeAbiParameters, hexToBigInt, keccak256, type Address, type Hex } from "viem";

export const KIND = { seat: 1, verifier: 2, jury: 3 } as const;

export function seedOf(blockHashAfter: Hex, taskId: bigint, kind: number): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "uint256" }, { type: "uint8" }],
      [blockHashAfter, taskId, kind],
    ),
  );
}

/** keccak256(abi.encode(seed, node, kind)) as a number: taken modulo C (seats) or V (verifiers, jurors). */
export function drawOf(seed: Hex, node: Address, kind: number): bigint {
  return hexToBigInt(
    keccak256(
      encodeAbiParameters([{ type: "bytes32" }, { type: "address" }, { type: "uint8" }], [seed, node, kind]),
    ),
  );
}

/** The seat threshold at step s: seatFactor · k · 2^s (saturating at C). */
export function seatThreshold(seatFactor: bigint, k: bigint, step: bigint, C: bigint): bigint {
  if (step >= 255n) return C;
  const t = seatFactor * k * (1n << step);
  return t > C ? C : t;
}

/** C(n, k) as a float. */
function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 0; i < k; i++) r = (r * (n - i)) / (i + 1);
  return r;
}

/**
 * The chance that a task ends with the colluders' wrong hash accepted without a dispute: all k
 * seats go to colluders (the k best ranks are a uniform k-subset of the C compute nodes) and none
 * of the other validators is drawn as a sampled verifier (each with probability E / V).
 * Every node holds both roles in the simulation, so the non-colluding validators are V − a.
 */
export function predictedWrong(a: number, C: number, V: number, k: number, E: number): number {
  if (C === 0 || V === 0) return 0;
  const allSeats = choose(a, k) / choose(C, k);
  const noHonestVerifier = Math.pow(Math.max(0, 1 - E / V), Math.max(0, V - a));
  return allSeats * noHonestVerifier;
}
