/**
 * Typed reads of the TaskManager (types inferred by viem from the generated `as const` ABI: a
 * renamed field or error fails `tsc`). Each read takes a public client and the contract's
 * address, and optionally a block number, so that several reads can see one consistent state.
 */
import type { Address, ContractFunctionReturnType, Hex, PublicClient } from "viem";
import { modelRegistryAbi, taskManagerAbi } from "./abis.ts";
import { TxRevertError } from "./errors.ts";

/** The `Task` view of `getTask`, as the ABI declares it. */
export type Task = ContractFunctionReturnType<typeof taskManagerAbi, "view", "getTask">;
/** A node's `Commitment` record (`commitmentOf`). */
export type Commitment = ContractFunctionReturnType<typeof taskManagerAbi, "view", "commitmentOf">;
/** `isEligible`: whether a node may take each place now. */
export interface Eligibility {
  seat: boolean;
  verifier: boolean;
  juror: boolean;
}

/** What the reads need from a client (any viem PublicClient). */
export type Reader = Pick<PublicClient, "readContract">;

/** A model's record (`ModelRegistry.getModel`): its spec, ONNX sha256, owner, royalty, … */
export type ModelRecord = ContractFunctionReturnType<typeof modelRegistryAbi, "view", "getModel">;

/** `ModelRegistry.getModel(modelId)`. */
export function readModel(client: Reader, registry: Address, modelId: Hex): Promise<ModelRecord> {
  return client.readContract({
    address: registry,
    abi: modelRegistryAbi,
    functionName: "getModel",
    args: [modelId],
  });
}

/** `blockNumber` undefined reads the latest block. */
export function readTask(
  client: Reader,
  address: Address,
  taskId: bigint,
  blockNumber?: bigint,
): Promise<Task> {
  return client.readContract({
    address,
    abi: taskManagerAbi,
    functionName: "getTask",
    args: [taskId],
    blockNumber,
  });
}

export function readCommitment(
  client: Reader,
  address: Address,
  taskId: bigint,
  node: Address,
  blockNumber?: bigint,
): Promise<Commitment> {
  return client.readContract({
    address,
    abi: taskManagerAbi,
    functionName: "commitmentOf",
    args: [taskId, node],
    blockNumber,
  });
}

export async function readEligibility(
  client: Reader,
  address: Address,
  taskId: bigint,
  node: Address,
  blockNumber?: bigint,
): Promise<Eligibility> {
  const [seat, verifier, juror] = await client.readContract({
    address,
    abi: taskManagerAbi,
    functionName: "isEligible",
    args: [taskId, node],
    blockNumber,
  });
  return { seat, verifier, juror };
}

/** The node's seat rank (maxUint256: not a compute node of the task's snapshot, or seed unknown). */
export function readRank(
  client: Reader,
  address: Address,
  taskId: bigint,
  node: Address,
  blockNumber?: bigint,
): Promise<bigint> {
  return client.readContract({
    address,
    abi: taskManagerAbi,
    functionName: "rankOf",
    args: [taskId, node],
    blockNumber,
  });
}

export function readIsLiquidatable(
  client: Reader,
  address: Address,
  taskId: bigint,
  node: Address,
): Promise<boolean> {
  return client.readContract({
    address,
    abi: taskManagerAbi,
    functionName: "isLiquidatable",
    args: [taskId, node],
  });
}

export function readCreditOf(client: Reader, address: Address, account: Address): Promise<bigint> {
  return client.readContract({ address, abi: taskManagerAbi, functionName: "creditOf", args: [account] });
}

/** The name of every custom error of the TaskManager, from the ABI. */
export type TaskManagerErrorName = Extract<(typeof taskManagerAbi)[number], { type: "error" }>["name"];

const TASK_MANAGER_ERRORS: ReadonlySet<string> = new Set(
  taskManagerAbi.flatMap((item) => (item.type === "error" ? [item.name] : [])),
);

function isTaskManagerErrorName(name: string): name is TaskManagerErrorName {
  return TASK_MANAGER_ERRORS.has(name);
}

/** The decoded TaskManager error of a reverted call (simulation or receipt), if it is one. */
export function taskManagerError(e: unknown): TaskManagerErrorName | undefined {
  if (!(e instanceof TxRevertError) || e.errorName === undefined) return undefined;
  return isTaskManagerErrorName(e.errorName) ? e.errorName : undefined;
}

/** Whether `e` is a revert with one of `names` (matched by decoded name, never by text). */
export function revertedWith(e: unknown, names: readonly TaskManagerErrorName[]): e is TxRevertError {
  const name = taskManagerError(e);
  return name !== undefined && names.includes(name);
}
