import {
  encodeAbiParameters,
  getAddress,
  keccak256,
  toHex,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { modelRegistryAbi } from "../chain/abis.ts";
import { assertBytes32 } from "../protocol/bytes.ts";
import { ProtocolEncodingError } from "../protocol/errors.ts";
import { requireWallet, sendTx, type OmniTensorContext } from "./context.ts";

export interface RegisterModelParams {
  /** sha256 of the ONNX file, 32 bytes hex. */
  onnxSha256: Hex;
  /** Where nodes download the ONNX file. */
  uri: string;
  /** The model spec (PROTOCOL.md §7): a JSON string stored as is, or an object serialised with JSON.stringify. */
  spec: string | Record<string, unknown>;
  /** Royalty paid to the model owner, in basis points of each reward (≤ 2000). Default 0. */
  royaltyBps?: number;
}

/**
 * modelId = keccak256(abi.encode(owner, onnxSha256, keccak256(bytes(spec)))) (PROTOCOL.md §9, v4): `owner` is
 * the account that sends `registerModel`, so the same file and spec registered by two accounts are two models
 * (a copied registration cannot take the owner's id and royalty).
 */
export function modelIdOf(owner: Address, onnxSha256: Hex, spec: string): Hex {
  let ownerAddress: Address;
  try {
    ownerAddress = getAddress(owner);
  } catch {
    throw new ProtocolEncodingError("owner", "must be a 20-byte address (0x followed by 40 hex digits)");
  }
  return keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "bytes32" }, { type: "bytes32" }],
      [ownerAddress, assertBytes32("onnxSha256", onnxSha256), keccak256(toHex(spec))],
    ),
  );
}

/** Registers a model; the sender becomes its owner (and part of its id). Returns its id. */
export async function registerModel(
  ctx: OmniTensorContext,
  params: RegisterModelParams,
): Promise<{ modelId: Hex; receipt: TransactionReceipt }> {
  const spec = typeof params.spec === "string" ? params.spec : JSON.stringify(params.spec);
  if (spec.length === 0) throw new ProtocolEncodingError("spec", "must not be empty");
  const royaltyBps = params.royaltyBps ?? 0;
  if (!Number.isInteger(royaltyBps) || royaltyBps < 0 || royaltyBps > 2000)
    throw new ProtocolEncodingError("royaltyBps", "must be an integer from 0 to 2000 (basis points)");
  const modelId = modelIdOf(requireWallet(ctx, "registerModel").account, params.onnxSha256, spec);
  const receipt = await sendTx(ctx, {
    address: ctx.deployment.contracts.ModelRegistry,
    abi: modelRegistryAbi,
    functionName: "registerModel",
    args: [params.onnxSha256, params.uri, spec, royaltyBps],
  });
  return { modelId, receipt };
}
