import {
  hashTypedData,
  keccak256,
  type Address,
  type Hex,
  type LocalAccount,
  type TypedDataDomain,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { assertAddress, assertBytes32, assertUint256, toBytes } from "./bytes.ts";
import { ProtocolEncodingError } from "./errors.ts";

/** EIP-712 domain name and version of the TaskManager (PROTOCOL.md §4.5, readable via EIP-5267). */
export const TASK_MANAGER_DOMAIN_NAME = "OmniTensor TaskManager";
export const TASK_MANAGER_DOMAIN_VERSION = "1";

/** What identifies one TaskManager deployment for signatures. */
export interface TaskManagerDomainInput {
  chainId: number | bigint;
  verifyingContract: Address;
}

/** The full EIP-712 domain of a TaskManager. */
export interface TaskManagerDomain {
  name: typeof TASK_MANAGER_DOMAIN_NAME;
  version: typeof TASK_MANAGER_DOMAIN_VERSION;
  chainId: bigint;
  verifyingContract: Address;
}

/**
 * `Commit(uint256 taskId,uint8 place,bytes32 commitment,bytes32 sealedOutputHash,uint256 deadline)`: `place` is the
 * place the node signs for (1 seat, 2 verifier, 3 juror; PROTOCOL.md §4.5), so a public signature for one place
 * cannot be replayed into another.
 */
export const COMMIT_TYPES = {
  Commit: [
    { name: "taskId", type: "uint256" },
    { name: "place", type: "uint8" },
    { name: "commitment", type: "bytes32" },
    { name: "sealedOutputHash", type: "bytes32" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** `Salt(uint256 taskId)`: what a node signs to derive its salt (PROTOCOL.md §7). */
export const SALT_TYPES = {
  Salt: [{ name: "taskId", type: "uint256" }],
} as const;

/** Builds the TaskManager's EIP-712 domain, checking the chain id and the address. */
export function taskManagerDomain(input: TaskManagerDomainInput): TaskManagerDomain {
  const chainId = BigInt(input.chainId);
  if (chainId <= 0n) throw new ProtocolEncodingError("domain.chainId", "must be a positive integer");
  return {
    name: TASK_MANAGER_DOMAIN_NAME,
    version: TASK_MANAGER_DOMAIN_VERSION,
    chainId: assertUint256("domain.chainId", chainId),
    verifyingContract: assertAddress("domain.verifyingContract", input.verifyingContract),
  };
}

/** The EIP-712 message a node signs for `commitWithSig` / `commitBatch`. */
export interface CommitMessage {
  taskId: bigint;
  /** 1 seat, 2 verifier, 3 juror. */
  place: number;
  commitment: Hex;
  sealedOutputHash: Hex;
  deadline: bigint;
}

/** The on-chain `SignedCommit` struct (PROTOCOL.md §9). */
export interface SignedCommit {
  taskId: bigint;
  node: Address;
  place: number;
  commitment: Hex;
  sealedOutput: Hex;
  deadline: bigint;
  signature: Hex;
}

/** Places a commitment can take (PROTOCOL.md §4.5, §9): 1 seat, 2 verifier, 3 juror. */
export const PLACES = { seat: 1, verifier: 2, juror: 3 } as const;

function assertPlace(place: unknown): number {
  if (place !== 1 && place !== 2 && place !== 3)
    throw new ProtocolEncodingError("place", "must be 1 (seat), 2 (verifier) or 3 (juror)");
  return place;
}

function commitMessage(m: CommitMessage): CommitMessage {
  return {
    taskId: assertUint256("taskId", m.taskId),
    place: assertPlace(m.place),
    commitment: assertBytes32("commitment", m.commitment),
    sealedOutputHash: assertBytes32("sealedOutputHash", m.sealedOutputHash),
    deadline: assertUint256("deadline", m.deadline),
  };
}

function asDomain(d: TaskManagerDomainInput): TypedDataDomain {
  return taskManagerDomain(d);
}

/** The EIP-712 digest of a Commit message (what `TaskManager.commitDigest` returns). */
export function commitDigest(domain: TaskManagerDomainInput, message: CommitMessage): Hex {
  return hashTypedData({
    domain: asDomain(domain),
    types: COMMIT_TYPES,
    primaryType: "Commit",
    message: commitMessage(message),
  });
}

/** The EIP-712 digest of `Salt(taskId)` (what `TaskManager.saltDigest` returns). */
export function saltDigest(domain: TaskManagerDomainInput, taskId: bigint): Hex {
  return hashTypedData({
    domain: asDomain(domain),
    types: SALT_TYPES,
    primaryType: "Salt",
    message: { taskId: assertUint256("taskId", taskId) },
  });
}

/** A node key: a viem LocalAccount, or a 32-byte private key as hex. */
export type NodeSigner = LocalAccount | Hex;

/** Turns a private key into a LocalAccount; passes accounts through. */
export function toLocalAccount(signer: NodeSigner): LocalAccount {
  if (typeof signer === "string") {
    assertBytes32("privateKey", signer);
    return privateKeyToAccount(signer);
  }
  if (typeof signer !== "object" || signer === null || typeof signer.signTypedData !== "function")
    throw new ProtocolEncodingError("account", "must be a viem LocalAccount or a 32-byte private key");
  return signer;
}

/**
 * Signs a Commit for `commitWithSig` / `commitBatch` and returns the `SignedCommit` struct.
 * `sealedOutputHash` is `keccak256(sealedOutput)`, so a relayer cannot swap the sealed output.
 */
export async function signCommit(params: {
  account: NodeSigner;
  domain: TaskManagerDomainInput;
  taskId: bigint;
  /** The place the node signs for: 1 seat, 2 verifier, 3 juror. */
  place: number;
  commitment: Hex;
  sealedOutput: Hex | Uint8Array;
  deadline: bigint;
}): Promise<SignedCommit> {
  const account = toLocalAccount(params.account);
  const sealed = toBytes("sealedOutput", params.sealedOutput);
  const sealedOutput = (
    typeof params.sealedOutput === "string" ? params.sealedOutput.toLowerCase() : bytesToHexLower(sealed)
  ) as Hex;
  const message = commitMessage({
    taskId: params.taskId,
    place: params.place,
    commitment: params.commitment,
    sealedOutputHash: keccak256(sealed),
    deadline: params.deadline,
  });
  const signature = await account.signTypedData({
    domain: asDomain(params.domain),
    types: COMMIT_TYPES,
    primaryType: "Commit",
    message,
  });
  return {
    taskId: message.taskId,
    node: account.address,
    place: message.place,
    commitment: message.commitment,
    sealedOutput,
    deadline: message.deadline,
    signature,
  };
}

function bytesToHexLower(b: Uint8Array): Hex {
  return `0x${Buffer.from(b).toString("hex")}` as Hex;
}
