import { encodeAbiParameters, keccak256, type Address, type Hex } from "viem";
import { assertAddress, assertBytes32, assertUint256 } from "./bytes.ts";

const COMMITMENT_PARAMS = [
  { type: "uint256", name: "taskId" },
  { type: "address", name: "node" },
  { type: "bytes32", name: "outputHash" },
  { type: "bytes32", name: "salt" },
] as const;

/**
 * A node's commitment (PROTOCOL.md §4.5):
 * `keccak256(abi.encode(uint256 taskId, address node, bytes32 outputHash, bytes32 salt))`.
 * Bound to the node, so another node cannot copy it.
 */
export function commitmentOf(taskId: bigint, node: Address, outputHash: Hex, salt: Hex): Hex {
  return keccak256(
    encodeAbiParameters(COMMITMENT_PARAMS, [
      assertUint256("taskId", taskId),
      assertAddress("node", node),
      assertBytes32("outputHash", outputHash),
      assertBytes32("salt", salt),
    ]),
  );
}

/** `outputHash = keccak256(canonical bytes)` (PROTOCOL.md §7); a string is hashed as UTF-8. */
export function outputHashOf(canonical: Uint8Array | string): Hex {
  return keccak256(typeof canonical === "string" ? new TextEncoder().encode(canonical) : canonical);
}
