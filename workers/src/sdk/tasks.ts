/** Reading tasks: status names, the task struct, commitments (through chain/reads.ts, the typed reads shared with the node). */
import type { Address, Hex } from "viem";
import { taskManagerAbi } from "../chain/abis.ts";
import { readCommitment, readTask } from "../chain/reads.ts";
import { TASK_STATUS_NAMES, type TaskStatusName } from "../protocol/constants.ts";
import type { OmniTensorContext } from "./context.ts";
import { TaskNotFoundError } from "./errors.ts";

/** `TaskStatus` in the contract's order (PROTOCOL.md §9): the one table, protocol/constants.ts. */
export const TASK_STATUS = TASK_STATUS_NAMES;
export type { TaskStatusName };

/** The fields of a task that requesters read (a subset of the on-chain `Task`). */
export interface TaskInfo {
  taskId: bigint;
  status: TaskStatusName;
  requester: Address;
  disputer: Address;
  modelId: Hex;
  inputHash: Hex;
  resultKey: Hex;
  callback: Address;
  callbackGasLimit: number;
  reward: bigint;
  redundancy: number;
  createdAt: bigint;
  seatDeadline: bigint;
  verifyDeadline: bigint;
  disputeDeadline: bigint;
  commitDeadline: bigint;
  revealDeadline: bigint;
  workerShare: bigint;
  bond: bigint;
  seatHolders: readonly Address[];
  committedVerifiers: number;
  committedJurors: number;
  revealedCount: number;
  disputed: boolean;
  disputeBond: bigint;
  leader: Hex;
  n: number;
  m: number;
  tied: boolean;
  acceptedOutputHash: Hex;
  delivered: boolean;
}

/** Reads a task; `TaskNotFoundError` when no task has this id. */
export async function getTask(ctx: OmniTensorContext, taskId: bigint): Promise<TaskInfo> {
  const t = await readTask(ctx.publicClient, ctx.deployment.contracts.TaskManager, taskId);
  if (t.status === 0 || t.createdAt === 0n) throw new TaskNotFoundError(taskId);
  return {
    taskId,
    status: TASK_STATUS[t.status] ?? "None",
    requester: t.requester,
    disputer: t.disputer,
    modelId: t.modelId,
    inputHash: t.inputHash,
    resultKey: t.resultKey,
    callback: t.callback,
    callbackGasLimit: Number(t.callbackGasLimit),
    reward: t.reward,
    redundancy: Number(t.redundancy),
    createdAt: BigInt(t.createdAt),
    seatDeadline: BigInt(t.seatDeadline),
    verifyDeadline: BigInt(t.verifyDeadline),
    disputeDeadline: BigInt(t.disputeDeadline),
    commitDeadline: BigInt(t.commitDeadline),
    revealDeadline: BigInt(t.revealDeadline),
    workerShare: t.workerShare,
    bond: t.bond,
    seatHolders: t.seatHolders,
    committedVerifiers: Number(t.committedVerifiers),
    committedJurors: Number(t.committedJurors),
    revealedCount: Number(t.revealedCount),
    disputed: t.disputed,
    disputeBond: t.disputeBond,
    leader: t.leader,
    n: Number(t.n),
    m: Number(t.m),
    tied: t.tied,
    acceptedOutputHash: t.acceptedOutputHash,
    delivered: t.delivered,
  };
}

/** The task's status by time (`statusOf`). */
export async function statusOf(ctx: OmniTensorContext, taskId: bigint): Promise<TaskStatusName> {
  const s = await ctx.publicClient.readContract({
    address: ctx.deployment.contracts.TaskManager,
    abi: taskManagerAbi,
    functionName: "statusOf",
    args: [taskId],
  });
  return TASK_STATUS[s] ?? "None";
}

/** A node's commitment record in a task (zero commitment when it has none). */
export interface CommitmentInfo {
  commitment: Hex;
  outputHash: Hex;
  bond: bigint;
  place: number;
  voided: boolean;
  revealed: boolean;
}

export async function commitmentInfo(
  ctx: OmniTensorContext,
  taskId: bigint,
  node: Address,
): Promise<CommitmentInfo> {
  const c = await readCommitment(ctx.publicClient, ctx.deployment.contracts.TaskManager, taskId, node);
  return {
    commitment: c.commitment,
    outputHash: c.outputHash,
    bond: BigInt(c.bond),
    place: Number(c.place),
    voided: c.voided,
    revealed: c.revealed,
  };
}

/** The block the chain is at and its timestamp. */
export async function chainNow(ctx: OmniTensorContext): Promise<{ blockNumber: bigint; timestamp: bigint }> {
  const b = await ctx.publicClient.getBlock({ blockTag: "latest" });
  return { blockNumber: b.number, timestamp: b.timestamp };
}
