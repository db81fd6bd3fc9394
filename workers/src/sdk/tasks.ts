/** Reading tasks: status names, the task struct, commitments (through chain/reads.ts, the typed reads shared with the node). */
import type { Address, Hex } from "viem";
import { taskManagerAbi } from "../chain/abis.ts";
import { readCommitment, readTask, type Task } from "../chain/reads.ts";
import { TASK_STATUS_NAMES, type TaskStatusName } from "../protocol/constants.ts";
import type { OmniTensorContext } from "./context.ts";
import { TaskNotFoundError } from "./errors.ts";

/** `TaskStatus` in the contract's order (PROTOCOL.md §9): the one table, protocol/constants.ts. */
export const TASK_STATUS = TASK_STATUS_NAMES;
export type { TaskStatusName };

/**
 * A task as `getTask` returns it (the generated ABI's `Task`, so it cannot drift from the
 * contract), with its id and its status by name. `modelId`, `inputHash` and `resultKey` are not
 * stored by the contract (docs/gas.md): they come from the task's `TaskCreated` event.
 */
export type TaskInfo = Omit<Task, "status"> & { taskId: bigint; status: TaskStatusName };

type Created = { modelId: Hex; inputHash: Hex; resultKey: Hex };
/**
 * `TaskCreated`'s fields, cached per client (one client talks to one chain; several chains in one
 * process, as in tests or a restarted devnet, deploy TaskManager at the same address), then per
 * TaskManager and task, with the task's creation time so that a chain reset is noticed.
 */
const createdCache = new WeakMap<object, Map<string, Created & { createdAt: bigint }>>();

/** The fields only `TaskCreated` carries (immutable once created). */
async function createdFields(ctx: OmniTensorContext, taskId: bigint, createdAt: bigint): Promise<Created> {
  const address = ctx.deployment.contracts.TaskManager;
  const key = `${address}:${taskId}`;
  let cache = createdCache.get(ctx.publicClient);
  if (!cache) createdCache.set(ctx.publicClient, (cache = new Map()));
  const hit = cache.get(key);
  if (hit && hit.createdAt === createdAt)
    return { modelId: hit.modelId, inputHash: hit.inputHash, resultKey: hit.resultKey };
  const [ev] = await ctx.publicClient.getContractEvents({
    address,
    abi: taskManagerAbi,
    eventName: "TaskCreated",
    args: { taskId },
    fromBlock: BigInt(ctx.deployment.startBlock),
    strict: true,
  });
  if (!ev) throw new TaskNotFoundError(taskId);
  const { modelId, inputHash, resultKey } = ev.args;
  cache.set(key, { modelId, inputHash, resultKey, createdAt });
  return { modelId, inputHash, resultKey };
}

/** Reads a task; `TaskNotFoundError` when no task has this id. */
export async function getTask(ctx: OmniTensorContext, taskId: bigint): Promise<TaskInfo> {
  const t = await readTask(ctx.publicClient, ctx.deployment.contracts.TaskManager, taskId);
  if (t.status === 0 || t.createdAt === 0n) throw new TaskNotFoundError(taskId);
  return {
    ...t,
    ...(await createdFields(ctx, taskId, t.createdAt)),
    taskId,
    status: TASK_STATUS[t.status] ?? "None",
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
